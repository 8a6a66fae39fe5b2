"""Account pages under /accounts/ (namespace ``identity``)."""

from django.urls import path

from .views import account, auth, enterprise, staff

app_name = "identity"
urlpatterns = [
    path("", account.account, name="account"),
    path("register/", auth.register, name="register"),
    path("login/", auth.login_view, name="login"),
    path("login/totp/", auth.login_totp, name="login_totp"),
    path("logout/", auth.logout_view, name="logout"),
    path("step-up/", account.step_up, name="step_up"),
    path("enterprise/", enterprise.enterprise_space, name="enterprise"),
    path("mandates/<int:mandate_id>/revoke/", enterprise.revoke, name="revoke_mandate"),
    path("acting/", enterprise.choose_acting, name="acting"),
    path("services/<str:code>/start/", enterprise.start_service, name="start_service"),
    path("staff/", staff.directory, name="staff_directory"),
]
