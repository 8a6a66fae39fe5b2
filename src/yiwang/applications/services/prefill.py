"""Prefill (预填): a form's fields filled from verified sources, each with its source, and locked.

Three sources, as a field's ``prefill`` names them (docs/applications-forms.md):

- ``register``: a data item of a register resource, read **through the exchange**
  (``exchange.selectors.query_resource``, the same path a departmental system's API call takes): the
  consumer is the department accepting the application (a system registered to it that holds a grant of
  the resource), the purpose is the implementation's service item code, and the read's ground is this
  application (``PrefillPurpose.reference``: the draft's token, the submission's idempotency key or the
  case number). The exchange checks the grant, reads through the register's gate, masks, and logs its
  call and one read per data subject (so the citizen's data tracker shows it). Only items the grant gives
  in full are used: a masked value (``张*``) cannot fill a form.
- ``license``: a surface field of the holder's valid e-license of a type, when the actor may act on
  it (``identity.selectors.may_act_on_license``: the holder, the enterprise's representative, or an
  agent within a mandate's items). The holder's consent for the accepting department is recorded with
  the case (``materials.attach``).
- ``account``: the actor's real-name account (their name, ID number and phone, or the name and code of
  the enterprise they represent), only when the actor is the holder and their name was checked against
  the population register (assurance level 3 or more).

A field that no source can fill is simply left to the applicant. Nothing here trusts the browser: the
submission reads again (``forms.check_submission``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from yiwang.catalog.models import Implementation
from yiwang.core.errors import DomainError, NotFound, PermissionDenied
from yiwang.exchange.constants import Mask
from yiwang.exchange.models import Grant, Resource
from yiwang.exchange.selectors import query_resource
from yiwang.identity.constants import AssuranceLevel
from yiwang.identity.models import Enterprise
from yiwang.identity.selectors import LicenseScope, license_scope_for
from yiwang.licenses.constants import LicenseStatus
from yiwang.licenses.models import License
from yiwang.licenses.selectors import access_license, effective_status, valid_licenses_of
from yiwang.regions.models import Department

from .form_schema import prefill_specs
from .form_types import PREFILL_ACCOUNT, PREFILL_LICENSE, PREFILL_REGISTER

if TYPE_CHECKING:
    from yiwang.identity.models import User

logger = logging.getLogger(__name__)
Prefilled = dict[str, dict[str, Any]]  # field key -> {"value", "source", "label", "kind"}


@dataclass(frozen=True)
class PrefillPurpose:
    """Why the reads happen: this application. ``reference`` becomes the reads' ground in the audit log."""

    reference: str  # the draft's token, the submission's idempotency key or the case number
    item_code: str = ""  # the service item code (the exchange grant's purpose); default: the form's


@dataclass(frozen=True)
class _Consumer:
    department: Department
    item_code: str


def purpose_for(*, implementation: Implementation, reference: str) -> PrefillPurpose:
    return PrefillPurpose(reference=reference, item_code=implementation.item.code)


class _Consumers:
    """Who reads for a field: the form's accepting department, or (a bundle's merged field) the
    department of the part that asks it, each under its own service item code."""

    def __init__(self, schema: Mapping[str, Any], department: Department, purpose: PrefillPurpose):
        self.default_department, self.purpose = department, purpose
        self.schema_implementation = schema.get("implementation", "")
        self.cache: dict[str, Implementation | None] = {}

    def _implementation(self, code: str) -> Implementation | None:
        if code not in self.cache:
            self.cache[code] = (
                Implementation.objects.select_related("item", "department").filter(code=code).first()
            )
        return self.cache[code]

    def for_field(self, item: Mapping[str, Any]) -> _Consumer | None:
        origin = item.get("origin")
        if origin:
            implementation = self._implementation(origin)
            if implementation is None:
                return None
            return _Consumer(implementation.department, implementation.item.code)
        item_code = self.purpose.item_code
        if not item_code and self.schema_implementation:
            implementation = self._implementation(self.schema_implementation)
            item_code = implementation.item.code if implementation else ""
        return _Consumer(self.default_department, item_code) if item_code else None


# Registers, through the exchange ---------------------------------------------------------------------


def _as_field_value(value: Any) -> Any:
    if isinstance(value, list):
        return "、".join(str(one) for one in value if one is not None)
    return value


