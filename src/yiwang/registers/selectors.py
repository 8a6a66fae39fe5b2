"""The one gate to the base registers: every read is checked, narrowed to the fields asked for, and logged.

Missing and forbidden answer alike (NotFound), so a caller cannot probe who is registered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Model

from yiwang.audit.constants import GroundKind, Outcome
from yiwang.audit.services import record_read
from yiwang.core.errors import InvalidInput, NotFound

from .constants import LEGAL_PERSON_FIELDS, PERSON_FIELDS, RegisterCode
from .models import LegalPerson, Person, Register
from .policy import ReadDecision, decide_read

if TYPE_CHECKING:
    from yiwang.identity.models import User

# Values stored as codes are returned as the codes; dates as ISO strings are left to the caller's schema.
_PERSON_SOURCES = {"region_code": "region_id"}
_LEGAL_PERSON_SOURCES = {"region_code": "region_id"}


def _checked_fields(fields: Iterable[str], allowed: frozenset[str]) -> list[str]:
    requested = sorted(set(fields))
    unknown = [name for name in requested if name not in allowed]
    if not requested or unknown:
        raise InvalidInput("请求的字段不在该基础库的目录中", code="unknown_register_field", fields=unknown)
    return requested


def _check_purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if not purpose:
        raise InvalidInput("查询基础库必须说明用途", code="purpose_required")
    return purpose[:200]


def read_action(register: str) -> str:
    """The audit log's name for a read of one register's record: registers.person_read, ...."""
    noun = "person" if register == RegisterCode.POPULATION else register
    return f"registers.{noun}_read"


def _is_own_record(person: User | None, register: str, subject: str) -> bool:
    if person is None or not person.is_authenticated:
        return False
    if register == RegisterCode.LEGAL_PERSON:
        return person.represented_enterprises.filter(credit_code=subject).exists()
    return bool(person.id_number) and person.id_number == subject


def _reader_facts(
    *, actor: User | None, requested_by: User | None, register: str, subject: str, decision: ReadDecision
) -> dict[str, Any]:
    """Who read, in what role, and on what ground: the subject themselves or the staff role identity named."""
    person = actor if actor is not None and actor.is_authenticated else requested_by
    if decision.is_own_record or (decision.allowed and _is_own_record(person, register, subject)):
        return {"actor": person, "ground_kind": GroundKind.SELF, "ground_ref": "self"}
    assignment = decision.assignment
    if assignment is None:
        return {"actor": person}
    return {
        "actor": person,
        "actor_role": assignment.role,
        "actor_department": assignment.department,
        "actor_region_code": assignment.region_id,
    }


@dataclass(frozen=True)
class _Read:
    """One read as the gate saw it: what was asked, of which row, and the decision."""

    register: str
    holder: Register | None  # the register row, with its holding department
    subject: str
    fields: list[str]
    purpose: str
    system: str | None
    acting_for: str
    row: dict[str, Any] | None
    decision: ReadDecision


def _log_entry(read: _Read, *, reader: dict[str, Any], ground: dict[str, str] | None) -> dict[str, Any]:
    """The audit entry of one read, granted or not (``record_read`` / ``record_reads`` arguments)."""
    holder = read.holder
    return {
        "action": read_action(read.register),
        "subject": read.subject,
        "fields": read.fields,
        "purpose": read.purpose,
        "outcome": Outcome.ALLOWED if read.row is not None and read.decision.allowed else Outcome.REFUSED,
        "reason": "not_found" if read.row is None else read.decision.reason,
        "system": read.system or "",
        "on_behalf_of": read.acting_for,
        "object_type": f"registers.{read.register}",
        # The row's key, never the ID number: only its keyed hash is stored.
        "object_id": str(read.row["pk"]) if read.row else "",
        "department": holder.department if holder else None,
        **{**(ground or {}), **reader},  # the caller's case or consent; a subject's own read stays "self"
    }


def _write_log(
    read: _Read, *, actor: User | None, requested_by: User | None, ground: dict[str, str] | None
) -> None:
    """Record the read, granted or not, in the one audit log (inside the gate's transaction)."""
    reader = _reader_facts(
        actor=actor,
        requested_by=requested_by,
        register=read.register,
        subject=read.subject,
        decision=read.decision,
    )
    record_read(**_log_entry(read, reader=reader, ground=ground))


def _read_record(
    *,
    actor: User | None,
    register: str,
    model: type[Model],
    key_field: str,
    key: str,
    fields: list[str],
    sources: dict[str, str],
    purpose: str,
    system: str | None,
    acting_for: str,
    requested_by: User | None = None,
    ground: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    columns = [sources.get(name, name) for name in fields]
    with transaction.atomic():
        holder = Register.objects.filter(code=register).select_related("department").first()
        row = model._default_manager.filter(**{key_field: key}).values(*columns, "region_id", "pk").first()
        decision = (
            decide_read(
                actor=actor,
                register=register,
                department_id=holder.department_id if holder else None,
                subject=key,
                region_code=row["region_id"],
                system=system,
            )
            if row is not None
            else ReadDecision(allowed=False)
        )
        read = _Read(register, holder, key, fields, purpose, system, acting_for, row, decision)
        _write_log(read, actor=actor, requested_by=requested_by, ground=ground)
    if row is None or not decision.allowed:
        return None
    return {name: row[sources.get(name, name)] for name in fields}


_GATED: dict[str, tuple[type[Model], str, frozenset[str], dict[str, str]]] = {
    RegisterCode.POPULATION: (Person, "id_number", PERSON_FIELDS, _PERSON_SOURCES),
    RegisterCode.LEGAL_PERSON: (LegalPerson, "credit_code", LEGAL_PERSON_FIELDS, _LEGAL_PERSON_SOURCES),
}


def read_many_for_system(
    *,
    register: str,
    keys: Sequence[str],
    fields: Iterable[str],
    system: str,
    purpose: str,
    acting_for: str,
    actor_department: Any = None,
    ground_kind: str,
    ground_ref: str,
) -> tuple[dict[str, dict[str, Any] | None], list[dict[str, Any]]]:
    """The gate for a platform system reading several records at once (the data-sharing exchange).

    All keys in one ``IN`` query; each record decided by ``policy.decide_read`` as a single read is. Answers
    per key the asked fields (None: missing or refused, alike) and one read entry per key, as
    ``audit.services.record_reads`` takes them: the caller writes them in its transaction, with its own
    entry, in one INSERT. Nothing is returned that the entries do not record.
    """
    model, key_field, allowed, sources = _GATED[register]
    checked = _checked_fields(fields, allowed)
    purpose = _check_purpose(purpose)
    holder = (
        Register.objects.filter(code=register)
        .select_related("department")
        .only("id", "department_id", "department__id", "department__name")
        .first()
    )
    columns = {sources.get(name, name) for name in checked} | {"region_id", "pk", key_field}
    rows = {
        row[key_field]: row
        for row in model._default_manager.filter(**{f"{key_field}__in": list(keys)}).values(*columns)
    }
    records: dict[str, dict[str, Any] | None] = {}
    entries: list[dict[str, Any]] = []
    ground = {"ground_kind": ground_kind, "ground_ref": ground_ref[:100]}
    for key in keys:
        row = rows.get(key)
        decision = (
            decide_read(
                actor=None,
                register=register,
                department_id=holder.department_id if holder else None,
                subject=key,
                region_code=row["region_id"],
                system=system,
            )
            if row is not None
            else ReadDecision(allowed=False)
        )
        read = _Read(register, holder, key, checked, purpose, system, acting_for, row, decision)
        records[key] = (
            {name: row[sources.get(name, name)] for name in checked}
            if row is not None and decision.allowed
            else None
        )
        entries.append(_log_entry(read, reader={"actor_department": actor_department}, ground=ground))
    return records, entries


def access_person_by_id_number(
    *,
    actor: User | None,
    id_number: str,
    purpose: str,
    fields: Iterable[str],
    system: str | None = None,
    acting_for: str = "",
    requested_by: User | None = None,
    ground_kind: str = "",
    ground_ref: str = "",
) -> dict[str, Any]:
    """Return the asked-for fields of a resident's record if the actor may read it; log the read.

    ``actor=None`` with a ``system`` is the platform itself; ``requested_by`` names the person it serves.
    """
    checked = _checked_fields(fields, PERSON_FIELDS)
    record = _read_record(
        actor=actor,
        register=RegisterCode.POPULATION,
        model=Person,
        key_field="id_number",
        key=(id_number or "").strip().upper(),
        fields=checked,
        sources=_PERSON_SOURCES,
        purpose=_check_purpose(purpose),
        system=system,
        acting_for=acting_for,
        requested_by=requested_by,
        ground={"ground_kind": ground_kind, "ground_ref": ground_ref[:100]} if ground_kind else None,
    )
    if record is None:
        raise NotFound("人口库中未找到该记录", code="person_not_found")
    return record


def access_legal_person_by_credit_code(
    *,
    actor: User | None,
    credit_code: str,
    purpose: str,
    fields: Iterable[str],
    system: str | None = None,
    acting_for: str = "",
    requested_by: User | None = None,
    ground_kind: str = "",
    ground_ref: str = "",
) -> dict[str, Any]:
    """Return the asked-for fields of a legal person's record if the actor may read it; log the read."""
    checked = _checked_fields(fields, LEGAL_PERSON_FIELDS)
    record = _read_record(
        actor=actor,
        register=RegisterCode.LEGAL_PERSON,
        model=LegalPerson,
        key_field="credit_code",
        key=(credit_code or "").strip().upper(),
        fields=checked,
        sources=_LEGAL_PERSON_SOURCES,
        purpose=_check_purpose(purpose),
        system=system,
        acting_for=acting_for,
        requested_by=requested_by,
        ground={"ground_kind": ground_kind, "ground_ref": ground_ref[:100]} if ground_kind else None,
    )
    if record is None:
        raise NotFound("法人库中未找到该记录", code="legal_person_not_found")
    return record


def verify_person_name(
    *,
    actor: User | None,
    id_number: str,
    name: str,
    purpose: str,
    system: str | None = None,
    requested_by: User | None = None,
) -> bool:
    """Answer yes or no: does the register hold this ID number under this name (no data handed over)."""
    try:
        record = access_person_by_id_number(
            actor=actor,
            id_number=id_number,
            purpose=purpose,
            fields=["name", "is_deceased"],
            system=system,
            requested_by=requested_by,
        )
    except NotFound:
        return False
    return record["name"] == (name or "").strip() and not record["is_deceased"]


def list_household_members(
    *, actor: User | None, id_number: str, purpose: str, system: str | None = None
) -> list[dict[str, Any]]:
    """The members of a resident's household (family links), each read through the gate and logged."""
    head = access_person_by_id_number(
        actor=actor,
        id_number=id_number,
        purpose=purpose,
        fields=["household_number"],
        system=system,
    )
    numbers = Person.objects.filter(household_number=head["household_number"]).values_list(
        "id_number", flat=True
    )
    members = []
    for number in numbers:
        try:
            members.append(
                access_person_by_id_number(
                    actor=actor,
                    id_number=number,
                    purpose=purpose,
                    system=system,
                    fields=["id_number", "name", "gender", "birth_date", "household_relation"],
                )
            )
        except NotFound:
            continue  # a member this actor may not see is left out, not revealed
    return members


def get_register(*, code: str) -> Register:
    try:
        return Register.objects.select_related("department").get(code=code)
    except Register.DoesNotExist:
        raise NotFound("未找到该基础库", code="register_not_found") from None
