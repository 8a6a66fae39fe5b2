"""Words of the identity domain: assurance levels, staff roles, mandate scopes and audit actions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssuranceLevel(models.IntegerChoices):
    """Real-name assurance (实名等级) as provincial platforms grade it."""

    REGISTERED = 1, _("一级：注册用户")
    FORMAT_CHECKED = 2, _("二级：身份信息格式校验")
    REGISTER_VERIFIED = 3, _("三级：人口库比对 + 手机验证")
    FACE_VERIFIED = 4, _("四级：人脸核验")
    CERTIFICATE = 5, _("五级：数字证书或现场核验")


class StaffRole(models.TextChoices):
    WINDOW_CLERK = "window_clerk", _("窗口受理人员")
    APPROVER = "approver", _("审批人员")
    DATA_ADMIN = "data_admin", _("部门数据管理员")
    LICENSE_ADMIN = "license_admin", _("证照管理员")
    SUPERVISOR = "supervisor", _("效能监察人员")
    # The head of a department (部门负责人): receives its yellow and red cards, answers its rectification
    # tickets and complaints, appeals reviews it believes wrongful.
    DEPARTMENT_HEAD = "department_head", _("部门负责人")
    PLATFORM_ADMIN = "platform_admin", _("平台管理员")
    # 三员分立: the auditor reads the audit log of their department; the platform administrator cannot.
    AUDITOR = "auditor", _("审计员")


class AuditAction(models.TextChoices):
    """Past-tense names of every state change the identity services make."""

    USER_REGISTERED = "identity.user_registered", _("注册账号")
    REGISTRATION_REFUSED = "identity.registration_refused", _("注册被拒绝")
    LOGGED_IN = "identity.logged_in", _("登录")
    LOGIN_FAILED = "identity.login_failed", _("登录失败")
    LOGGED_OUT = "identity.logged_out", _("退出登录")
    ASSURANCE_RAISED = "identity.assurance_raised", _("实名等级提升")
    ASSURANCE_REFUSED = "identity.assurance_refused", _("实名核验未通过")
    PHONE_CODE_SENT = "identity.phone_code_sent", _("发送手机验证码")
    PHONE_CODE_REFUSED = "identity.phone_code_refused", _("手机验证码校验失败")
    PHONE_VERIFIED = "identity.phone_verified", _("手机号已验证")
    ENTERPRISE_BOUND = "identity.enterprise_bound", _("绑定企业")
    ENTERPRISE_BIND_REFUSED = "identity.enterprise_bind_refused", _("绑定企业被拒绝")
    MANDATE_GRANTED = "identity.mandate_granted", _("授权委托")
    MANDATE_REVOKED = "identity.mandate_revoked", _("撤销委托")
    MANDATE_REFUSED = "identity.mandate_refused", _("委托范围外操作被拒绝")
    MANDATE_GRANT_REFUSED = "identity.mandate_grant_refused", _("授权委托被拒绝")
    ACTED_FOR = "identity.acted_for", _("代办操作")
    STAFF_CREATED = "identity.staff_created", _("创建工作人员账号")
    STAFF_ROLE_GRANTED = "identity.staff_role_granted", _("授予工作人员角色")
    STAFF_ROLE_REVOKED = "identity.staff_role_revoked", _("撤销工作人员角色")
    STAFF_ACTION_REFUSED = "identity.staff_action_refused", _("工作人员越权操作被拒绝")
    TOTP_DEVICE_CONFIRMED = "identity.totp_confirmed", _("绑定动态口令")
    CLIENT_SIGNED_IN = "identity.client_signed_in", _("单点登录到业务系统")
    SIGNED_OUT_EVERYWHERE = "identity.signed_out_everywhere", _("全网退出")
    CLIENT_KEY_REGISTERED = "identity.client_key_registered", _("登记业务系统公钥")
    CLIENT_KEY_REVOKED = "identity.client_key_revoked", _("撤销业务系统公钥")
    CLIENT_AUTH_METHOD_CHANGED = "identity.client_auth_method_changed", _("变更业务系统认证方式")
    PASSWORD_RESET = "identity.password_reset", _("通过手机找回密码")
    PASSWORD_RESET_REFUSED = "identity.password_reset_refused", _("找回密码被拒绝")
    PHONE_CHANGED = "identity.phone_changed", _("更换手机号")
    PHONE_CHANGE_REFUSED = "identity.phone_change_refused", _("更换手机号被拒绝")
    SMS_LOGIN_REFUSED = "identity.sms_login_refused", _("短信验证码登录被拒绝")
    FAVOURITE_ADDED = "identity.favourite_added", _("收藏服务")
    FAVOURITE_REMOVED = "identity.favourite_removed", _("取消收藏服务")


class TokenAuthMethod(models.TextChoices):
    """How a system proves itself at the token endpoint (OIDC ``token_endpoint_auth_method``)."""

    CLIENT_SECRET = "client_secret_basic", _("客户端密钥（client_secret_basic / client_secret_post）")
    PRIVATE_KEY_JWT = "private_key_jwt", _("私钥签名断言（private_key_jwt）")


class PhoneCodePurpose(models.TextChoices):
    VERIFY_PHONE = "verify_phone", _("验证手机号")
    STEP_UP = "step_up", _("提升实名等级")
    RESET_PASSWORD = "reset_password", _("找回密码")
    CHANGE_PHONE = "change_phone", _("更换手机号")
    LOGIN = "login", _("短信验证码登录")


# The privacy notice (隐私政策) a citizen accepts at registration; its version is kept on the account. A new
# version is a new text in identity/privacy.html and a new value here.
PRIVACY_NOTICE_VERSION = "2026-12"


class PrincipalKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    PERSON = "person", _("个人")


# Staff permissions, each granted by roles; a role's permissions apply only within its department and region.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    # hall.serve: call queue numbers (叫号) at the windows of their department (yiwang.halls).
    StaffRole.WINDOW_CLERK: frozenset(
        {"application.accept", "application.view", "register.read", "hall.serve"}
    ),
    StaffRole.APPROVER: frozenset({"application.view", "application.decide", "register.read"}),
    # search.curate: turn missed searches into synonyms and keywords of their department's items (search).
    StaffRole.DATA_ADMIN: frozenset({"register.read", "register.manage", "exchange.manage", "search.curate"}),
    StaffRole.LICENSE_ADMIN: frozenset({"license.issue", "license.revoke", "license.view"}),
    # A supervisor (效能监察) oversees every department within the region of their role, not only their own
    # department: supervision.selectors asks identity.selectors.assignment_covering_region for them.
    StaffRole.SUPERVISOR: frozenset(
        {"supervision.view", "supervision.oversee", "application.view", "staff.view"}
    ),
    StaffRole.DEPARTMENT_HEAD: frozenset(
        {"supervision.view", "supervision.respond", "complaint.handle", "application.view", "staff.view"}
    ),
    # The platform administrator gives the exchange's second approval of grade-4 (核心) data items.
    StaffRole.PLATFORM_ADMIN: frozenset(
        {"staff.manage", "staff.view", "client.manage", "exchange.approve_sensitive"}
    ),
    StaffRole.AUDITOR: frozenset({"audit.view", "audit.export", "audit.handle_report"}),
}


# What each role may do in the Django admin (the back office): model permissions by action, keyed by app
# ("licenses") or by one model ("licenses.licensetype"). These say which pages open; what rows a page
# shows is scoped in each admin.py to the departments where the user holds the role (as in the API).
_ALL = ("view", "add", "change", "delete")
ADMIN_ACCESS: dict[str, dict[str, tuple[str, ...]]] = {
    # 三员分立 (等保三级): the platform administrator (系统管理员) manages staff, departments, the catalog
    # and OIDC clients, but reads no personal data: not licenses, consents or uses of holders, not
    # mandates or sign-in sessions, not the audit log (that is the auditor's). Hence model-level
    # grants in identity and licenses instead of the whole apps.
    StaffRole.PLATFORM_ADMIN: {
        **dict.fromkeys(("catalog", "search", "core", "regions", "oauth2_provider"), _ALL),
        **dict.fromkeys(
            (
                "identity.user",
                "identity.staffassignment",
                "identity.enterprise",
                "identity.clientprofile",
                "identity.clientkey",
            ),
            _ALL,
        ),
        "licenses.licensetype": _ALL,
        "supervision.cardrule": _ALL,  # the yellow-card rule (supervision/admin.py scopes and audits it)
        # Webhook endpoints, their deliveries (no payloads shown) and the signing key's PEM.
        **dict.fromkeys(
            ("notifications.webhookendpoint", "notifications.delivery", "notifications.webhookkey"), _ALL
        ),
    },
    StaffRole.DATA_ADMIN: {"catalog": _ALL, "search": ("view",), "exchange": ("view",)},
    StaffRole.LICENSE_ADMIN: {"licenses": ("view",)},
    StaffRole.SUPERVISOR: {"catalog": ("view",), "search": ("view",), "supervision.cardrule": _ALL},
    StaffRole.DEPARTMENT_HEAD: {"catalog": ("view",)},
    # 审计员 (安全审计员): reads the audit log of their departments, read-only (audit/admin.py scopes it).
    StaffRole.AUDITOR: {"audit": ("view",)},
}