def _systems_of(department: Department, resource_code: str) -> list[Any]:
    """The department's systems holding a live grant of the resource (the exchange decides the rest)."""
    grants = (
        Grant.objects.filter(
            consumer=department,
            resource__code=resource_code,
            revoked_at__isnull=True,
            ends_on__gte=timezone.localdate(),
            system__profile__department=department,
        )
        .select_related("system")
        .order_by("-granted_at", "-pk")
    )
    systems: dict[int, Any] = {}
    for grant in grants:
        systems.setdefault(grant.system_id, grant.system)
    return list(systems.values())


def has_live_grant(
    *, department: Department, item_code: str, resource_code: str, items: Iterable[str]
) -> bool:
    """Whether a system of the department holds a live grant of these items for this service item."""
    wanted = set(items)
    grants = Grant.objects.filter(
        consumer=department,
        resource__code=resource_code,
        revoked_at__isnull=True,
        ends_on__gte=timezone.localdate(),
    ).only("service_item_codes", "masks")
    return any(item_code in grant.service_item_codes and wanted <= set(grant.masks) for grant in grants)


def _query(
    consumer: _Consumer, resource_code: str, key: str, items: list[str], reference: str
) -> tuple[dict[str, Any], str] | None:
    """The record's fully granted items, and the provider's name; None when no grant answers."""
    for system in _systems_of(consumer.department, resource_code):
        try:
            answer = query_resource(
                system=system,
                resource_code=resource_code,
                key=key,
                items=items,
                purpose=consumer.item_code,
                case_number=reference,
            )
        except PermissionDenied:
            continue  # this system's grant does not cover the call (logged as refused); try the next
        except DomainError as error:  # no record under the key, an invalid key: nothing to prefill
            logger.info("prefill: %s on %s answered %s", resource_code, consumer.department.pk, error.code)
            return None
        full = {
            code: value for code, value in answer["items"].items() if answer["masks"].get(code) == Mask.FULL
        }
        return full, answer["resource"]
    return None


def _register_key(spec: Mapping[str, Any], holder_code: str, data: Mapping[str, Any]) -> str:
    key = spec.get("key", "holder")
    if key == "holder":
        return holder_code
    value = data.get(key["field"])
    return str(value).strip() if value not in (None, "") else ""


def _resource_labels(codes: Iterable[str]) -> dict[str, str]:
    return {
        code: f"{name}（{provider}）"
        for code, name, provider in Resource.objects.filter(code__in=sorted(set(codes))).values_list(
            "code", "name", "provider__name"
        )
    }


def _from_registers(
    fields: list[tuple[dict[str, Any], dict[str, Any]]],
    consumers: _Consumers,
    holder_code: str,
    data: Mapping[str, Any],
) -> Prefilled:
    """One exchange call per consumer, item code, resource and key, with all its items."""
    groups: dict[tuple[int, str, str, str], list[tuple[dict[str, Any], dict[str, Any], _Consumer]]] = (
        defaultdict(list)
    )
    for item, spec in fields:
        consumer, key = consumers.for_field(item), _register_key(spec, holder_code, data)
        if consumer is not None and key:
            groups[(consumer.department.pk, consumer.item_code, spec["resource"], key)].append(
                (item, spec, consumer)
            )
    labels = _resource_labels(spec["resource"] for _item, spec in fields)
    found: Prefilled = {}
    for (_department, _item_code, resource_code, key), members in groups.items():
        items = sorted({spec["item"] for _item, spec, _consumer in members})
        answer = _query(members[0][2], resource_code, key, items, consumers.purpose.reference)
        if answer is None:
            continue
        for item, spec, _consumer in members:
            if answer[0].get(spec["item"]) is not None:
                found[item["key"]] = {
                    "value": _as_field_value(answer[0][spec["item"]]),
                    "kind": PREFILL_REGISTER,
                    "source": f"register:{resource_code}:{spec['item']}",
                    "label": f"数据共享：{labels.get(resource_code, resource_code)}",
                }
    return found


# Licenses and the account ----------------------------------------------------------------------------


def holder_license(
    *, actor: User, holder_code: str, license_type_code: str, scope: LicenseScope | None = None
) -> License | None:
    """The holder's newest valid license of the type, when the actor may act on it (read through the gate).

    ``scope``: the actor's ``license_scope_for``, when the caller computed it for several look-ups."""
    type_code = license_type_code
    if scope is None:
        scope = license_scope_for(actor)
    if not scope.covers(holder_code=holder_code, license_type_code=type_code):
        return None
    candidates = valid_licenses_of(holder_code=holder_code, license_type_code=type_code)
    for candidate in candidates:
        if effective_status(candidate) == LicenseStatus.VALID:
            try:  # the gate: logs an agent's read, so the holder sees it among the uses
                return access_license(actor=actor, license=candidate, scope=scope)
            except NotFound:
                return None
    return None


