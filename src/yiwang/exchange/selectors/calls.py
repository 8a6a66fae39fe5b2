"""What a consuming system may call, and the calls: query (masked items) and verify (yes or no).

Each call is checked against a grant (system, resource, purpose, items, end date, not revoked); a refused
call is logged with its reason and answers nothing. An allowed call reads through the registers' gate,
which logs the read under the case (so the resident's data tracker shows it), and is logged here too
with the consumer department, purpose and case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.audit.constants import EntryKind, GroundKind, Outcome
from yiwang.audit.services import record_event
from yiwang.core.crypto.sm3 import sm3_hex
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.identity.models import ClientProfile
from yiwang.regions.models import Department
from yiwang.registers.constants import RegisterCode
from yiwang.registers.selectors import access_legal_person_by_credit_code, access_person_by_id_number

from ..constants import SharingType
from ..masking import JsonValue, mask_value
from ..models import Grant, Resource

QUERIED = "exchange.query"
VERIFIED = "exchange.verify"
KEY_NAMES: dict[str, str] = {RegisterCode.POPULATION: "id_number", RegisterCode.LEGAL_PERSON: "credit_code"}


@dataclass(frozen=True)
class Call:
    """One call as the system made it."""

    action: str
    system: Application
    resource_code: str
    key: str
    items: tuple[str, ...]
    purpose: str
    case_number: str


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


def _log_call(call: Call, resource: Resource | None, *, grant: Grant | None, reason: str = "") -> None:
    """The exchange's own entry: consumer, purpose, case; a refused call names the subject (no read)."""
    record_event(
        action=call.action,
        kind=EntryKind.READ,
        outcome=Outcome.REFUSED if reason else Outcome.ALLOWED,
        reason=reason,
        system=call.system.client_id,
        actor_department=_consumer_of(call.system),
        target=grant,
        object_type="" if grant else "exchange.resource",
        object_id="" if grant else call.resource_code,
        department=resource.provider if resource else None,
        subject=call.key if reason else "",  # an allowed call's subject is on the register's own entry
        fields=call.items,
        purpose=call.purpose,
        ground_kind=GroundKind.CASE,
        ground_ref=call.case_number,
        details={"resource": call.resource_code},
    )


def _checked(call: Call) -> tuple[Resource, Grant]:
    """The resource and the grant covering the call; a refusal is logged (and kept) before it is raised."""
    if not call.case_number.strip() or not call.purpose.strip():
        raise InvalidInput("调用须写明用途（事项编码）和办件编号", code="purpose_required")
    resource = Resource.objects.select_related("provider").filter(code=call.resource_code).first()
    with transaction.atomic():
        grant, reason = _covering_grant(resource, call) if resource else (None, "resource_not_found")
        _log_call(call, resource, grant=grant, reason=reason)
    if resource is None:
        raise NotFound("未找到该共享资源", code="resource_not_found")
    if grant is None:
        raise NotGranted(_REFUSALS[reason], code=reason)
    return resource, grant


def _read(call: Call, resource: Resource, grant: Grant, fields: Iterable[str]) -> dict[str, Any]:
    """The record's fields through the registers' gate, which logs the read under the case."""
    facts: dict[str, Any] = {
        "actor": None,
        "purpose": f"{grant.purpose}（事项 {call.purpose}）",
        "fields": sorted(set(fields)),
        "system": call.system.client_id,
        "acting_for": grant.consumer.name,
        "ground_kind": GroundKind.CASE,
        "ground_ref": call.case_number,
    }
    if resource.source == RegisterCode.POPULATION:
        return access_person_by_id_number(id_number=call.key, **facts)
    if resource.source == RegisterCode.LEGAL_PERSON:
        return access_legal_person_by_credit_code(credit_code=call.key, **facts)
    raise NotFound("该资源暂不支持在线查询", code="resource_not_queryable")


