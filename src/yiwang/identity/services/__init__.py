"""The identity domain's writes; each public service runs in one transaction and records its audit event."""

from .account_care import (
    add_favourite,
    confirm_phone_change,
    remove_favourite,
    reset_password,
    sms_login_user,
    start_password_reset,
    start_phone_change,
    start_sms_login,
)
from .accounts import (
    create_staff_member,
    grant_staff_role,
    register_citizen,
    revoke_staff_role,
    save_user_account,
)
from .admin_access import sync_admin_access, sync_all_admin_access
from .assurance import confirm_register_verification, start_register_verification, verify_face
from .client_keys import register_client_key, revoke_client_key, set_token_auth_method
from .logins import confirm_totp_device, record_login, record_login_failure
from .mandates import authorize_agent_action, bind_enterprise, grant_mandate, mandate_problem, revoke_mandate
from .phone_codes import consume_phone_code, send_phone_code
from .texts import send_text

__all__ = [
    "add_favourite",
    "authorize_agent_action",
    "bind_enterprise",
    "confirm_phone_change",
    "confirm_register_verification",
    "confirm_totp_device",
    "consume_phone_code",
    "create_staff_member",
    "grant_mandate",
    "grant_staff_role",
    "mandate_problem",
    "record_login",
    "record_login_failure",
    "register_citizen",
    "register_client_key",
    "remove_favourite",
    "reset_password",
    "revoke_client_key",
    "revoke_mandate",
    "revoke_staff_role",
    "save_user_account",
    "send_phone_code",
    "send_text",
    "set_token_auth_method",
    "sms_login_user",
    "start_password_reset",
    "start_phone_change",
    "start_register_verification",
    "start_sms_login",
    "sync_admin_access",
    "sync_all_admin_access",
    "verify_face",
]
