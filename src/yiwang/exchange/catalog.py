"""The register resources the platform publishes: their GB/T 21063 metadata and item grades."""

from __future__ import annotations

from dataclasses import dataclass

from yiwang.registers.constants import RegisterCode

from .constants import DataType, Grade, SharingType, UpdateCycle


@dataclass(frozen=True)
class ItemSpec:
    code: str
    name: str
    data_type: str
    length: int
    grade: int
    is_personal: bool = False
    is_sensitive_personal: bool = False


C, D, B, N = DataType.STRING, DataType.DATE, DataType.BOOLEAN, DataType.NUMBER
SEN, INT, PUB, CORE = Grade.SENSITIVE, Grade.INTERNAL, Grade.PUBLIC, Grade.CORE

# Grades follow GB/T 35273 and the provincial grading guides: identifiers and contact details are
# sensitive personal information; marital status (family life) is graded core.
PERSON_ITEMS = (
    ItemSpec("id_number", "公民身份号码", C, 18, SEN, True, True),
    ItemSpec("name", "姓名", C, 60, SEN, True),
    ItemSpec("surname", "姓", C, 30, SEN, True),
    ItemSpec("given_name", "名", C, 30, SEN, True),
    ItemSpec("gender", "性别", C, 1, INT, True),
    ItemSpec("birth_date", "出生日期", D, 8, SEN, True),
    ItemSpec("ethnicity", "民族", C, 20, SEN, True, True),
    ItemSpec("household_address", "户籍地址", C, 200, SEN, True),
    ItemSpec("region_code", "户籍地区划", C, 12, INT, True),
    ItemSpec("phone", "联系电话", C, 20, SEN, True, True),
    ItemSpec("marital_status", "婚姻状况", C, 2, CORE, True, True),
    ItemSpec("household_number", "户号", C, 20, SEN, True),
    ItemSpec("household_relation", "与户主关系", C, 2, SEN, True),
    ItemSpec("is_deceased", "是否死亡", B, 1, INT, True),
)
LEGAL_PERSON_ITEMS = (
    ItemSpec("credit_code", "统一社会信用代码", C, 18, PUB),
    ItemSpec("name", "名称", C, 200, PUB),
    ItemSpec("entity_type", "市场主体类型", C, 20, PUB),
    ItemSpec("legal_representative_name", "法定代表人", C, 60, PUB, True),
    ItemSpec("legal_representative_id_number", "法定代表人身份号码", C, 18, SEN, True, True),
    ItemSpec("registered_capital", "注册资本（万元）", N, 16, PUB),
    ItemSpec("address", "住所", C, 200, PUB),
    ItemSpec("region_code", "登记地区划", C, 12, PUB),
    ItemSpec("status", "登记状态", C, 20, PUB),
    ItemSpec("established_on", "成立日期", D, 8, PUB),
    ItemSpec("approved_on", "核准日期", D, 8, PUB),
    ItemSpec("business_scope", "经营范围", C, 2000, PUB),
)


@dataclass(frozen=True)
class ResourceSpec:
    source: str
    code: str
    name: str
    summary: str
    sharing_type: str
    sharing_conditions: str
    update_cycle: str
    items: tuple[ItemSpec, ...]


REGISTER_RESOURCES = (
    ResourceSpec(
        RegisterCode.POPULATION,
        "RK-511602-0001",
        "人口基础信息",
        "户籍人口的身份号码、姓名、性别、出生日期、户籍地址、婚姻状况与死亡状态。",
        SharingType.CONDITIONAL,
        "仅限依法履职所需，按最小必要原则申请信息项；须经公安部门审核。",
        UpdateCycle.REALTIME,
        PERSON_ITEMS,
    ),
    ResourceSpec(
        RegisterCode.LEGAL_PERSON,
        "FR-511602-0001",
        "法人基础信息",
        "市场主体的统一社会信用代码、名称、类型、法定代表人、注册资本、住所、登记状态与经营范围。",
        SharingType.UNCONDITIONAL,
        "",
        UpdateCycle.DAILY,
        LEGAL_PERSON_ITEMS,
    ),
)
