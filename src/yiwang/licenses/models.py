"""License types, signing keys, issued licenses with their status history, consents and notices."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .constants import (
    ConsentChannel,
    HolderKind,
    ImportStatus,
    KeyStatus,
    LicenseStatus,
    NoticeKind,
    TrustLevel,
    ValidityKind,
)

_USER = settings.AUTH_USER_MODEL


class LicenseType(models.Model):
    """A kind of license in the catalog (证照目录), with the schema its surface data must follow."""

    code = models.CharField(_("证照类型代码"), max_length=32, unique=True)
    name = models.CharField(_("证照名称"), max_length=100)
    holder_kind = models.CharField(_("持证主体类型"), max_length=20, choices=HolderKind.choices)
    issuer_description = models.CharField(_("签发机构类别"), max_length=100, blank=True)
    issuing_departments = models.ManyToManyField(
        "regions.Department", verbose_name=_("签发部门"), blank=True, related_name="license_types"
    )
    field_schema = models.JSONField(_("照面信息结构（JSON Schema）"), default=dict)
    validity_kind = models.CharField(_("有效期规则"), max_length=20, choices=ValidityKind.choices)
    validity_years = models.PositiveSmallIntegerField(_("有效年限"), null=True, blank=True)
    display_layout = models.JSONField(
        _("展示模板"), default=list, blank=True, help_text=_('按顺序展示的照面字段：[{"field", "label"}]')
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照目录")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class SigningKey(models.Model):
    """One SM2 key pair of an issuing department; retired keys keep verifying what they signed."""

    key_id = models.CharField(_("密钥标识"), max_length=32, unique=True)
    department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("签发部门"),
        on_delete=models.PROTECT,
        related_name="signing_keys",
    )
    backend = models.CharField(_("签名后端"), max_length=30)
    public_key = models.CharField(_("公钥（十六进制 x||y）"), max_length=128)
    sealed_private_key = models.BinaryField(_("加密私钥（SM4-GCM）"), null=True, blank=True, editable=False)
    backend_handle = models.CharField(_("后端密钥句柄"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=KeyStatus.choices, default=KeyStatus.ACTIVE)
    activated_at = models.DateTimeField(_("启用时间"))
    retired_at = models.DateTimeField(_("轮换时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")
        ordering = ["department_id", "-activated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["department"],
                condition=models.Q(status="active"),
                name="one_active_key_per_department",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key_id} ({self.get_status_display()})"


class LicenseSerial(models.Model):
    """The last serial used for one type, issuer and year; incremented under a row lock."""

    license_type = models.ForeignKey(LicenseType, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("regions.Department", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["license_type", "department", "year"], name="one_serial_counter")
        ]

    def __str__(self) -> str:
        return f"{self.license_type_id}/{self.department_id}/{self.year}: {self.last_serial}"


class ImportJob(models.Model):
    """A department's bulk import of historical licenses; all rows or none."""

    department = models.ForeignKey("regions.Department", verbose_name=_("签发部门"), on_delete=models.PROTECT)
    license_type = models.ForeignKey(LicenseType, verbose_name=_("证照类型"), on_delete=models.PROTECT)
    uploaded_by = models.ForeignKey(
        _USER, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    stored_file = models.CharField(_("存储路径"), max_length=200, blank=True, editable=False)
    status = models.CharField(
        _("状态"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    imported_count = models.PositiveIntegerField(_("已导入"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("证照批量导入")
        verbose_name_plural = _("证照批量导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class License(models.Model):
    """An issued e-license: surface data, validity, status and the issuer's SM2 signature."""

    identifier = models.CharField(_("证照标识"), max_length=80, unique=True)
    license_type = models.ForeignKey(LicenseType, verbose_name=_("证照类型"), on_delete=models.PROTECT)
    issuer = models.ForeignKey(
        "regions.Department", verbose_name=_("签发部门"), on_delete=models.PROTECT, related_name="licenses"
    )
    holder_kind = models.CharField(_("持证主体类型"), max_length=20, choices=HolderKind.choices)
    holder_code = models.CharField(_("持证主体证件号"), max_length=18, db_index=True)
    holder_name = models.CharField(_("持证主体名称"), max_length=200)
    surface = models.JSONField(_("照面信息"), default=dict)
    issued_on = models.DateField(_("签发日期"))
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True, help_text=_("空为长期有效"))
    status = models.CharField(
        _("状态"), max_length=20, choices=LicenseStatus.choices, default=LicenseStatus.VALID
    )
    trust_level = models.CharField(
        _("可信等级"), max_length=1, choices=TrustLevel.choices, default=TrustLevel.A
    )
    signing_key = models.ForeignKey(SigningKey, verbose_name=_("签名密钥"), on_delete=models.PROTECT)
    payload = models.JSONField(_("签名内容"), help_text=_("其 RFC 8785 规范化形式即被签名的字节"))
    signature = models.BinaryField(_("SM2 签名（DER）"))
    issued_by = models.ForeignKey(
        _USER, verbose_name=_("签发人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    import_job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["holder_code", "status"], name="license_holder_status_idx")]

    def __str__(self) -> str:
        return self.identifier


class LicenseStatusChange(models.Model):
    """Append-only history of a license's status."""

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("原状态"), max_length=20, choices=LicenseStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=LicenseStatus.choices)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    changed_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证照状态变更")
        verbose_name_plural = _("证照状态变更")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.license_id}: {self.from_status} → {self.to_status}"


class Consent(models.Model):
    """The holder's permission (用证授权) for a requester to read a license or a type, for a purpose."""

    holder_code = models.CharField(_("持证主体证件号"), max_length=18, db_index=True)
    license = models.ForeignKey(
        License,
        verbose_name=_("证照"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="consents",
    )
    license_type = models.ForeignKey(
        LicenseType,
        verbose_name=_("证照类型"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requester = models.ForeignKey(
        "regions.Department",
        verbose_name=_("用证部门"),
        on_delete=models.PROTECT,
        related_name="license_consents",
    )
    requester_system = models.CharField(_("用证系统"), max_length=100, blank=True)
    purpose = models.CharField(_("用途"), max_length=200)
    expires_at = models.DateTimeField(_("授权截止时间"))
    channel = models.CharField(_("授权方式"), max_length=20, choices=ConsentChannel.choices)
    granted_by = models.ForeignKey(
        _USER, verbose_name=_("授权人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("用证授权")
        verbose_name_plural = _("用证授权")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(license__isnull=False, license_type__isnull=True)
                | models.Q(license__isnull=True, license_type__isnull=False),
                name="consent_names_a_license_or_a_type",
            )
        ]

    def __str__(self) -> str:
        return f"{self.holder_code[:4]}… → {self.requester_id}: {self.purpose}"


class ConsentRequest(models.Model):
    """A window's request for consent, shown as a QR code the holder scans to grant it."""

    token_hash = models.CharField(max_length=64, unique=True)
    requester = models.ForeignKey("regions.Department", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    license_type = models.ForeignKey(LicenseType, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(_("用途"), max_length=200)
    consent_days = models.PositiveSmallIntegerField(_("授权天数"), default=1)
    expires_at = models.DateTimeField(_("二维码有效期至"))
    consent = models.OneToOneField(
        Consent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.requester_id}: {self.purpose}"


class LicenseNotice(models.Model):
    """A status change told to a consent's requester or a pending window request (the notification hook)."""

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("类型"), max_length=30, choices=NoticeKind.choices)
    consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    consent_request = models.ForeignKey(
        ConsentRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    recipient = models.ForeignKey("regions.Department", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("证照状态通知")
        verbose_name_plural = _("证照状态通知")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.license_id} {self.get_kind_display()}"


class ShowToken(models.Model):
    """A short-lived code behind the QR a holder shows (亮证); only its hash is kept."""

    token_hash = models.CharField(max_length=64, unique=True)
    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    scans = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.license_id} until {self.expires_at:%H:%M}"
