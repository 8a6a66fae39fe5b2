"""The form one applicant fills: the fields their answers show, what the sources prefill for the holder,
and the materials plan (what they still upload, and why not the rest).

The same checks as a submission decide who may ask: the actor applies for themself, for the enterprise
they represent, or under a mandate in force covering the item(s) (``parties.resolve_applicant``), so a
prefill never reads the registers for a holder the actor may not act for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from yiwang.catalog.models import Bundle, Implementation
from yiwang.core.errors import InvalidInput, NotFound

from . import forms, materials
from .cases.parties import resolve_applicant
from .prefill import PrefillPurpose, prefill

if TYPE_CHECKING:
    from yiwang.identity.models import User

PREFILL_REFERENCE = "接口申报预填"


@dataclass(frozen=True)
class ApplicantForm:
    kind: str  # "implementation" | "bundle"
    code: str
    name: str
    form_version: int | None
    department: str
    holder_code: str
    applicant_kind: str
    fields: list[dict[str, Any]]  # the visible fields (forms.visible_fields)
    prefilled: dict[str, dict[str, Any]]  # field key -> value, source, label
    plan: list[materials.MaterialPlanItem]


def _target(code: str) -> tuple[Implementation | None, Bundle | None]:
    implementation = (
        Implementation.objects.select_related("item", "department", "region").filter(code=code).first()
    )
    if implementation is not None:
        return implementation, None
    bundle = Bundle.objects.select_related("lead_department").filter(code=code).first()
    if bundle is None:
        raise NotFound("未找到该事项或一件事", code="unknown_item")
    return None, bundle


def form_for_actor(
    *,
    actor: User,
    code: str,
    holder_code: str | None,
    applicant_kind: str,
    situation: Mapping[str, Any],
) -> ApplicantForm:
    """The active form of an implementation (or a bundle's merged form) as this actor would fill it."""
    implementation, bundle = _target(code)
    if implementation is not None:
        if not (implementation.is_active and implementation.item.is_active):
            raise InvalidInput("该事项已停止办理", code="implementation_inactive")
        form = forms.active_form_for(implementation=implementation)
        if form is None:
            raise InvalidInput("该事项暂未开通网上申报", code="not_online")
        schema, version, parts = form.schema, form.version, [implementation]
        department, name, kind = implementation.department, implementation.name, "implementation"
        item_code = implementation.item.code
    else:
        assert bundle is not None
        if not bundle.is_active:
            raise InvalidInput("该一件事已停止办理", code="bundle_inactive")
        schema, version = forms.bundle_form(bundle=bundle), None
        parts = [
            part.implementation
            for part in bundle.bundle_items.select_related("implementation__item").order_by("order", "pk")
        ]
        department, name, kind, item_code = bundle.lead_department, bundle.name, "bundle", ""
    applicant = resolve_applicant(
        actor=actor,
        kind=applicant_kind,
        holder_code=holder_code or getattr(actor, "id_number", "") or "",
        mandate=None,
        items=[part.item for part in parts],
    )
    shown = forms.visible_fields(schema=schema, situation=situation, data={}, applicant_kind=applicant.kind)
    found = prefill(
        schema=schema,
        actor=actor,
        holder_code=applicant.holder_code,
        applicant_kind=applicant.kind,
        department=department,
        purpose=PrefillPurpose(reference=PREFILL_REFERENCE, item_code=item_code),
        only=[item["key"] for item in shown],
    )
    plan = materials.plan(
        implementations=parts, situation=situation, actor=actor, holder_code=applicant.holder_code
    )
    return ApplicantForm(
        kind=kind,
        code=code,
        name=name,
        form_version=version,
        department=department.name,
        holder_code=applicant.holder_code,
        applicant_kind=applicant.kind,
        fields=shown,
        prefilled=found,
        plan=plan,
    )
