"""Registration, login (staff add a TOTP step), and logging out everywhere."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.core.errors import DomainError

from ..constants import PRIVACY_NOTICE_VERSION
from ..forms import LoginForm, RegistrationForm, TokenForm
from ..login_throttle import count_login_failure, login_is_throttled
from ..models import User
from ..oidc.sessions import sign_out_everywhere
from ..services import confirm_totp_device, record_login, record_login_failure, register_citizen
from .common import client_ip, safe_next

PENDING_KEY = "identity_pending_staff"
PENDING_SECONDS = 300
STAFF_LANDING = "/cases/workbench/"


@require_http_methods(["GET", "POST"])
def register(request):
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = register_citizen(
                username=data["username"],
                password=data["password"],
                surname=data["surname"],
                given_name=data["given_name"],
                id_number=data["id_number"],
                phone=data["phone"],
                ip_address=client_ip(request),
                privacy_notice_version=PRIVACY_NOTICE_VERSION,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("注册成功，当前实名等级为二级。"))
            return redirect(safe_next(request, "/accounts/"))
    return render(request, "identity/register.html", {"form": form, "next": safe_next(request, "")})


def _log_failure(request, username: str, reason: str = "bad_credentials") -> None:
    record_login_failure(username=username, reason=reason, ip_address=client_ip(request))


@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request.POST or None)
    next_url = safe_next(request, "/accounts/")
    if request.method == "POST" and form.is_valid():
        password, ip_address = form.cleaned_data["password"], client_ip(request)
        if login_is_throttled(ip_address=ip_address, password=password):
            _log_failure(request, form.cleaned_data["username"], reason="throttled")
            return render(request, "identity/login_throttled.html", status=429)
        user = authenticate(request, username=form.cleaned_data["username"], password=password)
        if getattr(request, "axes_locked_out", False):
            _log_failure(request, form.cleaned_data["username"], reason="locked_out")
            return render(request, "identity/locked_out.html", status=429)
        if user is None:
            count_login_failure(ip_address=ip_address, password=password)
            _log_failure(request, form.cleaned_data["username"])
            form.add_error(None, _("用户名或密码不正确；连续多次错误将暂时锁定登录。"))
        elif user.is_staff_member:
            request.session[PENDING_KEY] = {
                "user": user.pk,
                "at": timezone.now().timestamp(),
                "next": _staff_landing(request),
            }
            return redirect("identity:login_totp")
        else:
            _complete_login(request, user)
            return redirect(next_url)
    return render(request, "identity/login.html", {"form": form, "next": next_url})


def _staff_landing(request) -> str:
    """Staff land on their workbench, unless they were on their way to a page other than the home page."""
    target = safe_next(request, STAFF_LANDING)
    return STAFF_LANDING if target in ("/", "/accounts/") else target


def _complete_login(request, user: User, device=None) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if device is not None:
        otp_login(request, device)
    record_login(
        user=user, second_factor="totp" if device is not None else "", ip_address=client_ip(request)
    )


def _pending_staff(request) -> tuple[User | None, str]:
    pending = request.session.get(PENDING_KEY)
    if not pending or timezone.now().timestamp() - pending["at"] > PENDING_SECONDS:
        return None, "/accounts/"
    return User.objects.filter(pk=pending["user"], is_active=True, is_staff_member=True).first(), pending[
        "next"
    ]


def _qr_svg(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@require_http_methods(["GET", "POST"])
def login_totp(request):
    """Second step for staff: the TOTP token, or enrolment of a first device."""
    user, next_url = _pending_staff(request)
    if user is None:
        messages.error(request, _("登录已超时，请重新输入用户名和密码。"))
        return redirect("identity:login")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name=_("动态口令"), confirmed=False
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                confirm_totp_device(user=user, device=device)
            request.session.pop(PENDING_KEY, None)
            _complete_login(request, user, device)
            return redirect(next_url)
        _log_failure(request, user.username)
        form.add_error("token", _("动态口令不正确或已过期"))
    context = {"form": form, "enrolling": enrolling, "staff_user": user}
    if enrolling:
        context["qr_svg"] = _qr_svg(device)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "identity/login_totp.html", context)


@require_POST
def logout_view(request):
    """Log out of the platform and of every departmental system signed in through it."""
    if request.user.is_authenticated:
        sign_out_everywhere(user=request.user)
    logout(request)
    messages.success(request, _("您已退出登录，并已通知各业务系统同步退出。"))
    return redirect("/")
