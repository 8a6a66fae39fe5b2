"""Audit actions and limits of terminal logins."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# A QR shown on a terminal is good for this long; the person scans and approves within it.
QR_CHALLENGE_SECONDS = 120


class TerminalAction(models.TextChoices):
    """Past-tense names of the terminal-login events in the audit log."""

    TERMINAL_ENROLLED = "identity.terminal_enrolled", _("自助终端登记")
    TERMINAL_ENROL_REFUSED = "identity.terminal_enrol_refused", _("自助终端登记被拒绝")
    TERMINAL_LOGGED_IN = "identity.terminal_logged_in", _("自助终端登录")
    TERMINAL_LOGIN_REFUSED = "identity.terminal_login_refused", _("自助终端登录被拒绝")
    TERMINAL_LOGIN_APPROVED = "identity.terminal_login_approved", _("手机确认自助终端登录")
    TERMINAL_LOGGED_OUT = "identity.terminal_logged_out", _("自助终端退出")
