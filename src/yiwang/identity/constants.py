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
    PLATFORM_ADMIN = "platform_admin", _("平台管理员")
