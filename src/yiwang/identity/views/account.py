"""My account: assurance level, phone, mandates, signed-in systems; stepping up to level 3 or 4."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiwang.core.errors import DomainError

from ..constants import AssuranceLevel
from ..face import get_face_provider
from ..forms import FaceForm, PhoneCodeForm, PhoneForm
from ..models import ClientSession
from ..selectors import list_enterprises_represented, list_mandates_given, list_mandates_received
from ..selectors.staff_roles import list_own_staff_roles
from ..services import confirm_register_verification, start_register_verification, verify_face
from .common import safe_next


@login_required
def account(request):
    user = request.user
    signed_in = (
        ClientSession.objects.filter(user=user).select_related("application").order_by("-created_at")[:20]
    )
    return render(
        request,
        "identity/account.html",
        {
            "levels": AssuranceLevel.choices,
            "mandates_given": list_mandates_given(user=user),
            "mandates_received": list_mandates_received(user=user),
            "signed_in": signed_in,
            "enterprises": list_enterprises_represented(user=user),
            "staff_roles": list_own_staff_roles(user=user) if user.is_staff_member else [],
        },
    )


def _target_level(request) -> int:
    try:
        level = int(request.GET.get("level") or request.POST.get("level") or AssuranceLevel.REGISTER_VERIFIED)
    except ValueError:
        level = AssuranceLevel.REGISTER_VERIFIED
    return min(max(level, AssuranceLevel.FORMAT_CHECKED), AssuranceLevel.FACE_VERIFIED)


@login_required
@require_http_methods(["GET", "POST"])
def step_up(request):
    """Raise the assurance level to what the service at ``next`` needs, one step at a time."""
    level = _target_level(request)
    next_url = safe_next(request, "/accounts/")
    user = request.user
    if user.assurance_level >= level:
        messages.success(request, _("实名等级已满足要求。"))
        return redirect(next_url)
    context = {"level": level, "level_label": AssuranceLevel(level).label, "next": next_url}
    if user.assurance_level < AssuranceLevel.REGISTER_VERIFIED:
        return _step_up_to_3(request, context)
    return _step_up_to_4(request, context)


def _step_up_to_3(request, context):
    user = request.user
    phone_form = PhoneForm(
        request.POST if request.POST.get("step") == "send" else None, initial={"phone": user.phone}
    )
    code_form = PhoneCodeForm(request.POST if request.POST.get("step") == "confirm" else None)
    if request.method == "POST" and request.POST.get("step") == "send" and phone_form.is_valid():
        try:
            start_register_verification(user=user, phone=phone_form.cleaned_data["phone"])
        except DomainError as error:
            phone_form.add_error(None, error.message)
        else:
            messages.info(request, _("已通过人口库比对，验证码已发送到您的手机。"))
            code_form = PhoneCodeForm(initial={"phone": phone_form.cleaned_data["phone"]})
            context["code_sent"] = True
    elif request.method == "POST" and request.POST.get("step") == "confirm" and code_form.is_valid():
        try:
            confirm_register_verification(
                user=user, phone=code_form.cleaned_data["phone"], code=code_form.cleaned_data["code"]
            )
        except DomainError as error:
            code_form.add_error(None, error.message)
            context["code_sent"] = True
        else:
            messages.success(request, _("已完成三级实名认证。"))
            return redirect(request.get_full_path())
    context.update({"phone_form": phone_form, "code_form": code_form, "stage": 3})
    return render(request, "identity/step_up.html", context)


def _step_up_to_4(request, context):
    try:
        provider = get_face_provider()
    except Exception:  # misconfigured provider: level 4 is unavailable, say so rather than crash
        provider = None
    form = FaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verify_face(user=request.user, sample=form.cleaned_data["sample"])
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已完成四级实名认证（人脸核验）。"))
            return redirect(request.get_full_path())
    context.update(
        {
            "face_form": form,
            "stage": 4,
            "face_available": provider is not None,
            "sample_hint": provider.sample_hint(user=request.user) if provider else "",
        }
    )
    return render(request, "identity/step_up.html", context)