def query_resource(
    *, system: Application, resource_code: str, key: str, items: Iterable[str], purpose: str, case_number: str
) -> dict[str, Any]:
    """Only the granted items of one record, each masked as the grant says."""
    call = Call(
        QUERIED, system, resource_code, key.strip().upper(), tuple(sorted(set(items))), purpose, case_number
    )
    resource, grant = _checked(call)
    record = _read(call, resource, grant, call.items)
    masks = {code: grant.masks[code] for code in call.items}
    return {
        "resource": resource.code,
        "key_sm3": sm3_hex(call.key.encode()),  # binds the answer to the subject without repeating it
        "purpose": call.purpose,
        "case_number": call.case_number,
        "grant": grant.pk,
        "items": {code: mask_value(record[code], masks[code]) for code in call.items},
        "masks": masks,
        "answered_at": timezone.now().isoformat(),
    }


def _age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


# Assertion -> (the items it needs, per register; how it is judged on the record)
_ASSERTIONS: dict[str, dict[str, tuple[tuple[str, ...], Callable[[dict[str, Any], Any], bool]]]] = {
    RegisterCode.POPULATION: {
        "alive": (("is_deceased",), lambda record, wanted: (not record["is_deceased"]) == bool(wanted)),
        "age_over": (
            ("birth_date",),
            lambda record, wanted: _age_on(record["birth_date"], timezone.localdate()) >= int(wanted),
        ),
        "name": (("name",), lambda record, wanted: record["name"] == str(wanted).strip()),
    },
    RegisterCode.LEGAL_PERSON: {
        "name": (("name",), lambda record, wanted: record["name"] == str(wanted).strip()),
        "active": (("status",), lambda record, wanted: (record["status"] == "active") == bool(wanted)),
        "representative": (
            ("legal_representative_name",),
            lambda record, wanted: record["legal_representative_name"] == str(wanted).strip(),
        ),
    },
}


def _needed_items(source: str, assertions: Mapping[str, JsonValue]) -> tuple[str, ...]:
    known = _ASSERTIONS.get(source, {})
    unknown = sorted(set(assertions) - set(known))
    if not assertions or unknown:
        raise InvalidInput(
            "不支持的核验项", code="unknown_assertion", assertions=unknown, supported=sorted(known)
        )
    return tuple(sorted({item for name in assertions for item in known[name][0]}))


def verify_assertions(
    *,
    system: Application,
    resource_code: str,
    key: str,
    assertions: Mapping[str, JsonValue],
    purpose: str,
    case_number: str,
) -> dict[str, Any]:
    """Answer true or false per assertion (可用不可见): the record's values never leave the platform."""
    resource = Resource.objects.filter(code=resource_code).first()
    # an unknown resource is refused (and logged) in _checked, with the assertions named as asked
    items = _needed_items(resource.source, assertions) if resource else tuple(sorted(assertions))
    call = Call(VERIFIED, system, resource_code, key.strip().upper(), items, purpose, case_number)
    resource, grant = _checked(call)
    record = _read(call, resource, grant, items)
    judges = _ASSERTIONS[resource.source]
    return {
        "resource": resource.code,
        "key_sm3": sm3_hex(call.key.encode()),  # binds the answer to the subject without repeating it
        "purpose": call.purpose,
        "case_number": call.case_number,
        "grant": grant.pk,
        "results": {
            name: bool(judges[name][1](record, wanted)) for name, wanted in sorted(assertions.items())
        },
        "answered_at": timezone.now().isoformat(),
    }


def list_granted_methods(*, system: Application) -> dict[str, Any]:
    """The resources and items this system may call now, under which purposes (X-Road allowedMethods)."""
    today = timezone.localdate()
    grants = (
        Grant.objects.filter(system=system, revoked_at__isnull=True, ends_on__gte=today)
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
                "key": KEY_NAMES.get(grant.resource.source, ""),
                "operations": ["query", "verify"],
                "purposes": list(grant.service_item_codes),
                "items": [
                    {"code": code, "name": names.get(code, code), "mask": mask}
                    for code, mask in sorted(grant.masks.items())
                ],
                "grant": grant.pk,
                "ends_on": grant.ends_on.isoformat(),
            }
        )
    return {"system": system.client_id, "methods": methods}
