"""What a consuming system may call, and the calls: query (masked items), verify (yes or no), and both in
batches of up to ``MAX_BATCH_KEYS`` keys.

Each call is checked against a grant (system, resource as it is now — 不予共享 refuses whatever a grant
says —, purpose, items, end date, not revoked); a refused call is logged with its reason and answers
nothing. An allowed call reads its records through the source (all keys of a batch with one query per
source), and in the same transaction writes, with one INSERT, its own entry (consumer department,
purpose, case, the platform's processing time ``details.ms``) and one read entry per key under the case
(so each resident's data tracker shows it). Tokens and grants are read on every call, never kept, so a
revocation takes effect at once. Answers name the subject only by its keyed digest (HMAC-SM3 under the
platform's subject key, as the audit log does): a consumer cannot recover an ID number from it by trying
them all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.audit.constants import GroundKind, Outcome
from yiwang.audit.selectors import subject_hash
from yiwang.audit.services import record_reads
from yiwang.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from yiwang.identity.models import ClientProfile
from yiwang.regions.models import Department

from ..constants import SharingType
from ..masking import mask_value
from ..models import Grant, Resource
from .sources import AssertedValue, Batch, Reader, ResourceSource, resource_sources, source_for

QUERIED = "exchange.query"
QUERIED_IN_BATCH = "exchange.query_batch"
VERIFIED = "exchange.verify"
VERIFIED_IN_BATCH = "exchange.verify_batch"
BATCH_ACTIONS = (QUERIED_IN_BATCH, VERIFIED_IN_BATCH)
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
    started: float = field(default_factory=time.perf_counter)  # the platform's clock for the call's ms


@dataclass(frozen=True)
class Checked:
    """A call the grant covers: the resource, its source, the grant and the consuming department."""

    resource: Resource
    source: ResourceSource
    grant: Grant
    reader: Reader
    consumer: Department | None


@dataclass(frozen=True)
class Found:
    """What one query found for a call: the resource, this system's grants of it, its department."""

    resource: Resource | None
    grants: list[Grant]
    consumer: Department | None


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


# What a call uses of the grant and what it joins (the departments by id and name): the rest of these
# rows (the application's secrets, the departments' addresses, …) is not read on every call.
_CALL_COLUMNS = (
    "id",
    "resource_id",
    "consumer_id",
    "system_id",
    "purpose",
    "service_item_codes",
    "masks",
    "ends_on",
    "granted_at",
    "revoked_at",
    "resource__id",
    "resource__code",
    "resource__source",
    "resource__sharing_type",
    "resource__provider_id",
    "resource__provider__id",
    "resource__provider__name",
    "system__id",
    "system__client_id",
    "system__profile__id",
    "system__profile__application_id",
    "system__profile__department_id",
    "system__profile__department__id",
    "system__profile__department__name",
)


def _find(system: Application, resource_code: str) -> Found:
    """The resource, the system's grants of it (newest first) and the system's department: one query
    when the system holds a grant of it (the grants joined with the resource, its provider and the
    system's profile); a system without one costs two more, on the refused path only."""
    grants = list(
        Grant.objects.filter(system=system, resource__code=resource_code)
        .select_related("resource__provider", "system__profile__department")
        .only(*_CALL_COLUMNS)
        .order_by("-granted_at", "-pk")
    )
    if not grants:
        resource = Resource.objects.select_related("provider").filter(code=resource_code).first()
        return Found(resource, [], _consumer_of(system))
    try:
        consumer = grants[0].system.profile.department
    except ObjectDoesNotExist:
        consumer = None
    return Found(grants[0].resource, grants, consumer)


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


def _covering_grant(resource: Resource, grants: list[Grant], call: Call) -> tuple[Grant | None, str]:
    # 不予共享 is judged on the resource as it is now, whatever a live grant of an earlier version says
    if resource.sharing_type == SharingType.NOT_SHARED:
        return None, "resource_not_shared"
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


def elapsed_ms(call: Call) -> float:
    """The platform's processing time of the call so far, in milliseconds (two decimals)."""
    return round((time.perf_counter() - call.started) * 1000, 2)


