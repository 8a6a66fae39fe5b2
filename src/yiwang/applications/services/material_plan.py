"""The materials' plan: for each material of the situation's list, how it is satisfied (license, shared
data, vault, upload) or why it is not needed, in Chinese. See ``materials`` for the order of trust."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from yiwang.catalog.constants import MaterialRequirement
from yiwang.catalog.models import Implementation, Material
from yiwang.catalog.selectors import evaluate_situation
from yiwang.core import sql
from yiwang.exchange.models import Resource
from yiwang.identity.selectors import LicenseScope, license_scope_for
from yiwang.licenses.models import License

from ..constants import FormStatus, MaterialSource
from ..models import ApplicationForm, VaultItem
from .prefill import has_live_grant, holder_license

if TYPE_CHECKING:
    from yiwang.identity.models import User

EXEMPT = "exempt"  # the applicant's answers make the material unnecessary (情形引导)
_STRENGTH: list[str] = [
    MaterialRequirement.REQUIRED,
    MaterialRequirement.BY_SITUATION,
    MaterialRequirement.OPTIONAL,
]
_NAME_NOISE = re.compile(r"[\s\u3000·•、，,。.（）()【】\[\]《》<>“”\"']")


@dataclass
class MaterialPlanItem:
    """One material of the applicant's list and how it is satisfied (and why they need not bring it)."""

    key: str  # the catalog key (or ``name:…`` for a material without one): the uploads' key
    name: str
    material: Material
    implementations: list[Implementation]
    requirement: str
    reasons: list[str]  # why it is on the list (the situation wizard's words)
    satisfied_by: str  # license | shared_data | vault | upload | exempt
    why: str = ""  # why the applicant need not bring it, in Chinese ("" for an upload)
    license: License | None = None
    vault_item: VaultItem | None = None
    shared_resource: str = ""

    @property
    def is_optional(self) -> bool:
        return self.requirement == MaterialRequirement.OPTIONAL

    @property
    def needs_upload(self) -> bool:
        return self.satisfied_by == MaterialSource.UPLOAD and not self.is_optional

    @property
    def no_need_to_bring(self) -> bool:
        return self.satisfied_by != MaterialSource.UPLOAD


def identity(material: Material) -> str:
    if material.key:
        return material.key
    return "name:" + _NAME_NOISE.sub("", unicodedata.normalize("NFKC", material.name)).lower()


# The plan ---------------------------------------------------------------------------------------------


PLAN_PREFETCH = (
    "materials",
    "fees",
    "questions__options__adds_materials",
    "questions__options__removes_materials",
    "questions__options__adds_fees",
)


def _prefetched(implementation: Implementation) -> bool:
    """Whether the caller loaded this implementation with ``PLAN_PREFETCH`` (in this same call chain)."""
    cache = getattr(implementation, "_prefetched_objects_cache", {})
    return all(name in cache for name in ("materials", "fees", "questions"))


def _implementations(implementations: Sequence[Implementation]) -> list[Implementation]:
    if implementations and all(_prefetched(one) for one in implementations):
        return list(implementations)  # the submission loaded them with their catalog data a moment ago
    loaded = {
        implementation.pk: implementation
        for implementation in Implementation.objects.filter(pk__in=[one.pk for one in implementations])
        .select_related("item", "department")
        .prefetch_related(*PLAN_PREFETCH)
    }
    return [loaded[one.pk] for one in implementations]


def _answers_for(
    implementation: Implementation, situation: Mapping[str, Any], strict: bool
) -> dict[str, Any]:
    """The answers that concern this implementation (a bundle's answers cover all its parts)."""
    if strict:
        return dict(situation)
    options = {
        question.code: {option.code for option in question.options.all()}
        for question in implementation.questions.all()
    }
    answers: dict[str, Any] = {}
    for code, value in situation.items():
        if code not in options:
            continue
        chosen = [value] if isinstance(value, str) else list(value)
        kept = [one for one in chosen if one in options[code]]
        if kept:
            answers[code] = kept[0] if isinstance(value, str) else kept
    return answers


@dataclass
class _Need:
    material: Material
    implementations: list[Implementation] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def _needs(
    implementations: list[Implementation], situation: Mapping[str, Any]
) -> tuple[dict[str, _Need], dict[str, tuple[Material, str, list[Implementation]]]]:
    needed: dict[str, _Need] = {}
    removed: dict[str, tuple[Material, str, list[Implementation]]] = {}
    strict = len(implementations) == 1
    for implementation in implementations:
        result = evaluate_situation(
            implementation=implementation, answers=_answers_for(implementation, situation, strict)
        )
        for need in result.materials:
            entry = needed.setdefault(identity(need.material), _Need(need.material))
            entry.implementations.append(implementation)
            entry.requirements.append(need.material.requirement)
            entry.reasons.extend(reason for reason in need.reasons if reason not in entry.reasons)
        for material, reason in result.removed:
            removed.setdefault(identity(material), (material, reason, []))[2].append(implementation)
    return needed, {key: value for key, value in removed.items() if key not in needed}


def _declared_shared_data(
    implementations: list[Implementation], active_forms: Sequence[ApplicationForm] | None = None
) -> dict[str, list[tuple[Implementation, dict]]]:
    """Per material key, the shared data each part's active form says stands for it (``active_forms``:
    the parts' active forms, when the caller has just loaded them; one active form per implementation)."""
    declared: dict[str, list[tuple[Implementation, dict]]] = {}
    if active_forms is None:
        active_forms = list(
            ApplicationForm.objects.filter(
                implementation_id__in=[one.pk for one in implementations], status=FormStatus.ACTIVE
            )
        )
    by_implementation = {form.implementation_id: form.schema for form in active_forms}
    for implementation in implementations:
        for key, entry in (by_implementation.get(implementation.pk, {}).get("materials") or {}).items():
            declared.setdefault(key, []).append((implementation, entry["shared_data"]))
    return declared


