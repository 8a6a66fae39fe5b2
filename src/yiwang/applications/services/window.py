"""One window (一窗受理): a clerk at the comprehensive window applies for a citizen, with the citizen's
consent, for any department's item, and hands the case to that department's back office.

The consent is the licenses' window consent (``licenses.services.create_consent_request``): the clerk's
page shows a QR code; the citizen scans it on their phone, signed in, and agrees ("窗口扫码授权"), which
grants the clerk's department the use of their 居民身份证 e-license for the day. The clerk then finds the
applicant by the ID number on the card in front of them: it must be the number of the citizen who agreed.
From there the application is the citizen's own (``cases.submit`` with ``actor`` the citizen, channel
``window`` and the clerk recorded), so prefill, licenses and the vault work as online; scanned paper is
kept as ``paper_scan``, trust "declared", and the visit is counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.audit.constants import GroundKind
from yiwang.audit.services import record_read
from yiwang.catalog.models import Implementation
from yiwang.catalog.selectors import evaluate_situation
from yiwang.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from yiwang.identity.models import User
from yiwang.identity.selectors import (
    assignment_with_permission,
    department_ids_with_permission,
    mask_id_number,
    mask_name,
)
from yiwang.licenses.models import Consent, ConsentRequest, LicenseType
from yiwang.licenses.services import create_consent_request
from yiwang.regions.models import Department

from ..constants import ApplicantKind, Channel, FormStatus, MaterialSource
from ..models import ApplicationForm, Case
from . import cases, materials, prefill
from .forms import visible_fields
from .uploads import StoredFile, discard_upload, store_upload

ACCEPT = "application.accept"
# The e-license the window consent is about: the applicant's resident ID card, read at the window.
WINDOW_LICENSE_TYPE = "ID_CARD"
WINDOW_PURPOSE = "一窗受理：窗口工作人员核验身份并代为录入申请"
WINDOW_CONSENT_DAYS = 1
APPLICANT_FOUND = "applications.window_applicant_found"


def _no_consent() -> NotFound:
    return NotFound("未找到申请人的窗口授权，请申请人扫码同意后再试", code="window_consent_not_found")


def window_departments(*, actor: Any) -> QuerySet[Department]:
    """The departments in whose name the clerk works at the window (``application.accept``)."""
    return Department.objects.filter(pk__in=department_ids_with_permission(actor, ACCEPT)).order_by("name")


@transaction.atomic
def request_window_consent(*, actor: Any, department: Department) -> tuple[ConsentRequest, str]:
    """The window's consent request; the token goes into the QR code the citizen scans (shown once)."""
    if not window_departments(actor=actor).filter(pk=department.pk).exists():
        raise PermissionDenied("仅窗口受理人员可以代为录入申请", code="window_clerk_required")
    license_type = LicenseType.objects.filter(code=WINDOW_LICENSE_TYPE).first()
    if license_type is None:
        raise Conflict("尚未配置居民身份证电子证照类型，无法发起窗口授权", code="window_consent_unavailable")
    return create_consent_request(
        actor=actor,
        requester=department,
        license_type=license_type,
        purpose=WINDOW_PURPOSE,
        consent_days=WINDOW_CONSENT_DAYS,
    )


@dataclass(frozen=True)
class WindowApplicant:
    """The citizen at the window and the consent the clerk acts under."""

    request: ConsentRequest
    consent: Consent
    user: User
    holder_code: str

    @property
    def masked_name(self) -> str:
        return mask_name(self.user.full_name)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.holder_code)


def access_own_window_request(*, actor: Any, request_id: int) -> ConsentRequest:
    """The clerk's own window consent request (while they still work at that window); else not found."""
    request = (
        ConsentRequest.objects.select_related("requester", "consent__granted_by")
        .filter(pk=request_id, requested_by_id=getattr(actor, "pk", None), purpose=WINDOW_PURPOSE)
        .first()
    )
    if (
        request is None
        or assignment_with_permission(actor=actor, permission=ACCEPT, department_id=request.requester_id)
        is None
    ):
        raise _no_consent()
    return request


def access_window_applicant(*, actor: Any, request_id: int) -> WindowApplicant:
    """The applicant who agreed to this clerk's window request, while the consent is in force."""
    request = access_own_window_request(actor=actor, request_id=request_id)
    consent = request.consent
    if consent is None:
        if request.expires_at <= timezone.now():
            raise NotFound("授权二维码已过期，请重新生成", code="window_consent_expired")
        raise Conflict("申请人尚未扫码同意授权", code="window_consent_pending")
    user = consent.granted_by
    in_force = consent.revoked_at is None and consent.expires_at > timezone.now()
    # Only the citizen in person: the one who agreed is the holder of the ID number (no agent here).
    if not in_force or not user.is_active or (user.id_number or "").upper() != consent.holder_code.upper():
        raise _no_consent()
    return WindowApplicant(request=request, consent=consent, user=user, holder_code=consent.holder_code)


