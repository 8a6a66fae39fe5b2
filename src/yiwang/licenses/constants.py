"""Words of the licenses domain: holder kinds, statuses, trust levels, consent states and events."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

SIGNATURE_ALGORITHM = "SM2-with-SM3"
BUNDLE_FORMAT = "yiwang-license-bundle/1"
PAYLOAD_VERSION = 1
SHOW_TOKEN_SECONDS = 300
WINDOW_REQUEST_SECONDS = 600
CONSENT_MAX_DAYS = 366

# Topic announced (after commit) when a license is suspended, revoked or reinstated (yiwang.core.changes).
LICENSE_STATUS_CHANGED = "licenses.status_changed"


class HolderKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人")


class LicenseStatus(models.TextChoices):
    VALID = "valid", _("有效")
    SUSPENDED = "suspended", _("暂停")
    REVOKED = "revoked", _("注销/吊销")
    EXPIRED = "expired", _("已过期")


class TrustLevel(models.TextChoices):
    """国办函〔2016〕108号: how far a material can be relied on."""

    A = "A", _("A级：由实施机构签发，可直接使用")
    B = "B", _("B级：经窗口人员核验，可重复使用")
    C = "C", _("C级：用户上传，需核验原件")
    D = "D", _("D级：用户自行声明")


class ValidityKind(models.TextChoices):
    YEARS = "years", _("自签发之日起固定年限")
    LONG_TERM = "long_term", _("长期有效")
    EXPLICIT = "explicit", _("签发时指定截止日期")


class KeyStatus(models.TextChoices):
    ACTIVE = "active", _("使用中")
    RETIRED = "retired", _("已轮换（仍可验证）")


class ConsentStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    REVOKED = "revoked", _("已撤回")
    EXPIRED = "expired", _("已过期")


class ConsentChannel(models.TextChoices):
    PORTAL = "portal", _("网上授权")
    WINDOW_CODE = "window_code", _("窗口扫码授权")


class UseOutcome(models.TextChoices):
    GRANTED = "granted", _("已调用")
    REFUSED = "refused", _("被拒绝")


class NoticeKind(models.TextChoices):
    LICENSE_SUSPENDED = "license_suspended", _("证照已暂停")
    LICENSE_REVOKED = "license_revoked", _("证照已注销")
    LICENSE_REINSTATED = "license_reinstated", _("证照已恢复")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("导入中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败（未导入任何证照）")


class AuditAction(models.TextChoices):
    LICENSE_TYPE_SAVED = "licenses.license_type_saved", _("保存证照类型")
    KEY_GENERATED = "licenses.key_generated", _("生成签名密钥")
    KEY_ROTATED = "licenses.key_rotated", _("轮换签名密钥")
    LICENSE_ISSUED = "licenses.license_issued", _("签发证照")
    LICENSES_IMPORTED = "licenses.licenses_imported", _("批量导入证照")
    LICENSE_STATUS_CHANGED = "licenses.license_status_changed", _("变更证照状态")
    CONSENT_GRANTED = "licenses.consent_granted", _("授权用证")
    CONSENT_REVOKED = "licenses.consent_revoked", _("撤回用证授权")
    CONSENT_REQUESTED = "licenses.consent_requested", _("窗口发起用证授权")
    LICENSE_SHOWN = "licenses.license_shown", _("亮证")
    LICENSE_USED = "licenses.license_used", _("用证（依授权读取）")
    LICENSE_READ = "licenses.license_read", _("经办人或签发部门查看证照")
    LICENSE_SCANNED = "licenses.license_scanned", _("亮证码被扫描核验")