def _license_item(item: MaterialPlanItem, actor: User, holder_code: str, scope: LicenseScope | None) -> bool:
    code = item.material.license_type_code
    license = (
        holder_license(actor=actor, holder_code=holder_code, license_type_code=code, scope=scope)
        if code
        else None
    )
    if license is None:
        return False
    until = f"，有效期至{license.valid_until:%Y-%m-%d}" if license.valid_until else "，长期有效"
    item.satisfied_by, item.license = MaterialSource.LICENSE, license
    item.why = (
        f"您已有电子证照《{license.license_type.name}》（{license.issuer.name}签发{until}），"
        "提交时经您授权由办理部门在线调用，无需提交纸质材料或扫描件（免证办）"
    )
    return True


def _bundle_item(item: MaterialPlanItem, implementations: list[Implementation]) -> bool:
    code = item.material.license_type_code
    producer = next(
        (
            one
            for one in implementations
            if code and one.result_license_type == code and one not in item.implementations
        ),
        None,
    )
    if producer is None:
        return False
    item.satisfied_by = MaterialSource.SHARED_DATA
    item.why = f"由本次一并申请的“{producer.name}”办结后在部门间共享，无需提交"
    return True


def _shared_item(item: MaterialPlanItem, declared: dict[str, list[tuple[Implementation, dict]]]) -> bool:
    entries = [(one, spec) for one, spec in declared.get(item.key, []) if one in item.implementations]
    if not entries or len(entries) < len(item.implementations):
        return False  # every part that needs it must be able to read it
    for implementation, spec in entries:
        if not has_live_grant(
            department=implementation.department,
            item_code=implementation.item.code,
            resource_code=spec["resource"],
            items=spec["items"],
        ):
            return False
    spec = entries[0][1]
    resource = Resource.objects.filter(code=spec["resource"]).select_related("provider").first()
    source = f"（{resource.name}，{resource.provider.name}提供）" if resource else ""
    item.satisfied_by, item.shared_resource = MaterialSource.SHARED_DATA, spec["resource"]
    item.why = f"{spec['reason']['zh']}{source}，办理部门通过数据共享核验，无需提交"
    return True


def _vault_item(item: MaterialPlanItem, holder_code: str, today: dt.date) -> bool:
    if not item.material.key:
        return False
    latest = sql.rows(  # in SQL: read for every material on every submission (core.sql, ADR 0014)
        VaultItem,
        "holder_code = %s AND material_key = %s AND (valid_until IS NULL OR valid_until >= %s)",
        [holder_code, item.material.key, sql.adapt_date(today)],
        order_by="created_at DESC, id DESC",
        limit=1,
    )
    if not latest:
        return False
    found = latest[0]
    until = f"，有效期至{found.valid_until:%Y-%m-%d}" if found.valid_until else ""
    item.satisfied_by, item.vault_item = MaterialSource.VAULT, found
    submitted = timezone.localtime(found.created_at)
    item.why = f"您已于{submitted:%Y-%m-%d}提交过该材料（材料库{until}），本次直接复用，无需重复提交"
    return True


class ScopeOnce:
    """The actor's ``license_scope_for``, computed at the first call and then reused: one submission's plan
    and consent ask it once (it costs a few statements: the actor's enterprises, mandates, their items)."""

    def __init__(self, actor: User) -> None:
        self._actor = actor
        self._scope: LicenseScope | None = None

    def __call__(self) -> LicenseScope:
        if self._scope is None:
            self._scope = license_scope_for(self._actor)
        return self._scope


def plan(
    *,
    implementations: Sequence[Implementation],
    situation: Mapping[str, Any],
    actor: User,
    holder_code: str,
    active_forms: Sequence[ApplicationForm] | None = None,
    scope: ScopeOnce | None = None,
) -> list[MaterialPlanItem]:
    """The materials of these answers (one implementation, or a bundle's parts), each once, with how
    each is satisfied and, for those the applicant need not bring, why (in Chinese). ``active_forms``:
    the parts' active forms if the caller has them (else they are read); ``scope``: the actor's license
    scope, shared with the caller's later consent (else computed here when a material needs it)."""
    loaded = _implementations(implementations)
    needed, removed = _needs(loaded, situation)
    declared = _declared_shared_data(loaded, active_forms)
    today = timezone.localdate()
    # what the actor may act on, once for the plan's license look-ups (each would compute it twice)
    scope_of = scope or ScopeOnce(actor)
    license_scope = scope_of() if any(need.material.license_type_code for need in needed.values()) else None
    items = []
    for key, need in needed.items():
        item = MaterialPlanItem(
            key=key,
            name=need.material.name,
            material=need.material,
            implementations=need.implementations,
            requirement=min(need.requirements, key=_STRENGTH.index),
            reasons=need.reasons,
            satisfied_by=MaterialSource.UPLOAD,
        )
        _ = (
            _license_item(item, actor, holder_code, license_scope)
            or _bundle_item(item, loaded)
            or _shared_item(item, declared)
            or _vault_item(item, holder_code, today)
        )
        items.append(item)
    for key, (material, reason, parts) in removed.items():
        items.append(
            MaterialPlanItem(
                key=key,
                name=material.name,
                material=material,
                implementations=parts,
                requirement=material.requirement,
                reasons=[],
                satisfied_by=EXEMPT,
                why=f"{reason}，无需提交",
            )
        )
    return items