@transaction.atomic
def find_window_applicant(*, actor: Any, request_id: int, id_number: str) -> WindowApplicant:
    """The applicant by the ID number on the card shown, who must be the citizen who agreed (logged)."""
    applicant = access_window_applicant(actor=actor, request_id=request_id)
    if (id_number or "").strip().upper() != applicant.holder_code.upper():
        raise NotFound(
            "身份证号码与扫码授权的申请人不一致，请核对申请人证件", code="window_applicant_mismatch"
        )
    assignment = assignment_with_permission(
        actor=actor, permission=ACCEPT, department_id=applicant.request.requester_id
    )
    record_read(
        action=APPLICANT_FOUND,
        actor=actor,
        subject=applicant.holder_code,
        fields=("name", "id_number"),
        purpose=WINDOW_PURPOSE,
        target=applicant.consent,
        department=applicant.request.requester,
        ground_kind=GroundKind.CONSENT,
        ground_ref=str(applicant.consent.pk),
        actor_role=assignment.role if assignment else "",
        actor_department=assignment.department if assignment else None,
        actor_region_code=assignment.region_id if assignment else "",
    )
    return applicant


# What the window offers --------------------------------------------------------------------------


def list_window_implementations(*, query: str = "", limit: int = 50) -> list[Implementation]:
    """Every department's implementations with an active online form (name, item or department)."""
    implementation_ids = ApplicationForm.objects.filter(status=FormStatus.ACTIVE).values("implementation_id")
    found = Implementation.objects.filter(
        pk__in=implementation_ids, is_active=True, item__is_active=True
    ).select_related("item", "department", "region")
    query = (query or "").strip()
    if query:
        found = found.filter(
            Q(name__icontains=query) | Q(item__name__icontains=query) | Q(department__name__icontains=query)
        )
    return list(found.order_by("department__name", "name", "pk")[:limit])


def get_window_implementation(*, code: str) -> tuple[Implementation, ApplicationForm]:
    form = (
        ApplicationForm.objects.select_related("implementation__item", "implementation__department")
        .filter(implementation__code=code, status=FormStatus.ACTIVE, implementation__is_active=True)
        .first()
    )
    if form is None:
        raise NotFound("未找到可在窗口申报的事项", code="implementation_not_found")
    return form.implementation, form


@dataclass(frozen=True)
class WindowForm:
    """What the clerk fills for the applicant: the visible fields, the prefilled values, the materials."""

    fields: list[dict[str, Any]]
    prefilled: dict[str, dict[str, Any]]
    materials: list[materials.MaterialPlanItem]
    unanswered: list[Any]
    questions: list[Any]


def prepare_window_form(
    *,
    applicant: WindowApplicant,
    implementation: Implementation,
    form: ApplicationForm,
    situation: Mapping[str, Any],
    data: Mapping[str, Any],
    reference: str,
) -> WindowForm:
    """The form for these situation answers, prefilled for the applicant (reads logged under the
    application's reference), and the materials' plan (licenses, vault, shared data, scans)."""
    result = evaluate_situation(implementation=implementation, answers=dict(situation))
    shown = visible_fields(
        schema=form.schema, situation=dict(situation), data=dict(data), applicant_kind=ApplicantKind.PERSON
    )
    found = prefill.prefill(
        schema=form.schema,
        actor=applicant.user,
        holder_code=applicant.holder_code,
        applicant_kind=ApplicantKind.PERSON,
        department=implementation.department,
        purpose=prefill.purpose_for(implementation=implementation, reference=reference),
        data=dict(data),
        only=[item["key"] for item in shown],
    )
    plan = materials.plan(
        implementations=[implementation],
        situation=dict(situation),
        actor=applicant.user,
        holder_code=applicant.holder_code,
    )
    return WindowForm(
        fields=shown,
        prefilled=dict(found),
        materials=plan,
        unanswered=list(result.unanswered),
        questions=list(result.visible_questions),
    )


def _store(files: Mapping[str, Any]) -> dict[str, StoredFile]:
    stored: dict[str, StoredFile] = {}
    try:
        for key, uploaded in files.items():
            stored[key] = store_upload(uploaded_file=uploaded)
    except DomainError:
        for one in stored.values():
            discard_upload(one)
        raise
    return stored


def submit_at_window(
    *,
    actor: Any,
    applicant: WindowApplicant,
    implementation: Implementation,
    situation: Mapping[str, Any],
    data: Mapping[str, Any],
    prefilled_claims: Mapping[str, Any],
    files: Mapping[str, Any],
    idempotency_key: str,
) -> tuple[Case, bool]:
    """Submit for the applicant through the window: paper scans stored, one visit counted, the case in
    the accepting department's queue. Returns the case and whether this call created it."""
    wanted = {
        item.key
        for item in materials.plan(
            implementations=[implementation],
            situation=dict(situation),
            actor=applicant.user,
            holder_code=applicant.holder_code,
        )
        if item.satisfied_by == MaterialSource.UPLOAD
    }
    uploads = _store({key: one for key, one in files.items() if key in wanted})
    try:
        return cases.submit(
            actor=applicant.user,
            implementation=implementation,
            applicant_kind=ApplicantKind.PERSON,
            holder_code=applicant.holder_code,
            situation=dict(situation),
            data=dict(data),
            prefilled_claims=dict(prefilled_claims),
            uploads=uploads,
            channel=Channel.WINDOW,
            idempotency_key=idempotency_key,
            window_clerk=actor,
        )
    except Exception:
        for one in uploads.values():
            discard_upload(one)
        raise
