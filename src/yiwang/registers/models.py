"""The departments' authoritative base registers (synthetic data only); reads are logged in the audit app.

Each register is its own department's data: records refer to people and companies by identifier
(ID number, credit code), not by foreign keys across registers, as separate departmental databases do.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .constants import (
    ChangeGround,
    ChangeKind,
    CreditRecordKind,
    EnrolmentStatus,
    Gender,
    HouseholdRelation,
    InsuranceType,
    LegalPersonStatus,
    LegalPersonType,
    MaritalStatus,
    PropertyUse,
    RegisterCode,
)


class Register(models.Model):
    """One base register and the department that holds it."""

    code = models.CharField(_("代码"), max_length=30, choices=RegisterCode.choices, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registers",
    )
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("基础库")
        verbose_name_plural = _("基础库")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A resident in the population register (人口库)."""

    id_number = models.CharField(_("公民身份号码"), max_length=18, unique=True)
    name = models.CharField(_("姓名"), max_length=60)
    surname = models.CharField(_("姓"), max_length=30)
    given_name = models.CharField(_("名"), max_length=30)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    ethnicity = models.CharField(_("民族"), max_length=20)
    household_address = models.CharField(_("户籍地址"), max_length=200)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("户籍地区划"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    marital_status = models.CharField(_("婚姻状况"), max_length=2, choices=MaritalStatus.choices)
    household_number = models.CharField(_("户号"), max_length=20, db_index=True)
    household_relation = models.CharField(
        _("与户主关系"),
        max_length=2,
        choices=HouseholdRelation.choices,
    )
    is_deceased = models.BooleanField(_("已死亡"), default=False)

    class Meta:
        verbose_name = _("人口信息")
        verbose_name_plural = _("人口信息")

    def __str__(self) -> str:
        return self.name


class LegalPerson(models.Model):
    """An enterprise or other legal person in the legal-person register (法人库)."""

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=200, db_index=True)
    entity_type = models.CharField(_("类型"), max_length=20, choices=LegalPersonType.choices)
    legal_representative_name = models.CharField(_("法定代表人"), max_length=60)
    legal_representative_id_number = models.CharField(
        _("法定代表人身份号码"),
        max_length=18,
        db_index=True,
    )
    registered_capital = models.DecimalField(_("注册资本（万元）"), max_digits=14, decimal_places=2)
    address = models.CharField(_("住所"), max_length=200)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("登记地区划"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("登记状态"), max_length=20, choices=LegalPersonStatus.choices)
    established_on = models.DateField(_("成立日期"))
    approved_on = models.DateField(_("核准日期"))
    business_scope = models.TextField(_("经营范围"))

    class Meta:
        verbose_name = _("法人信息")
        verbose_name_plural = _("法人信息")

    def __str__(self) -> str:
        return self.name


class RealEstate(models.Model):
    """A registered property right (不动产权) and its mortgage, if any."""

    certificate_number = models.CharField(_("不动产权证书号"), max_length=60, unique=True)
    unit_number = models.CharField(_("不动产单元号"), max_length=28, unique=True)
    address = models.CharField(_("坐落"), max_length=200)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所在区划"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    area = models.DecimalField(_("建筑面积（平方米）"), max_digits=10, decimal_places=2)
    use = models.CharField(_("用途"), max_length=20, choices=PropertyUse.choices)
    is_mortgaged = models.BooleanField(_("已抵押"), default=False)
    mortgagee = models.CharField(_("抵押权人"), max_length=200, blank=True)
    registered_on = models.DateField(_("登记日期"))

    class Meta:
        verbose_name = _("不动产登记")
        verbose_name_plural = _("不动产登记")

    def __str__(self) -> str:
        return self.certificate_number


class RealEstateOwner(models.Model):
    estate = models.ForeignKey(RealEstate, on_delete=models.CASCADE, related_name="owners")
    owner_name = models.CharField(_("权利人"), max_length=200)
    owner_id_number = models.CharField(_("权利人证件号"), max_length=18, db_index=True)
    share = models.CharField(_("共有情况"), max_length=30, default="单独所有")

    class Meta:
        verbose_name = _("不动产权利人")
        verbose_name_plural = _("不动产权利人")

    def __str__(self) -> str:
        return self.owner_name


