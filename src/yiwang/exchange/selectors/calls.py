"""What a consuming system may call, and the calls: query (masked items), batch query and verify (yes or no).

Each call is checked against a grant (system, resource, purpose, items, end date, not revoked); a refused
call is logged with its reason and answers nothing. An allowed call reads through the source's gate
(``sources``), which logs the read under the case (so the resident's data tracker shows it), and is
logged here too with the consumer department, purpose and case. Answers name the subject only by its
keyed digest (HMAC-SM3 under the platform's subject key, as the audit log does): a consumer cannot
recover an ID number from it by trying them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.audit.constants import EntryKind, GroundKind, Outcome
from yiwang.audit.selectors import subject_hash
from yiwang.audit.services import record_event
from yiwang.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from yiwang.identity.models import ClientProfile
from yiwang.regions.models import Department

from ..constants import SharingType
from ..masking import mask_value
from ..models import Grant, Resource
from .sources import AssertedValue, Reader, ResourceSource, resource_sources, source_for

QUERIED = "exchange.query"
QUERIED_IN_BATCH = "exchange.query_batch"
VERIFIED = "exchange.verify"
MAX_KEY_LENGTH = 80


@dataclass(frozen=True)
class Call:
    """One call as the system made it (a batch: its keys; a single call: one key)."""

    action: str
    system: Application
    resource_code: str
    keys: tuple[str, ...]
    items: tuple[str, ...]
    purpose: str
    case_number: str


@dataclass(frozen=True)
class Checked:
    """A call the grant covers: the resource, its source, the grant and the consuming department."""

    resource: Resource
    source: ResourceSource
    grant: Grant
    reader: Reader


class NotGranted(PermissionDenied):
    code = "not_granted"
    default_message = "本系统未获得该资源的有效授权"


_REFUSALS = {
    "resource_not_shared": "该资源不予共享",
    "no_grant": "本系统未获得该资源的授权",
    "grant_revoked": "该授权已撤销",
    "grant_expired": "该授权已过期",
    "purpose_not_granted": "用途（事项编码）不在授权范围内",
    "items_not_granted": "请求的信息项不在授权范围内",
}


def key_digest(key: str) -> str:
    """The subject as an answer names it: the audit log's keyed HMAC-SM3, never the bare SM3 of the key."""
    return subject_hash(key)


def clean_key(key: str) -> str:
    """The key as the registers store it (trimmed, upper case); empty, long or control characters refused."""
    cleaned = (key or "").strip().upper()
    if (
        not cleaned
        or len(cleaned) > MAX_KEY_LENGTH
        or any(ord(char) < 32 or ord(char) == 127 for char in cleaned)
    ):
        raise InvalidInput("主键为空、过长或含控制字符", code="invalid_key")
    return cleaned


def _consumer_of(system: Application) -> Department | None:
    profile = ClientProfile.objects.filter(application=system).select_related("department").first()
    return profile.department if profile is not None else None


def _refusal(resource: Resource, grants: list[Grant], call: Call) -> str:
    """Why no grant covers the call, the most specific reason first (the log and the answer name it)."""
    if resource.sharing_type == SharingType.NOT_SHARED:
        return "resource_not_shared"
    if not grants:
        return "no_grant"
    today = timezone.localdate()
    live = [grant for grant in grants if grant.revoked_at is None]
    if not live:
        return "grant_revoked"
    if not [grant for grant in live if grant.ends_on >= today]:
        return "grant_expired"
    if not [grant for grant in live if call.purpose in grant.service_item_codes]:
        return "purpose_not_granted"
    return "items_not_granted"


def _covering_grant(resource: Resource, call: Call) -> tuple[Grant | None, str]:
    if resource.sharing_type == SharingType.NOT_SHARED:
        return None, "resource_not_shared"  # whatever a grant of an earlier catalog version said
    grants = list(Grant.objects.filter(system=call.system, resource=resource).order_by("-granted_at", "-pk"))
    today = timezone.localdate()
    for grant in grants:
        if (
            grant.revoked_at is None
            and grant.ends_on >= today
            and call.purpose in grant.service_item_codes
            and set(call.items) <= set(grant.masks)
        ):
            return grant, ""
    return None, _refusal(resource, grants, call)


