"""Account care pages: forgot password and log in through a verified phone, change phone, privacy notice."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiwang.core.errors import DomainError

from ..constants import PRIVACY_NOTICE_VERSION
from ..forms import ChangePhoneForm, ConfirmPhoneForm, PhoneOnlyForm, ResetPasswordForm, SmsCodeLoginForm
from ..services import (
    confirm_phone_change,
    record_login,
    reset_password,
    sms_login_user,
    start_password_reset,
    start_phone_change,
    start_sms_login,
)
from .common import client_ip, safe_next


def _send_step(request, start) -> tuple[PhoneOnlyForm, str]:
    """Parse the phone and ask the service to text a code; returns the form and the phone once sent."""
    form = PhoneOnlyForm(request.POST if request.POST.get("step") == "send" else None)
    if request.method == "POST" and request.POST.get("step") == "send" and form.is_valid():
        try:
            start(phone=form.cleaned_data["phone"], ip_address=client_ip(request))
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.info(request, _("如该手机号已在本平台完成验证，验证码已发送，5分钟内有效。"))
            return form, form.cleaned_data["phone"].strip()
    return form, ""


@require_http_methods(["GET", "POST"])
def forgot_password(request):
    phone_form, sent_to = _send_step(request, start_password_reset)
    confirming = request.POST.get("step") == "confirm"
    reset_form = ResetPasswordForm(
        request.POST if confirming else None, initial={"phone": sent_to} if sent_to else None
    )
    if request.method == "POST" and confirming and reset_form.is_valid():
        data = reset_form.cleaned_data
        try:
            reset_password(
                phone=data["phone"],
                code=data["code"],
                new_password=data["password"],
                ip_address=client_ip(request),
            )
        except DomainError as error:
            reset_form.add_error(None, error.message)
        else:
            messages.success(request, _("密码已重置，请用新密码登录。"))
            return redirect("identity:login")
    context = {"phone_form": phone_form, "code_form": reset_form, "code_sent": bool(sent_to) or confirming}
    return render(request, "identity/forgot_password.html", context)


@require_http_methods(["GET", "POST"])
def sms_login(request):
    next_url = safe_next(request, "/me/")
    phone_form, sent_to = _send_step(request, start_sms_login)
    confirming = request.POST.get("step") == "confirm"
    code_form = SmsCodeLoginForm(
        request.POST if confirming else None, initial={"phone": sent_to} if sent_to else None
    )
    if request.method == "POST" and confirming and code_form.is_valid():
        try:
            user = sms_login_user(
                phone=code_form.cleaned_data["phone"],
                code=code_form.cleaned_data["code"],
                ip_address=client_ip(request),
            )
        except DomainError as error:
            code_form.add_error(None, error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            record_login(user=user, second_factor="sms", ip_address=client_ip(request))
            return redirect(next_url)
    context = {
        "phone_form": phone_form,
        "code_form": code_form,
        "code_sent": bool(sent_to) or confirming,
        "next": next_url,
    }
    return render(request, "identity/sms_login.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def change_phone(request):
    user = request.user
    step = request.POST.get("step")
    start_form = ChangePhoneForm(request.POST if step == "send" else None)
    confirm_form = ConfirmPhoneForm(request.POST if step == "confirm" else None)
    code_sent = step == "confirm"
    if request.method == "POST" and step == "send" and start_form.is_valid():
        data = start_form.cleaned_data
        try:
            start_phone_change(
                user=user,
                new_phone=data["new_phone"],
                password=data["password"],
                ip_address=client_ip(request),
            )
        except DomainError as error:
            start_form.add_error(None, error.message)
        else:
            messages.info(request, _("验证码已发送到新手机号，5分钟内有效。"))
            confirm_form = ConfirmPhoneForm(initial={"new_phone": data["new_phone"].strip()})
            code_sent = True
    elif request.method == "POST" and step == "confirm" and confirm_form.is_valid():
        try:
            confirm_phone_change(
                user=user,
                new_phone=confirm_form.cleaned_data["new_phone"],
                code=confirm_form.cleaned_data["code"],
                ip_address=client_ip(request),
            )
        except DomainError as error:
            confirm_form.add_error(None, error.message)
        else:
            messages.success(request, _("手机号已更换并验证。"))
            return redirect("identity:account")
    context = {"start_form": start_form, "confirm_form": confirm_form, "code_sent": code_sent}
    return render(request, "identity/change_phone.html", context)


def privacy(request):
    return render(request, "identity/privacy.html", {"version": PRIVACY_NOTICE_VERSION})