class InsuranceEnrolment(models.Model):
    """A person's enrolment in one social insurance scheme."""

    id_number = models.CharField(_("公民身份号码"), max_length=18, db_index=True)
    name = models.CharField(_("姓名"), max_length=60)
    insurance_type = models.CharField(_("险种"), max_length=20, choices=InsuranceType.choices)
    employer_credit_code = models.CharField(_("参保单位信用代码"), max_length=18, blank=True)
    employer_name = models.CharField(_("参保单位"), max_length=200, blank=True)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("参保地"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("参保状态"), max_length=20, choices=EnrolmentStatus.choices)
    started_on = models.DateField(_("参保日期"))
    months_paid = models.PositiveIntegerField(_("累计缴费月数"), default=0)

    class Meta:
        verbose_name = _("社会保险参保")
        verbose_name_plural = _("社会保险参保")
        constraints = [
            models.UniqueConstraint(fields=["id_number", "insurance_type"], name="one_enrolment_per_scheme"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.get_insurance_type_display()}"


class HousingFundAccount(models.Model):
    account_number = models.CharField(_("公积金账号"), max_length=20, unique=True)
    id_number = models.CharField(_("公民身份号码"), max_length=18, db_index=True)
    name = models.CharField(_("姓名"), max_length=60)
    employer_credit_code = models.CharField(_("缴存单位信用代码"), max_length=18, blank=True)
    employer_name = models.CharField(_("缴存单位"), max_length=200, blank=True)
    balance = models.DecimalField(_("账户余额（元）"), max_digits=12, decimal_places=2)
    monthly_deposit = models.DecimalField(_("月缴存额（元）"), max_digits=10, decimal_places=2)
    is_active = models.BooleanField(_("正常缴存"), default=True)
    opened_on = models.DateField(_("开户日期"))

    class Meta:
        verbose_name = _("住房公积金账户")
        verbose_name_plural = _("住房公积金账户")

    def __str__(self) -> str:
        return self.account_number


class CreditRecord(models.Model):
    """A dishonesty-list entry or administrative penalty against a person or a legal person."""

    subject_code = models.CharField(_("主体证件号或信用代码"), max_length=18, db_index=True)
    subject_name = models.CharField(_("主体名称"), max_length=200)
    kind = models.CharField(_("类别"), max_length=20, choices=CreditRecordKind.choices)
    authority = models.CharField(_("认定机关"), max_length=200)
    document_number = models.CharField(_("决定文书号"), max_length=100)
    reason = models.TextField(_("事由"))
    decided_on = models.DateField(_("决定日期"))
    expires_on = models.DateField(_("公示截止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用记录")

    def __str__(self) -> str:
        return f"{self.subject_name} {self.get_kind_display()}"


class RecordChange(models.Model):
    """One change of a register record, kept for good: what changed from what to what, why, on what ground.

    Records are keyed by their identifier (ID number, credit code, certificate number), not by a foreign
    key, so the history outlives nothing it should not and reads like the register's own change book.
    """

    register = models.CharField(_("基础库"), max_length=30, choices=RegisterCode.choices)
    record_key = models.CharField(_("记录标识"), max_length=60)
    kind = models.CharField(_("变更类型"), max_length=30, choices=ChangeKind.choices)
    # {field: {"old": value, "new": value}}, values as plain JSON (dates ISO, amounts as strings)
    changes = models.JSONField(_("变更内容"), default=dict)
    reason = models.TextField(_("变更理由"))
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("经办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ground_kind = models.CharField(_("依据类别"), max_length=20, choices=ChangeGround.choices)
    ground_ref = models.CharField(_("依据"), max_length=100)
    changed_at = models.DateTimeField(_("变更时间"))

    class Meta:
        verbose_name = _("基础库变更记录")
        verbose_name_plural = _("基础库变更记录")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["register", "record_key"], name="registers_change_record_idx")]

    def __str__(self) -> str:
        return f"{self.get_register_display()} {self.get_kind_display()}"