def _log_call(
    call: Call, resource: Resource | None, consumer: Department | None, *, grant: Grant | None, reason: str
) -> None:
    """The exchange's own entry: consumer, purpose, case. A refused call names its subject (one entry per
    key of a batch); an allowed one does not, its subjects are on the source's read entries."""
    facts: dict[str, Any] = {
        "action": call.action,
        "kind": EntryKind.READ,
        "outcome": Outcome.REFUSED if reason else Outcome.ALLOWED,
        "reason": reason,
        "system": call.system.client_id,
        "actor_department": consumer,
        "target": grant,
        "object_type": "" if grant else "exchange.resource",
        "object_id": "" if grant else call.resource_code,
        "department": resource.provider if resource else None,
        "fields": call.items,
        "purpose": call.purpose,
        "ground_kind": GroundKind.CASE,
        "ground_ref": call.case_number,
    }
    details = {"resource": call.resource_code}
    if call.action == QUERIED_IN_BATCH:
        details["keys"] = str(len(call.keys))
    if not reason:
        record_event(subject="", details=details, **facts)
        return
    for key in call.keys:
        record_event(subject=key, details=details, **facts)


def _checked(call: Call) -> Checked:
    """The resource, its source and the grant covering the call; a refusal is logged (and kept), raised."""
    if not call.case_number.strip() or not call.purpose.strip():
        raise InvalidInput("调用须写明用途（事项编码）和办件编号", code="purpose_required")
    resource = Resource.objects.select_related("provider").filter(code=call.resource_code).first()
    consumer = _consumer_of(call.system)
    with transaction.atomic():
        grant, reason = _covering_grant(resource, call) if resource else (None, "resource_not_found")
        _log_call(call, resource, consumer, grant=grant, reason=reason)
    if resource is None:
        raise NotFound("未找到该共享资源", code="resource_not_found")
    if grant is None:
        raise NotGranted(_REFUSALS[reason], code=reason)
    reader = Reader(
        system=call.system.client_id,
        acting_for=(consumer or grant.consumer).name,
        purpose=f"{grant.purpose}（事项 {call.purpose}）",
        case_number=call.case_number,
        provider=resource.provider,
    )
    return Checked(resource, source_for(resource.source), grant, reader)


def _masked(record: Mapping[str, Any], masks: Mapping[str, str]) -> dict[str, Any]:
    return {code: mask_value(record[code], mask) for code, mask in masks.items()}


def _answer(checked: Checked, call: Call, **parts: Any) -> dict[str, Any]:
    return {
        "resource": checked.resource.code,
        "purpose": call.purpose,
        "case_number": call.case_number,
        "grant": checked.grant.pk,
        **parts,
        "answered_at": timezone.now().isoformat(),
    }


def query_resource(
    *, system: Application, resource_code: str, key: str, items: Iterable[str], purpose: str, case_number: str
) -> dict[str, Any]:
    """Only the granted items of one record, each masked as the grant says."""
    call = Call(
        QUERIED, system, resource_code, (clean_key(key),), tuple(sorted(set(items))), purpose, case_number
    )
    checked = _checked(call)
    record = checked.source.read(key=call.keys[0], items=call.items, reader=checked.reader)
    masks = {code: checked.grant.masks[code] for code in call.items}
    return _answer(
        checked, call, key_digest=key_digest(call.keys[0]), items=_masked(record, masks), masks=masks
    )


# Batch query ------------------------------------------------------------------------------------------

MAX_BATCH_KEYS = 100


def _batch_keys(keys: Sequence[str]) -> tuple[str, ...]:
    """The batch's keys, cleaned; an empty, oversized or repeating batch is refused whole (nothing read)."""
    if not keys:
        raise InvalidInput("批量查询至少须有一个主键", code="batch_empty")
    if len(keys) > MAX_BATCH_KEYS:
        raise InvalidInput(
            f"批量查询一次最多 {MAX_BATCH_KEYS} 个主键",
            code="batch_too_large",
            limit=MAX_BATCH_KEYS,
            given=len(keys),
        )
    cleaned = tuple(clean_key(key) for key in keys)
    first: dict[str, int] = {}
    repeated = []
    for index, key in enumerate(cleaned):
        if key in first:
            repeated.append([first[key], index])  # positions, not the keys: the answer repeats no number
        first.setdefault(key, index)
    if repeated:
        raise InvalidInput("批量查询的主键有重复", code="duplicate_keys", positions=repeated)
    return cleaned