def _from_licenses(
    fields: list[tuple[dict[str, Any], dict[str, Any]]], actor: User, holder_code: str
) -> Prefilled:
    licenses: dict[str, License | None] = {}
    found: Prefilled = {}
    for item, spec in fields:
        code = spec["license_type"]
        if code not in licenses:
            licenses[code] = holder_license(actor=actor, holder_code=holder_code, license_type_code=code)
        license = licenses[code]
        value = (license.surface or {}).get(spec["field"]) if license is not None else None
        if license is not None and value not in (None, ""):
            found[item["key"]] = {
                "value": _as_field_value(value),
                "kind": PREFILL_LICENSE,
                "source": f"license:{license.identifier}:{spec['field']}",
                "label": f"电子证照：{license.license_type.name}",
            }
    return found


def _account_values(actor: User, holder_code: str) -> dict[str, str]:
    # only a name checked against the population register (level 3) is a verified source
    if actor.assurance_level < AssuranceLevel.REGISTER_VERIFIED:
        return {}
    if actor.id_number and actor.id_number == holder_code:
        return {"name": actor.full_name, "id_number": actor.id_number, "phone": actor.phone}
    enterprise = Enterprise.objects.filter(credit_code=holder_code, representative=actor).first()
    if enterprise is not None:
        return {
            "enterprise_name": enterprise.name,
            "credit_code": enterprise.credit_code,
            "phone": actor.phone,
        }
    return {}


def _from_account(
    fields: list[tuple[dict[str, Any], dict[str, Any]]], actor: User, holder_code: str
) -> Prefilled:
    values = _account_values(actor, holder_code) if fields else {}
    return {
        item["key"]: {
            "value": values[spec["attribute"]],
            "kind": PREFILL_ACCOUNT,
            "source": f"account:{spec['attribute']}",
            "label": "实名账户",
        }
        for item, spec in fields
        if values.get(spec["attribute"])
    }


def prefill(
    *,
    schema: Mapping[str, Any],
    actor: User,
    holder_code: str,
    applicant_kind: str,
    department: Department,
    purpose: PrefillPurpose,
    data: Mapping[str, Any] | None = None,
    only: Iterable[str] | None = None,
) -> Prefilled:
    """The fields the sources can fill for this holder: field key → value, source and its label.

    ``data`` gives the values of fields another field's register key names; ``only`` limits the fields
    (the visible ones). Register reads go through the exchange under ``purpose`` and are logged there.
    """
    wanted = set(only) if only is not None else None
    by_source: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    for item, spec in prefill_specs(schema):
        if wanted is not None and item["key"] not in wanted:
            continue
        if spec.get("applicant_kind") and spec["applicant_kind"] != applicant_kind:
            continue
        by_source[spec["source"]].append((item, spec))
    found: Prefilled = {}
    if by_source[PREFILL_REGISTER]:
        consumers = _Consumers(schema, department, purpose)
        found.update(_from_registers(by_source[PREFILL_REGISTER], consumers, holder_code, data or {}))
    found.update(_from_licenses(by_source[PREFILL_LICENSE], actor, holder_code))
    found.update(_from_account(by_source[PREFILL_ACCOUNT], actor, holder_code))
    return found


def licenses_used(prefilled: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """The identifiers of the e-licenses a case's prefilled fields came from (their consent is recorded)."""
    return {
        str(entry["source"]).split(":")[1]
        for entry in prefilled.values()
        if str(entry.get("source", "")).startswith(f"{PREFILL_LICENSE}:")
    }


def grants_needed(schema: Mapping[str, Any]) -> dict[str, set[str]]:
    """What the accepting department must be granted for the form's prefill: resource → items (in full)."""
    needed: dict[str, set[str]] = defaultdict(set)
    for _item, spec in prefill_specs(schema):
        if spec["source"] == PREFILL_REGISTER:
            needed[spec["resource"]].add(spec["item"])
    for entry in (schema.get("materials") or {}).values():
        needed[entry["shared_data"]["resource"]].update(entry["shared_data"]["items"])
    return dict(needed)
