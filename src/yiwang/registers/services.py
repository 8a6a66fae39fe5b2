"""Writes to the registers: the register catalog (who holds what) and the synthetic data sets."""

from __future__ import annotations

from django.db import transaction

from yiwang.regions.models import Department

from .constants import RegisterCode
from .generation import GenerationSummary, generate
from .models import (
    CreditRecord,
    HousingFundAccount,
    InsuranceEnrolment,
    LegalPerson,
    Person,
    RealEstate,
    Register,
)

# The department (by short name in the home county) that holds each register in the demo.
REGISTER_HOLDERS = {
    RegisterCode.POPULATION: (
        "区公安分局",
        "户籍人口基本信息：身份号码、姓名、性别、出生日期、民族、户籍地址、婚姻状况、家庭成员",
    ),
    RegisterCode.LEGAL_PERSON: (
        "区市监局",
        "市场主体登记信息：统一社会信用代码、名称、类型、法定代表人、注册资本、经营范围",
    ),
    RegisterCode.REAL_ESTATE: ("区自然资源和规划局", "不动产权证书、权利人、坐落、面积、用途、抵押"),
    RegisterCode.SOCIAL_INSURANCE: ("区人社局", "社会保险参保登记与缴费"),
    RegisterCode.HOUSING_FUND: ("区住建局", "住房公积金账户与缴存"),
    RegisterCode.CREDIT: ("区发改局", "失信被执行人、行政处罚等信用信息"),
}
SIZES = {"test": (300, 40), "demo": (3_000, 300), "bench": (1_000_000, 100_000)}


@transaction.atomic
def ensure_register_catalog(*, region_code: str = "511602000000") -> list[Register]:
    """Create the six registers and attach each to its holding department when that department exists."""
    registers = []
    for code, (short_name, description) in REGISTER_HOLDERS.items():
        department = Department.objects.filter(region_id=region_code, short_name=short_name).first()
        register, _ = Register.objects.update_or_create(
            code=code,
            defaults={
                "name": str(RegisterCode(code).label),
                "department": department,
                "description": description,
            },
        )
        registers.append(register)
    return registers


def generate_registers(
    *, size: str = "demo", seed: int = 20261121, progress: bool = False
) -> GenerationSummary:
    """Fill empty registers with synthetic data of the given size; leave filled ones alone."""
    ensure_register_catalog()
    if Person.objects.exists():
        summary = GenerationSummary(created=False)
        for name, model in (
            ("people", Person),
            ("legal_persons", LegalPerson),
            ("real_estates", RealEstate),
            ("insurance_enrolments", InsuranceEnrolment),
            ("housing_fund_accounts", HousingFundAccount),
            ("credit_records", CreditRecord),
        ):
            summary.counts[name] = model.objects.count()
        summary.counts.pop("estate_owners", None)
        return summary
    people, companies = SIZES[size]
    return generate(people=people, companies=companies, seed=seed, progress=progress)
