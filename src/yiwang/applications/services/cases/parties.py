"""Who may apply for whom, and which staff may act on a case: the checks the case actions share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from yiwang.audit.constants import GroundKind
from yiwang.catalog.models import ServiceItem
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.identity.models import Enterprise, Mandate, StaffAssignment
from yiwang.identity.selectors import (
    department_ids_with_permission,
    list_active_mandates_received,
    required_level_label,
)

from ... import selectors
from ...constants import ApplicantKind
from ...models import Case


@dataclass(frozen=True)
class Applicant:
    """The holder an application is made for, and the mandate the actor applies under (if an agent)."""

    kind: str
    holder_code: str
    holder_name: str
    mandate: Mandate | None


def _check_assurance(actor: Any, items: Sequence[ServiceItem]) -> None:
    required = max((item.required_assurance_level for item in items), default=1)
    if actor.assurance_level < required:
        raise PermissionDenied(
            _("办理该事项需要实名认证达到“%(level)s”，请先提升实名等级")
            % {"level": required_level_label(required)},
            code="assurance_too_low",
            required=required,
        )


def _check_audience(kind: str, items: Sequence[ServiceItem]) -> None:
    for item in items:
        if item.audiences and kind not in item.audiences:
            raise InvalidInput(
                _("事项“%(item)s”不面向%(kind)s办理")
                % {"item": item.name, "kind": ApplicantKind(kind).label},
                code="audience_mismatch",
                item=item.code,
            )


def _covers(mandate: Mandate, items: Sequence[ServiceItem]) -> bool:
    covered = selectors.mandate_item_ids(mandate)
    return covered is None or all(item.pk in covered for item in items)


def _principal_name(mandate: Mandate) -> str:
    if mandate.enterprise is not None:
        return mandate.enterprise.name
    return mandate.granted_by.full_name


def _mandate_for(
    actor: Any, *, kind: str, holder_code: str, mandate: Mandate | None, items: Sequence[ServiceItem]
) -> Mandate:
    """The actor's mandate in force for the holder covering every item (the one named, if any)."""
    candidates = list_active_mandates_received(user=actor)
    if mandate is not None:
        candidates = candidates.filter(pk=mandate.pk)
    wanted_kind = "enterprise" if kind == ApplicantKind.ENTERPRISE else "person"
    for candidate in candidates:
        if (
            candidate.principal_kind == wanted_kind
            and selectors.principal_code(candidate) == holder_code
            and _covers(candidate, items)
        ):
            return candidate
    raise PermissionDenied(
        _("您没有代该申请主体办理此事项的有效授权委托（委托须在有效期内并包含该事项）"),
        code="mandate_required",
    )


def resolve_applicant(
    *, actor: Any, kind: str, holder_code: str, mandate: Mandate | None, items: Sequence[ServiceItem]
) -> Applicant:
    """Check that the actor may apply for the holder: themself, their enterprise, or by a mandate."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied(_("请先登录"), code="login_required")
    if kind not in ApplicantKind.values:
        raise InvalidInput(_("申请主体类型不正确"), code="invalid_applicant_kind")
    holder_code = (holder_code or "").strip().upper()
    _check_audience(kind, items)
    _check_assurance(actor, items)
    if mandate is None and kind == ApplicantKind.PERSON and holder_code and holder_code == actor.id_number:
        return Applicant(kind, holder_code, actor.full_name, None)
    if mandate is None and kind == ApplicantKind.ENTERPRISE:
        enterprise = Enterprise.objects.filter(credit_code=holder_code, representative=actor).first()
        if enterprise is not None:
            return Applicant(kind, holder_code, enterprise.name, None)
    found = _mandate_for(actor, kind=kind, holder_code=holder_code, mandate=mandate, items=items)
    return Applicant(kind, holder_code, _principal_name(found), found)


def applicant_facts(*, actor: Any, case: Case) -> dict[str, Any]:
    """The audit facts of an applicant-side action: the mandate, when an agent acts."""
    if case.holder_code and case.holder_code == getattr(actor, "id_number", None):
        return {}  # the holder acting: any mandate found would be their own (no facts), so none is looked up
    mandate = case.mandate if case.mandate_id and case.applicant_id == actor.pk else None
    mandate = mandate or selectors.mandate_for(actor=actor, case=case)
    if mandate is None or selectors.principal_code(mandate) == getattr(actor, "id_number", None):
        return {}
    return {
        "mandate_id": mandate.pk,
        "on_behalf_of": mandate.principal_label,
        "ground_kind": GroundKind.MANDATE,
        "ground_ref": str(mandate.pk),
    }


def require_applicant_side(*, actor: Any, case: Case) -> dict[str, Any]:
    """Refuse (as "not found") anyone but the applicant side; return the audit facts of the actor."""
    if not selectors.is_applicant_side(actor=actor, case=case):
        raise NotFound(_("未找到该办件，请核对办件编号"), code="case_not_found")
    return applicant_facts(actor=actor, case=case)


def require_staff(*, actor: Any, case: Case, permissions: tuple[str, ...]) -> StaffAssignment:
    """The actor's staff role for the case granting one of ``permissions``; refused otherwise."""
    assignment = selectors.staff_assignment_for(actor=actor, case=case, permissions=permissions)
    if assignment is None:
        raise PermissionDenied(_("您在该办件的部门和区划内没有办理权限"), code="not_in_scope")
    return assignment


def require_window_clerk(clerk: Any) -> None:
    """A window intake is keyed in by a clerk holding ``application.accept`` somewhere (综合窗口)."""
    if not department_ids_with_permission(clerk, "application.accept"):
        raise PermissionDenied(_("仅窗口受理人员可以代为录入申请"), code="window_clerk_required")
