"""A license used as a material was revoked: every open case that used it is flagged to its handler."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction

from ...constants import CASE_FLAGGED, OPEN_STATUSES, AuditAction
from ...models import Case
from .recording import record_case_action

# Cases whose own result is replacing the license being revoked (a bundle's parts and parent): not flagged.
_SPARED: ContextVar[frozenset[int]] = ContextVar("applications_spared_from_flags", default=frozenset())


@contextmanager
def sparing(case_ids: Iterable[int]) -> Iterator[None]:
    """Revocations inside this block do not flag ``case_ids`` (the cases whose result supersedes it)."""
    token = _SPARED.set(_SPARED.get() | frozenset(case_ids))
    try:
        yield
    finally:
        _SPARED.reset(token)


@transaction.atomic
def flag_cases_using_license(*, identifier: str, **_change: Any) -> int:
    """core.changes LICENSE_REVOKED subscriber (runs in the revocation's transaction): flag the open cases
    holding the license as a material; how many were flagged."""
    ids = (
        set(
            Case.objects.filter(
                status__in=sorted(OPEN_STATUSES), materials__license__identifier=identifier
            ).values_list("pk", flat=True)
        )
        - _SPARED.get()
    )
    cases = (
        Case.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk__in=sorted(ids))
        .select_related("implementation__item", "bundle", "department")
        .order_by("pk")
    )
    flagged = 0
    for case in cases:
        names = "、".join(
            case.materials.filter(license__identifier=identifier, superseded=False).values_list(
                "name", flat=True
            )
        )
        reason = f"材料“{names}”所用的电子证照 {identifier} 已被吊销或注销，请核实后再办理"
        case.flagged_reason = reason[:300]
        record_case_action(
            case=case,
            actor=None,
            action=AuditAction.CASE_FLAGGED,
            topic=CASE_FLAGGED,
            text=case.flagged_reason,
            changed=("flagged_reason",),
            is_public=False,
            details={"license": identifier},
            published={"reason": "license_revoked", "license": identifier},
        )
        flagged += 1
    return flagged
