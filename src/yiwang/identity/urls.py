"""Account pages under /accounts/ (namespace ``identity``)."""

from django.urls import path

from .views import account, auth, care, enterprise, staff

app_name = "identity"
urlpatterns = [
    path("", account.account, name="account"),
    path("register/", auth.register, name="register"),
    path("login/", auth.login_view, name="login"),
    path("login/totp/", auth.login_totp, name="login_totp"),
    path("logout/", auth.logout_view, name="logout"),
    path("login/sms/", care.sms_login, name="sms_login"),
    path("password/forgot/", care.forgot_password, name="forgot_password"),
    path("phone/", care.change_phone, name="change_phone"),
    path("privacy/", care.privacy, name="privacy"),
    path("step-up/", account.step_up, name="step_up"),
    path("enterprise/", enterprise.enterprise_space, name="enterprise"),
    path("mandates/<int:mandate_id>/revoke/", enterprise.revoke, name="revoke_mandate"),
    path("acting/", enterprise.choose_acting, name="acting"),
    path("services/<str:code>/start/", enterprise.start_service, name="start_service"),
    path("staff/", staff.directory, name="staff_directory"),
]