def _one_of_batch(
    checked: Checked, call: Call, index: int, key: str, masks: Mapping[str, str]
) -> dict[str, Any]:
    result: dict[str, Any] = {"index": index, "key_digest": key_digest(key)}
    try:
        record = checked.source.read(key=key, items=call.items, reader=checked.reader)
    except NotFound as error:
        return {**result, "status": "not_found", "error": {"code": error.code, "message": error.message}}
    except DomainError as error:  # the source's gate refused this one record
        return {**result, "status": "refused", "error": {"code": error.code, "message": error.message}}
    return {**result, "status": "found", "items": _masked(record, masks)}


def query_batch(
    *,
    system: Application,
    resource_code: str,
    keys: Sequence[str],
    items: Iterable[str],
    purpose: str,
    case_number: str,
) -> dict[str, Any]:
    """The granted items of up to ``MAX_BATCH_KEYS`` records, checked against the grant once; each record
    is read (and logged, so each subject's tracker shows it) on its own, found, not found or refused."""
    call = Call(
        QUERIED_IN_BATCH,
        system,
        resource_code,
        _batch_keys(keys),
        tuple(sorted(set(items))),
        purpose,
        case_number,
    )
    checked = _checked(call)
    masks = {code: checked.grant.masks[code] for code in call.items}
    results = [_one_of_batch(checked, call, index, key, masks) for index, key in enumerate(call.keys)]
    counts = dict.fromkeys(("found", "not_found", "refused"), 0)
    for result in results:
        counts[result["status"]] += 1
    return _answer(checked, call, masks=masks, results=results, counts=counts)


# Verify -----------------------------------------------------------------------------------------------


def verify_assertions(
    *,
    system: Application,
    resource_code: str,
    key: str,
    assertions: Mapping[str, AssertedValue],
    purpose: str,
    case_number: str,
) -> dict[str, Any]:
    """Answer true or false per assertion (可用不可见): the record's values never leave the platform."""
    resource = Resource.objects.filter(code=resource_code).only("source").first()
    # an unknown resource is refused (and logged) in _checked, with the assertions named as asked
    items = source_for(resource.source).needed_items(assertions) if resource else tuple(sorted(assertions))
    call = Call(VERIFIED, system, resource_code, (clean_key(key),), items, purpose, case_number)
    checked = _checked(call)
    results = checked.source.verify(key=call.keys[0], assertions=assertions, reader=checked.reader)
    return _answer(checked, call, key_digest=key_digest(call.keys[0]), results=results)


# Methods (allowedMethods) -----------------------------------------------------------------------------


def _operations(source_id: str, granted: set[str]) -> dict[str, Any]:
    """What a system may do with a resource under a grant of these items: the keys and the assertions."""
    try:
        source = resource_sources.get(source_id)
    except ImproperlyConfigured:  # a resource without an online source: listed, not callable
        return {"key": "", "verify_key": "", "operations": [], "assertions": []}
    assertions = sorted(name for name, rule in source.assertions.items() if set(rule.items) <= granted)
    return {
        "key": source.key_name,
        "verify_key": source.verify_key_name or source.key_name,
        "operations": ["query", "query_batch", "verify"] if assertions else ["query", "query_batch"],
        "assertions": assertions,
    }


def list_granted_methods(*, system: Application) -> dict[str, Any]:
    """The resources and items this system may call now, under which purposes (X-Road allowedMethods)."""
    today = timezone.localdate()
    grants = (
        Grant.objects.filter(system=system, revoked_at__isnull=True, ends_on__gte=today)
        .exclude(resource__sharing_type=SharingType.NOT_SHARED)
        .select_related("resource__provider")
        .prefetch_related("resource__items")
        .order_by("resource__code", "pk")
    )
    methods = []
    for grant in grants:
        names = {item.code: item.name for item in grant.resource.items.all()}
        methods.append(
            {
                "resource": grant.resource.code,
                "name": grant.resource.name,
                "provider": grant.resource.provider.name,
                **_operations(grant.resource.source, set(grant.masks)),
                "purposes": list(grant.service_item_codes),
                "items": [
                    {"code": code, "name": names.get(code, code), "mask": mask}
                    for code, mask in sorted(grant.masks.items())
                ],
                "grant": grant.pk,
                "ends_on": grant.ends_on.isoformat(),
            }
        )
    return {"system": system.client_id, "methods": methods, "max_batch_keys": MAX_BATCH_KEYS}
