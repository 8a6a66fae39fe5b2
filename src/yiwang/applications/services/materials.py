"""Materials (申请材料): which of the situation's materials the applicant still has to provide, and why
not the others; and attaching them to a case (相同材料只交一次, 免证办).

For each material on the list the catalog's situation wizard computes (``catalog.selectors.
evaluate_situation``: required ones, the ones the answers add, not the ones they remove), the plan
decides, most trusted first:

1. ``license``: the holder has a valid e-license of the material's ``license_type_code`` and the actor
   may act on it (``identity.selectors.may_act_on_license``); at submission the holder's consent for each
   department handling the case is recorded (``licenses.services.grant_consent``).
2. ``shared_data``: another part of the same bundle issues it (the tax part's 完税凭证 for the transfer
   registration), or the form says which shared data stand for it and the department holds a live
   exchange grant of those items for the item.
3. ``vault``: the holder's vault (材料库) has the same material (same key), still valid: uploaded or issued
   for an earlier case.
4. ``upload``: the applicant uploads it (``uploads.store_upload``); it then goes into the holder's vault.

A material of several parts of a bundle is one item of the plan (same key, or the same name).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.catalog.constants import MaterialRequirement
from yiwang.catalog.models import Implementation, Material
from yiwang.catalog.selectors import evaluate_situation
from yiwang.core.errors import Conflict, InvalidInput
from yiwang.exchange.models import Resource
from yiwang.licenses.constants import CONSENT_MAX_DAYS, LicenseStatus
from yiwang.licenses.models import License
from yiwang.licenses.selectors import effective_status
from yiwang.licenses.services import grant_consent

from ..constants import Channel, FormStatus, MaterialSource, TrustLevel
from ..models import ApplicationForm, Case, CaseMaterial, VaultItem
from .prefill import has_live_grant, holder_license, licenses_used
from .uploads import StoredFile, discard_upload, store_upload

if TYPE_CHECKING:
    from yiwang.identity.models import User
    from yiwang.regions.models import Department

__all__ = [
    "EXEMPT",
    "MaterialPlanItem",
    "StoredFile",
    "attach",
    "discard_upload",
    "plan",
    "store_upload",
]

EXEMPT = "exempt"  # the applicant's answers make the material unnecessary (情形引导)
MATERIALS_ATTACHED = "applications.materials_attached"
DEFAULT_VAULT_DAYS = 365
DEFAULT_CONSENT_DAYS = 90
REQUESTER_SYSTEM = "yiwang-applications"
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


def _implementations(implementations: Sequence[Implementation]) -> list[Implementation]:
    loaded = {
        implementation.pk: implementation
        for implementation in Implementation.objects.filter(pk__in=[one.pk for one in implementations])
        .select_related("item", "department")
        .prefetch_related(
            "materials",
            "fees",
            "questions__options__adds_materials",
            "questions__options__removes_materials",
            "questions__options__adds_fees",
        )
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
    implementations: list[Implementation],
) -> dict[str, list[tuple[Implementation, dict]]]:
    """Per material key, the shared data each part's active form says stands for it."""
    declared: dict[str, list[tuple[Implementation, dict]]] = {}
    forms = ApplicationForm.objects.filter(
        implementation_id__in=[one.pk for one in implementations], status=FormStatus.ACTIVE
    )
    by_implementation = {form.implementation_id: form.schema for form in forms}
    for implementation in implementations:
        for key, entry in (by_implementation.get(implementation.pk, {}).get("materials") or {}).items():
            declared.setdefault(key, []).append((implementation, entry["shared_data"]))
    return declared


def _license_item(item: MaterialPlanItem, actor: User, holder_code: str) -> bool:
    code = item.material.license_type_code
    license = holder_license(actor=actor, holder_code=holder_code, license_type_code=code) if code else None
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
    found = (
        VaultItem.objects.filter(holder_code=holder_code, material_key=item.material.key)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .order_by("-created_at", "-pk")
        .first()
    )
    if found is None:
        return False
    until = f"，有效期至{found.valid_until:%Y-%m-%d}" if found.valid_until else ""
    item.satisfied_by, item.vault_item = MaterialSource.VAULT, found
    submitted = timezone.localtime(found.created_at)
    item.why = f"您已于{submitted:%Y-%m-%d}提交过该材料（材料库{until}），本次直接复用，无需重复提交"
    return True


def plan(
    *,
    implementations: Sequence[Implementation],
    situation: Mapping[str, Any],
    actor: User,
    holder_code: str,
) -> list[MaterialPlanItem]:
    """The materials of these answers (one implementation, or a bundle's parts), each once, with how
    each is satisfied and, for those the applicant need not bring, why (in Chinese)."""
    loaded = _implementations(implementations)
    needed, removed = _needs(loaded, situation)
    declared = _declared_shared_data(loaded)
    today = timezone.localdate()
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
            _license_item(item, actor, holder_code)
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


# Attaching to a case -----------------------------------------------------------------------------------


def _check_uploads(items: list[MaterialPlanItem], uploads: Mapping[str, StoredFile]) -> None:
    """Every required upload present, and no upload for a material that is not to be uploaded."""
    missing = [item.name for item in items if item.needs_upload and item.key not in uploads]
    to_upload = {item.key for item in items if item.satisfied_by == MaterialSource.UPLOAD}
    unexpected = sorted(set(uploads) - to_upload)
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"请上传：{'、'.join(missing)}")
        if unexpected:
            parts.append(f"以下材料无需上传：{'、'.join(unexpected)}")
        raise InvalidInput("；".join(parts), code="materials_missing", missing=missing, unexpected=unexpected)