def _call_entries(call: Call, found: Found, *, grant: Grant | None, reason: str) -> list[dict[str, Any]]:
    """The exchange's own entries: consumer, purpose, case, processing time. A refused call names its
    subject (one entry per key of a batch); an allowed one does not, its subjects are on the read entries."""
    resource = found.resource
    facts: dict[str, Any] = {
        "action": call.action,
        "outcome": Outcome.REFUSED if reason else Outcome.ALLOWED,
        "reason": reason,
        "system": call.system.client_id,
        "actor_department": found.consumer,
        "target": grant,
        "object_type": "" if grant else "exchange.resource",
        "object_id": "" if grant else call.resource_code,
        "department": resource.provider if resource else None,
        "fields": call.items,
        "purpose": call.purpose,
        "ground_kind": GroundKind.CASE,
        "ground_ref": call.case_number,
    }
    details: dict[str, Any] = {"resource": call.resource_code, "ms": elapsed_ms(call)}
    if call.action in BATCH_ACTIONS:
        details["keys"] = str(len(call.keys))
    if not reason:
        return [{**facts, "subject": "", "details": details}]
    return [{**facts, "subject": key, "details": details} for key in call.keys]


def _required(call: Call) -> None:
    if not call.case_number.strip() or not call.purpose.strip():
        raise InvalidInput("调用须写明用途（事项编码）和办件编号", code="purpose_required")


def _checked(call: Call, found: Found) -> Checked:
    """The grant covering the call, or the refusal: logged (in its own transaction, kept) and raised.
    An allowed call is logged by ``_answered``, with its reads, in the transaction that reads."""
    grant, reason = (
        _covering_grant(found.resource, found.grants, call)
        if found.resource
        else (None, "resource_not_found")
    )
    if grant is None or found.resource is None:
        with transaction.atomic():
            record_reads(_call_entries(call, found, grant=None, reason=reason))
        if found.resource is None:
            raise NotFound("未找到该共享资源", code="resource_not_found")
        raise NotGranted(_REFUSALS[reason], code=reason)
    resource = found.resource
    reader = Reader(
        system=call.system.client_id,
        acting_for=(found.consumer or grant.consumer).name,
        purpose=f"{grant.purpose}（事项 {call.purpose}）",
        case_number=call.case_number,
        provider=resource.provider,
        consumer=found.consumer or grant.consumer,
    )
    return Checked(resource, source_for(resource.source), grant, reader, found.consumer)


def _answered(checked: Checked, call: Call, read: Callable[[], Batch]) -> Batch:
    """Read the records and write every entry (the call's and one per read) in one transaction, one
    INSERT; a key the source refuses is an answer of the batch, its read is logged all the same."""
    found = Found(checked.resource, [checked.grant], checked.consumer)
    with transaction.atomic():
        batch = read()
        record_reads([*_call_entries(call, found, grant=checked.grant, reason=""), *batch.reads])
    return batch


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


def _the_one(batch: Batch, key: str) -> Any:
    answer = batch.records[key]
    if isinstance(answer, DomainError):
        raise answer
    return answer


def query_resource(
    *, system: Application, resource_code: str, key: str, items: Iterable[str], purpose: str, case_number: str
) -> dict[str, Any]:
    """Only the granted items of one record, each masked as the grant says."""
    call = Call(
        QUERIED, system, resource_code, (clean_key(key),), tuple(sorted(set(items))), purpose, case_number
    )
    _required(call)
    checked = _checked(call, _find(system, resource_code))
    batch = _answered(
        checked,
        call,
        lambda: checked.source.read_many(keys=call.keys, items=call.items, reader=checked.reader),
    )
    record = _the_one(batch, call.keys[0])
    masks = {code: checked.grant.masks[code] for code in call.items}
    return _answer(
        checked, call, key_digest=key_digest(call.keys[0]), items=_masked(record, masks), masks=masks
    )


# Batches ----------------------------------------------------------------------------------------------

MAX_BATCH_KEYS = 100


