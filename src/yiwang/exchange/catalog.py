"""The resources the platform publishes: the six base registers and the e-license library, with their
GB/T 21063 metadata and the grade of every item (GB/T 35273: identifiers, property, financial and credit
information are sensitive personal information)."""

from __future__ import annotations

from dataclasses import dataclass

from yiwang.registers.constants import RegisterCode

from .constants import DataType, Grade, SharingType, UpdateCycle
from .selectors.sources import LICENSE_LIBRARY_SOURCE


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


# Property (房产信息), deposits and credit records are sensitive personal information (GB/T 35273 annex B);
# a person's property certificate, mortgage and area are graded 3, an account balance core.
REAL_ESTATE_ITEMS = (
    ItemSpec("certificate_number", "不动产权证书号", C, 60, SEN, True, True),
    ItemSpec("unit_number", "不动产单元号", C, 28, INT),
    ItemSpec("address", "坐落", C, 200, SEN, True, True),
    ItemSpec("region_code", "所在区划", C, 12, PUB),
    ItemSpec("area", "建筑面积（平方米）", N, 10, SEN, True, True),
    ItemSpec("use", "用途", C, 20, PUB),
    ItemSpec("is_mortgaged", "是否抵押", B, 1, SEN, True, True),
    ItemSpec("mortgagee", "抵押权人", C, 200, SEN, True, True),
    ItemSpec("registered_on", "登记日期", D, 8, INT, True),
    ItemSpec("owner_names", "权利人（多值）", C, 200, SEN, True),
    ItemSpec("owner_id_numbers", "权利人证件号（多值）", C, 18, SEN, True, True),
    ItemSpec("share", "共有情况", C, 30, INT, True),
)
SOCIAL_INSURANCE_ITEMS = (
    ItemSpec("id_number", "公民身份号码", C, 18, SEN, True, True),
    ItemSpec("name", "姓名", C, 60, SEN, True),
    ItemSpec("schemes", "参保险种（多值，未终止）", C, 80, INT, True),
    ItemSpec("contributing_schemes", "正常缴费险种（多值）", C, 80, INT, True),
    ItemSpec("employer_name", "参保单位", C, 200, INT, True),
    ItemSpec("employer_credit_code", "参保单位统一社会信用代码", C, 18, INT, True),
    ItemSpec("region_code", "参保地区划", C, 12, INT, True),
    ItemSpec("started_on", "首次参保日期", D, 8, INT, True),
    ItemSpec("months_paid", "累计缴费月数", N, 4, SEN, True, True),
)
HOUSING_FUND_ITEMS = (
    ItemSpec("account_number", "公积金账号", C, 20, SEN, True, True),
    ItemSpec("id_number", "公民身份号码", C, 18, SEN, True, True),
    ItemSpec("name", "姓名", C, 60, SEN, True),
    ItemSpec("employer_name", "缴存单位", C, 200, INT, True),
    ItemSpec("employer_credit_code", "缴存单位统一社会信用代码", C, 18, INT, True),
    ItemSpec("balance", "账户余额（元）", N, 12, CORE, True, True),
    ItemSpec("monthly_deposit", "月缴存额（元）", N, 10, SEN, True, True),
    ItemSpec("is_active", "是否正常缴存", B, 1, INT, True),
    ItemSpec("opened_on", "开户日期", D, 8, INT, True),
)
# Credit records in force (within their publicity period), newest first; a subject may be a person.
CREDIT_ITEMS = (
    ItemSpec("subject_code", "主体证件号或统一社会信用代码", C, 18, SEN, True, True),
    ItemSpec("subject_name", "主体名称", C, 200, SEN, True),
    ItemSpec("has_dishonest_record", "是否列入失信名单", B, 1, INT, True, True),
    ItemSpec("record_count", "在公示期内的信用记录数", N, 4, INT, True, True),
    ItemSpec("kinds", "记录类别（多值）", C, 20, INT, True, True),
    ItemSpec("authorities", "认定机关（多值）", C, 200, PUB),
    ItemSpec("document_numbers", "决定文书号（多值）", C, 100, INT, True),
    ItemSpec("reasons", "事由（多值）", C, 500, INT, True, True),
    ItemSpec("decided_on", "决定日期（多值）", D, 8, INT, True),
    ItemSpec("expires_on", "公示截止日期（多值）", D, 8, INT, True),
)
# The e-license library: the licenses' metadata, not their surface (that stays with the holder's consent).
LICENSE_ITEMS = (
    ItemSpec("identifier", "电子证照标识", C, 80, SEN, True),
    ItemSpec("license_type_code", "证照类型代码", C, 32, PUB),
    ItemSpec("license_type_name", "证照名称", C, 100, PUB),
    ItemSpec("holder_kind", "持证主体类型", C, 20, PUB),
    ItemSpec("holder_name", "持证主体名称", C, 200, SEN, True),
    ItemSpec("holder_code", "持证主体证件号", C, 18, SEN, True, True),
    ItemSpec("issuer", "签发部门", C, 200, PUB),
    ItemSpec("issued_on", "签发日期", D, 8, INT, True),
    ItemSpec("valid_from", "有效期起", D, 8, INT, True),
    ItemSpec("valid_until", "有效期至", D, 8, INT, True),
    ItemSpec("status", "证照状态", C, 20, INT, True),
    ItemSpec("trust_level", "可信等级", C, 1, PUB),
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
    ResourceSpec(
        RegisterCode.REAL_ESTATE,
        "BDC-511602-0001",
        "不动产登记信息",
        "不动产权证书号、单元号、坐落、面积、用途、抵押情况与权利人；按证书号或单元号查询，"
        "按权利人身份号码核验（owner_of）。",
        SharingType.CONDITIONAL,
        "仅限不动产相关事项及社会救助、住房保障审核所需；须经自然资源部门审核。",
        UpdateCycle.REALTIME,
        REAL_ESTATE_ITEMS,
    ),
    ResourceSpec(
        RegisterCode.SOCIAL_INSURANCE,
        "SB-511602-0001",
        "社会保险参保信息",
        "按公民身份号码查询参保险种、缴费状态、参保单位、参保地与累计缴费月数。",
        SharingType.CONDITIONAL,
        "仅限依法履职所需；须经人力资源社会保障部门审核。",
        UpdateCycle.DAILY,
        SOCIAL_INSURANCE_ITEMS,
    ),
    ResourceSpec(
        RegisterCode.HOUSING_FUND,
        "GJJ-511602-0001",
        "住房公积金缴存信息",
        "按公民身份号码查询公积金账号、缴存单位、缴存状态、月缴存额与余额。",
        SharingType.CONDITIONAL,
        "仅限住房保障、社会救助与公积金相关事项；账户余额为核心信息，须经平台安全审批。",
        UpdateCycle.DAILY,
        HOUSING_FUND_ITEMS,
    ),
    ResourceSpec(
        RegisterCode.CREDIT,
        "XY-511602-0001",
        "公共信用信息",
        "失信被执行人、严重失信主体名单与行政处罚等在公示期内的信用记录，按身份号码或统一社会信用代码查询。",
        SharingType.UNCONDITIONAL,
        "",
        UpdateCycle.DAILY,
        CREDIT_ITEMS,
    ),
)

# The e-license library is not a register: its holder is the department running the platform's license
# services (in the demo county the administrative approval bureau), named when it is published.
LICENSE_LIBRARY_HOLDER = "区行政审批局"
LICENSE_LIBRARY = ResourceSpec(
    LICENSE_LIBRARY_SOURCE,
    "DZZZ-511602-0001",
    "电子证照库",
    "已签发电子证照的目录信息（类型、持证主体、签发部门、有效期、状态）；按证照标识查询，"
    "按证照标识或持证主体证件号核验持证（holds_license），不提供照面信息。",
    SharingType.CONDITIONAL,
    "仅限办理事项时核验证照（免证办）；照面信息须经持证人用证授权，不经本资源提供。",
    UpdateCycle.REALTIME,
    LICENSE_ITEMS,
)
ALL_RESOURCES = (*REGISTER_RESOURCES, LICENSE_LIBRARY)
