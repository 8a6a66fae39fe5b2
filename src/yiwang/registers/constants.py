"""Words of the base registers: which register, the coded values each holds, access outcomes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# What a change of a record is: shared with its subscribers through core.changes.
from yiwang.core.changes import ChangeKind as ChangeKind


class RegisterCode(models.TextChoices):
    POPULATION = "population", _("人口库")
    LEGAL_PERSON = "legal_person", _("法人库")
    REAL_ESTATE = "real_estate", _("不动产登记")
    SOCIAL_INSURANCE = "social_insurance", _("社会保险")
    HOUSING_FUND = "housing_fund", _("住房公积金")
    CREDIT = "credit", _("信用信息")


class Gender(models.TextChoices):
    MALE = "1", _("男")
    FEMALE = "2", _("女")


class MaritalStatus(models.TextChoices):
    UNMARRIED = "10", _("未婚")
    MARRIED = "20", _("已婚")
    WIDOWED = "30", _("丧偶")
    DIVORCED = "40", _("离婚")


class HouseholdRelation(models.TextChoices):
    """Relation to the head of household (与户主关系) as the household register records it."""

    HEAD = "02", _("户主")
    SPOUSE = "10", _("配偶")
    CHILD = "20", _("子女")
    PARENT = "50", _("父母")


class LegalPersonType(models.TextChoices):
    LIMITED_COMPANY = "llc", _("有限责任公司")
    JOINT_STOCK = "jsc", _("股份有限公司")
    SOLE_PROPRIETOR = "sole", _("个人独资企业")
    PARTNERSHIP = "partnership", _("合伙企业")
    INDIVIDUAL_BUSINESS = "individual", _("个体工商户")
    COOPERATIVE = "coop", _("农民专业合作社")


class LegalPersonStatus(models.TextChoices):
    ACTIVE = "active", _("存续")
    REVOKED = "revoked", _("吊销")
    DEREGISTERED = "deregistered", _("注销")


class PropertyUse(models.TextChoices):
    RESIDENTIAL = "residential", _("住宅")
    COMMERCIAL = "commercial", _("商业")
    INDUSTRIAL = "industrial", _("工业")
    OFFICE = "office", _("办公")


class InsuranceType(models.TextChoices):
    PENSION = "pension", _("基本养老保险")
    MEDICAL = "medical", _("基本医疗保险")
    UNEMPLOYMENT = "unemployment", _("失业保险")
    INJURY = "injury", _("工伤保险")


class EnrolmentStatus(models.TextChoices):
    CONTRIBUTING = "contributing", _("正常参保")
    SUSPENDED = "suspended", _("暂停缴费")
    ENDED = "ended", _("终止参保")


class CreditRecordKind(models.TextChoices):
    DISHONEST_DEBTOR = "dishonest", _("失信被执行人")
    ADMINISTRATIVE_PENALTY = "penalty", _("行政处罚")
    SERIOUS_DISHONESTY = "serious", _("严重失信主体名单")


# The personal fields a caller may ask the population gate for; anything else is refused.
PERSON_FIELDS = frozenset(
    {
        "id_number",
        "name",
        "surname",
        "given_name",
        "gender",
        "birth_date",
        "ethnicity",
        "household_address",
        "region_code",
        "phone",
        "marital_status",
        "household_number",
        "household_relation",
        "is_deceased",
    }
)
LEGAL_PERSON_FIELDS = frozenset(
    {
        "credit_code",
        "name",
        "entity_type",
        "legal_representative_name",
        "legal_representative_id_number",
        "registered_capital",
        "address",
        "region_code",
        "status",
        "established_on",
        "approved_on",
        "business_scope",
    }
)

# The Chinese names of the register fields, for people reading which fields were used (data tracker).
FIELD_LABELS = {
    "id_number": _("公民身份号码"),
    "name": _("姓名"),
    "surname": _("姓"),
    "given_name": _("名"),
    "gender": _("性别"),
    "birth_date": _("出生日期"),
    "ethnicity": _("民族"),
    "household_address": _("户籍地址"),
    "region_code": _("所在区划"),
    "phone": _("联系电话"),
    "marital_status": _("婚姻状况"),
    "household_number": _("户号"),
    "household_relation": _("与户主关系"),
    "is_deceased": _("已死亡"),
    "credit_code": _("统一社会信用代码"),
    "entity_type": _("类型"),
    "legal_representative_name": _("法定代表人"),
    "legal_representative_id_number": _("法定代表人身份证号"),
    "registered_capital": _("注册资本（万元）"),
    "address": _("住所"),
    "status": _("登记状态"),
    "established_on": _("成立日期"),
    "approved_on": _("核准日期"),
    "business_scope": _("经营范围"),
}


class ChangeGround(models.TextChoices):
    """On what a register change rests (the same words as the audit log's grounds)."""

    DOCUMENT = "document", _("证明文书")
    CASE = "case", _("办件")
    OBJECTION = "objection", _("数据异议")
    LEGAL_BASIS = "legal_basis", _("法定依据")


# The fields correct_record may change, per register; keys, states with their own service (death,
# deregistration) and links to other tables are not among them.
CORRECTABLE_FIELDS: dict[str, frozenset[str]] = {
    RegisterCode.POPULATION: frozenset(
        {
            "name",
            "surname",
            "given_name",
            "gender",
            "birth_date",
            "ethnicity",
            "household_address",
            "phone",
            "marital_status",
            "household_relation",
        }
    ),
    RegisterCode.LEGAL_PERSON: frozenset(
        {
            "name",
            "entity_type",
            "legal_representative_name",
            "legal_representative_id_number",
            "registered_capital",
            "address",
            "established_on",
            "approved_on",
            "business_scope",
        }
    ),
    RegisterCode.REAL_ESTATE: frozenset({"address", "area", "use", "is_mortgaged", "mortgagee"}),
}