def _batch_keys(keys: Sequence[str]) -> tuple[str, ...]:
    """The batch's keys, cleaned; an empty, oversized or repeating batch is refused whole (nothing read)."""
    if not keys:
        raise InvalidInput("批量调用至少须有一个主键", code="batch_empty")
    if len(keys) > MAX_BATCH_KEYS:
        raise InvalidInput(
            f"批量调用一次最多 {MAX_BATCH_KEYS} 个主键",
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
        raise InvalidInput("批量调用的主键有重复", code="duplicate_keys", positions=repeated)
    return cleaned


def _results(
    batch: Batch, keys: Sequence[str], found: str, answer: Callable[[Any], dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Per key, in the batch's order: ``found`` (the answer), not_found or refused (the error)."""
    results = []
    counts = dict.fromkeys((found, "not_found", "refused"), 0)
    for index, key in enumerate(keys):
        result: dict[str, Any] = {"index": index, "key_digest": key_digest(key)}
        record = batch.records[key]
        if isinstance(record, DomainError):
            status = "not_found" if isinstance(record, NotFound) else "refused"  # the gate refused it
            result.update(status=status, error={"code": record.code, "message": record.message})
        else:
            status = found
            result.update(status=status, **answer(record))
        counts[status] += 1
        results.append(result)
    return results, counts


def query_batch(
    *,
    system: Application,
    resource_code: str,
    keys: Sequence[str],
    items: Iterable[str],
    purpose: str,
    case_number: str,
) -> dict[str, Any]:
    """The granted items of up to ``MAX_BATCH_KEYS`` records, checked against the grant once, all read
    with one query and each read logged (so each subject's tracker shows it): found, not found or refused."""
    call = Call(
        QUERIED_IN_BATCH,
        system,
        resource_code,
        _batch_keys(keys),
        tuple(sorted(set(items))),
        purpose,
        case_number,
    )
    _required(call)
    checked = _checked(call, _find(system, resource_code))
    masks = {code: checked.grant.masks[code] for code in call.items}
    batch = _answered(
        checked,
        call,
        lambda: checked.source.read_many(keys=call.keys, items=call.items, reader=checked.reader),
    )
    results, counts = _results(batch, call.keys, "found", lambda record: {"items": _masked(record, masks)})
    return _answer(checked, call, masks=masks, results=results, counts=counts)


# Verify -----------------------------------------------------------------------------------------------


def _verify_call(
    action: str,
    system: Application,
    resource_code: str,
    keys: tuple[str, ...],
    assertions: Mapping[str, AssertedValue],
    purpose: str,
    case_number: str,
) -> tuple[Call, Found]:
    started = time.perf_counter()
    found = _find(system, resource_code)
    # an unknown resource is refused (and logged) in _checked, with the assertions named as asked
    items = (
        source_for(found.resource.source).needed_items(assertions)
        if found.resource
        else tuple(sorted(assertions))
    )
    return Call(action, system, resource_code, keys, items, purpose, case_number, started), found


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
    keys = (clean_key(key),)
    if not case_number.strip() or not purpose.strip():
        raise InvalidInput("调用须写明用途（事项编码）和办件编号", code="purpose_required")
    call, found = _verify_call(VERIFIED, system, resource_code, keys, assertions, purpose, case_number)
    checked = _checked(call, found)
    batch = _answered(
        checked,
        call,
        lambda: checked.source.verify_many(keys=call.keys, assertions=assertions, reader=checked.reader),
    )
    results = _the_one(batch, call.keys[0])
    return _answer(checked, call, key_digest=key_digest(call.keys[0]), results=results)


def verify_batch(
    *,
    system: Application,
    resource_code: str,
    keys: Sequence[str],
    assertions: Mapping[str, AssertedValue],
    purpose: str,
    case_number: str,
) -> dict[str, Any]:
    """The same assertions for up to ``MAX_BATCH_KEYS`` keys: true or false per assertion and key, never
    the data; the grant checked once, the records read with one query, one read entry per key."""
    cleaned = _batch_keys(keys)
    if not case_number.strip() or not purpose.strip():
        raise InvalidInput("调用须写明用途（事项编码）和办件编号", code="purpose_required")
    call, found = _verify_call(
        VERIFIED_IN_BATCH, system, resource_code, cleaned, assertions, purpose, case_number
    )
    checked = _checked(call, found)
    batch = _answered(
        checked,
        call,
        lambda: checked.source.verify_many(keys=call.keys, assertions=assertions, reader=checked.reader),
    )
    results, counts = _results(batch, call.keys, "verified", lambda verdicts: {"results": verdicts})
    return _answer(checked, call, results=results, counts=counts)


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
        "operations": (
            ["query", "query_batch", "verify", "verify_batch"] if assertions else ["query", "query_batch"]
        ),
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