def _departments(case: Case, items: Iterable[MaterialPlanItem]) -> list[Department]:
    """Every department that handles the case: the accepting one and each part's (a bundle's sub-cases)."""
    departments = {case.department_id: case.department}
    for item in items:
        for implementation in item.implementations:
            departments.setdefault(implementation.department_id, implementation.department)
    return list(departments.values())


def _consent(case: Case, actor: User, licenses: Iterable[License], departments: list[Department]) -> None:
    """The holder's consent (用证授权) for each department to read each license the case relies on."""
    days = min(int(getattr(settings, "APPLICATIONS_CONSENT_DAYS", DEFAULT_CONSENT_DAYS)), CONSENT_MAX_DAYS)
    expires_at = timezone.now() + dt.timedelta(days=days)
    for license in licenses:
        if license.holder_code != case.holder_code or effective_status(license) != LicenseStatus.VALID:
            raise Conflict(
                f"电子证照《{license.license_type.name}》已不在有效状态，请重新选择材料",
                code="license_not_valid",
            )
        for department in departments:
            grant_consent(
                actor=actor,
                holder_code=case.holder_code,
                requester=department,
                license=license,
                purpose=f"办件 {case.number}",
                expires_at=expires_at,
                requester_system=REQUESTER_SYSTEM,
            )


def _stored_in_vault(case: Case, actor: User, item: MaterialPlanItem, stored: StoredFile) -> VaultItem:
    """The upload in the holder's vault, once (the same file of the same material is not kept twice)."""
    existing = VaultItem.objects.filter(
        holder_code=case.holder_code, material_key=item.material.key or item.key, sha256=stored.sha256
    ).first()
    days = int(getattr(settings, "APPLICATIONS_VAULT_VALID_DAYS", DEFAULT_VAULT_DAYS))
    if existing is not None:
        return existing
    return VaultItem.objects.create(
        holder_code=case.holder_code,
        owner=actor,
        material_key=(item.material.key or item.key)[:64],
        name=item.name[:200],
        file=stored.name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        source_case=case,
        valid_until=timezone.localdate() + dt.timedelta(days=days),
    )


def _row(case: Case, item: MaterialPlanItem, **values: Any) -> CaseMaterial:
    return CaseMaterial(case=case, material=item.material, key=item.key[:64], name=item.name[:200], **values)


def _rows(
    case: Case, actor: User, items: list[MaterialPlanItem], uploads: Mapping[str, StoredFile]
) -> list[CaseMaterial]:
    rows = []
    for item in items:
        if item.satisfied_by == MaterialSource.LICENSE and item.license is not None:
            rows.append(
                _row(
                    case,
                    item,
                    source=MaterialSource.LICENSE,
                    trust=TrustLevel.SIGNED,
                    license=item.license,
                    note=item.why[:300],
                )
            )
        elif item.satisfied_by == MaterialSource.SHARED_DATA:
            rows.append(
                _row(
                    case,
                    item,
                    source=MaterialSource.SHARED_DATA,
                    trust=TrustLevel.VERIFIED,
                    note=item.why[:300],
                )
            )
        elif item.satisfied_by == MaterialSource.VAULT and item.vault_item is not None:
            vault = item.vault_item
            rows.append(
                _row(
                    case,
                    item,
                    source=MaterialSource.VAULT,
                    trust=TrustLevel.DECLARED,
                    vault_item=vault,
                    file=vault.file.name,
                    content_type=vault.content_type,
                    size=vault.size,
                    sha256=vault.sha256,
                    note=item.why[:300],
                )
            )
        elif item.satisfied_by == MaterialSource.UPLOAD and item.key in uploads:
            stored = uploads[item.key]
            source = MaterialSource.PAPER_SCAN if case.channel == Channel.WINDOW else MaterialSource.UPLOAD
            rows.append(
                _row(
                    case,
                    item,
                    source=source,
                    trust=TrustLevel.DECLARED,
                    vault_item=_stored_in_vault(case, actor, item, stored),
                    file=stored.name,
                    file_name=stored.original_name,
                    content_type=stored.content_type,
                    size=stored.size,
                    sha256=stored.sha256,
                )
            )
    return rows


def _still_valid_vault(items: list[MaterialPlanItem], holder_code: str) -> None:
    today = timezone.localdate()
    for item in items:
        vault = item.vault_item
        if (
            item.satisfied_by == MaterialSource.VAULT
            and vault is not None
            and (
                vault.holder_code != holder_code
                or (vault.valid_until is not None and vault.valid_until < today)
            )
        ):
            raise Conflict(f"材料库中的“{item.name}”已过期，请重新上传", code="vault_item_expired")


@transaction.atomic
def attach(
    *, case: Case, plan: Sequence[MaterialPlanItem], uploads: Mapping[str, StoredFile], actor: User
) -> list[CaseMaterial]:
    """Write the case's materials (with their trust levels), record the holder's consent for the
    licenses it relies on (materials and prefilled fields), and put new uploads in the holder's vault."""
    items = list(plan)
    _check_uploads(items, uploads)
    _still_valid_vault(items, case.holder_code)
    licenses = {
        item.license.pk: item.license
        for item in items
        if item.license is not None and item.satisfied_by == MaterialSource.LICENSE
    }
    prefill_identifiers = licenses_used(case.prefilled or {})
    for license in License.objects.filter(identifier__in=sorted(prefill_identifiers)).select_related(
        "license_type"
    ):
        licenses.setdefault(license.pk, license)
    _consent(case, actor, licenses.values(), _departments(case, items))
    rows = CaseMaterial.objects.bulk_create(_rows(case, actor, items, uploads))
    record_event(
        action=MATERIALS_ATTACHED,
        actor=actor,
        target=case,
        department=case.department,
        subject=case.holder_code,
        details={"materials": {row.key: row.source for row in rows}, "consents": len(licenses)},
    )
    return rows
