"""Writes to the registers: the register catalog (who holds what), the synthetic data sets, and changes
of records (a death, a move, a deregistration, a correction), each kept in the history and announced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field, Model
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.core.changes import REGISTER_CHANGED, announce_now
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.identifiers import InvalidIdentifier, parse_resident_id
from yiwang.identity.selectors import assignment_with_permission
from yiwang.regions.models import Department, Region

from .constants import (
    CORRECTABLE_FIELDS,
    FIELD_LABELS,
    ChangeGround,
    ChangeKind,
    LegalPersonStatus,
    RegisterCode,
)
from .generation import GenerationSummary, generate
from .models import (
    CreditRecord,
    HousingFundAccount,
    InsuranceEnrolment,
    LegalPerson,
    Person,
    RealEstate,
    RecordChange,
    Register,
)

if TYPE_CHECKING:
    from yiwang.identity.models import StaffAssignment, User

# The department (by short name in the home county) that holds each register in the demo.
REGISTER_HOLDERS = {
    RegisterCode.POPULATION: (
        "区公安分局",
        "户籍人口基本信息：身份号码、姓名、性别、出生日期、民族、户籍地址、婚姻状况、家庭成员",
    ),
    RegisterCode.LEGAL_PERSON: (
        "区市监局",
        "市场主体登记信息：统一社会信用代码、名称、类型、法定代表人、注册资本、经营范围",
    ),
    RegisterCode.REAL_ESTATE: ("区自然资源和规划局", "不动产权证书、权利人、坐落、面积、用途、抵押"),
    RegisterCode.SOCIAL_INSURANCE: ("区人社局", "社会保险参保登记与缴费"),
    RegisterCode.HOUSING_FUND: ("区住建局", "住房公积金账户与缴存"),
    RegisterCode.CREDIT: ("区发改局", "失信被执行人、行政处罚等信用信息"),
}
SIZES = {"test": (300, 40), "demo": (3_000, 300), "bench": (1_000_000, 100_000)}


@transaction.atomic
def ensure_register_catalog(*, region_code: str = "511602000000") -> list[Register]:
    """Create the six registers and attach each to its holding department when that department exists."""
    registers = []
    for code, (short_name, description) in REGISTER_HOLDERS.items():
        department = Department.objects.filter(region_id=region_code, short_name=short_name).first()
        register, _ = Register.objects.update_or_create(
            code=code,
            defaults={
                "name": str(RegisterCode(code).label),
                "department": department,
                "description": description,
            },
        )
        registers.append(register)
    return registers


def generate_registers(
    *, size: str = "demo", seed: int = 20261121, progress: bool = False
) -> GenerationSummary:
    """Fill empty registers with synthetic data of the given size; leave filled ones alone."""
    ensure_register_catalog()
    if Person.objects.exists():
        summary = GenerationSummary(created=False)
        for name, model in (
            ("people", Person),
            ("legal_persons", LegalPerson),
            ("real_estates", RealEstate),
            ("insurance_enrolments", InsuranceEnrolment),
            ("housing_fund_accounts", HousingFundAccount),
            ("credit_records", CreditRecord),
        ):
            summary.counts[name] = model.objects.count()
        summary.counts.pop("estate_owners", None)
        return summary
    people, companies = SIZES[size]
    return generate(people=people, companies=companies, seed=seed, progress=progress)


# Changes of records ------------------------------------------------------------------------------

MANAGE_PERMISSION = "register.manage"
# register -> (model, key field, what the key is called)
_RECORDS: dict[str, tuple[type[Person] | type[LegalPerson] | type[RealEstate], str, str]] = {
    RegisterCode.POPULATION: (Person, "id_number", "公民身份号码"),
    RegisterCode.LEGAL_PERSON: (LegalPerson, "credit_code", "统一社会信用代码"),
    RegisterCode.REAL_ESTATE: (RealEstate, "certificate_number", "不动产权证书号"),
}
_SOURCES = {"region_code": "region_id"}
RegisterRecord = Person | LegalPerson | RealEstate  # item names that are stored under another column


def _plain(value: Any) -> Any:
    """A register value as plain JSON (what the history keeps and subscribers receive)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _checked_ground(*, reason: str, ground_kind: str, ground_ref: str) -> tuple[str, str, str]:
    if not (reason or "").strip():
        raise InvalidInput("变更须说明理由", code="reason_required")
    if ground_kind not in ChangeGround.values or not (ground_ref or "").strip():
        raise InvalidInput(
            "变更须写明依据类别（证明文书、办件、数据异议或法定依据）和依据编号",
            code="ground_required",
            ground_kinds=list(ChangeGround.values),
        )
    return reason.strip(), ground_kind, ground_ref.strip()[:100]


def _checked_day(day: Any, *, label: str, not_before: dt.date | None = None) -> dt.date:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise InvalidInput(f"{label}须为日期", code="invalid_date")
    if day > timezone.localdate() or (not_before is not None and day < not_before):
        raise InvalidInput(f"{label}超出合理范围", code="invalid_date")
    return day


def _manager(actor: User | None, holder: Register) -> StaffAssignment:
    """The actor's role that manages the register (in any region); refused when there is none."""
    assignment = (
        assignment_with_permission(
            actor=actor, permission=MANAGE_PERMISSION, department_id=holder.department_id
        )
        if actor is not None and holder.department_id is not None
        else None
    )
    if assignment is None:
        raise PermissionDenied("只有该基础库责任部门的数据管理员可以变更记录", code="not_register_manager")
    return assignment


def _locked_record(actor: User | None, register: str, key: str) -> tuple[Model, Register, StaffAssignment]:
    """The record under a row lock, its register, and the actor's role over the record's region."""
    if register not in _RECORDS:
        raise InvalidInput("该基础库不支持在线变更", code="register_not_changeable")
    holder = Register.objects.select_related("department").filter(code=register).first()
    if holder is None:
        raise NotFound("未找到该基础库", code="register_not_found")
    _manager(actor, holder)
    model, key_field, _label = _RECORDS[register]
    record: RegisterRecord | None = (
        model._default_manager.select_for_update().filter(**{key_field: (key or "").strip().upper()}).first()
    )
    assignment = (
        assignment_with_permission(
            actor=actor,
            permission=MANAGE_PERMISSION,
            department_id=holder.department_id,
            region_code=record.region_id,
        )
        if record is not None and holder.department_id is not None
        else None
    )
    if record is None or assignment is None:  # outside the actor's region answers as missing
        raise NotFound("基础库中未找到该记录", code="record_not_found")
    return record, holder, assignment


def _label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def _cleaned(record: Model, changes: dict[str, Any]) -> dict[str, Any]:
    """Each new value through its model field's own checks (type, choices, length, blank)."""
    cleaned = {}
    for name, value in changes.items():
        if value is not None and not isinstance(value, (str, bool, int, float, Decimal, dt.date)):
            raise InvalidInput(f"“{_label(name)}”的值无效", code="invalid_value", field=name)
        field = cast(Field, record._meta.get_field(name))
        try:
            cleaned[name] = field.clean(value.strip() if isinstance(value, str) else value, record)
        except ValidationError as error:
            message = "；".join(str(text) for text in error.messages)
            raise InvalidInput(
                f"“{_label(name)}”的值无效：{message}", code="invalid_value", field=name
            ) from None
    return cleaned


def _check_person(person: Person) -> None:
    resident = parse_resident_id(person.id_number)
    if person.name != person.surname + person.given_name:
        raise InvalidInput("姓名须与姓、名一致", code="inconsistent_name")
    if person.birth_date != resident.birth_date:
        raise InvalidInput("出生日期与公民身份号码不一致", code="inconsistent_birth_date")
    if (person.gender == "1") != resident.is_male:
        raise InvalidInput("性别与公民身份号码不一致", code="inconsistent_gender")


def _check_legal_person(company: LegalPerson) -> None:
    try:
        parse_resident_id(company.legal_representative_id_number)
    except InvalidIdentifier as error:
        raise InvalidInput(
            f"法定代表人身份号码无效：{error.message}",
            code="invalid_value",
            field="legal_representative_id_number",
        ) from None
    today = timezone.localdate()
    if (
        company.established_on > today
        or company.approved_on > today
        or company.approved_on < company.established_on
    ):
        raise InvalidInput("成立日期、核准日期须不晚于今天，且核准日期不早于成立日期", code="invalid_date")
    if company.registered_capital < 0:
        raise InvalidInput("注册资本不能为负数", code="invalid_value", field="registered_capital")


def _check_real_estate(estate: RealEstate) -> None:
    if estate.area <= 0:
        raise InvalidInput("建筑面积须大于零", code="invalid_value", field="area")
    if estate.is_mortgaged != bool(estate.mortgagee.strip()):
        raise InvalidInput("已抵押的须写明抵押权人，未抵押的不能有抵押权人", code="inconsistent_mortgage")


_RECORD_CHECKS: dict[str, Callable[[Any], None]] = {
    RegisterCode.POPULATION: _check_person,
    RegisterCode.LEGAL_PERSON: _check_legal_person,
    RegisterCode.REAL_ESTATE: _check_real_estate,
}


def _apply(record: Model, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set the values that differ; return {item: {"old", "new"}} of what changed (plain JSON)."""
    diff = {}
    for name, value in values.items():
        column = _SOURCES.get(name, name)
        old = getattr(record, column)
        if _plain(old) != _plain(value):
            diff[name] = {"old": _plain(old), "new": _plain(value)}
            setattr(record, column, value)
    if not diff:
        raise InvalidInput("变更后的值与现有记录相同", code="nothing_changed")
    return diff


def _record_change(
    record: Model,
    holder: Register,
    assignment: StaffAssignment,
    *,
    actor: User | None,
    kind: str,
    diff: dict[str, dict[str, Any]],
    ground: tuple[str, str, str],
    effective_on: dt.date | None = None,
) -> RecordChange:
    """Save the record, keep the history row, log it, and tell the subscribers in this transaction."""
    register = holder.code
    record.save(update_fields=[_SOURCES.get(name, name) for name in diff])
    key = getattr(record, _RECORDS[register][1])
    reason, ground_kind, ground_ref = ground
    change = RecordChange.objects.create(
        register=register,
        record_key=key,
        kind=kind,
        changes=diff,
        reason=reason,
        effective_on=effective_on,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_department=assignment.department,
        ground_kind=ground_kind,
        ground_ref=ground_ref,
        changed_at=timezone.now(),
    )
    record_event(
        action=f"registers.{kind}",
        actor=actor,
        actor_role=assignment.role,
        actor_department=assignment.department,
        actor_region_code=assignment.region_id,
        target=change,
        department=holder.department,
        subject=key,  # kept only as its keyed hash; the values stay in the register's history
        fields=sorted(diff),
        purpose=reason,
        ground_kind=ground_kind,
        ground_ref=ground_ref,
        details={"register": register, "kind": kind},
    )
    announce_now(
        REGISTER_CHANGED,
        register=register,
        key=key,
        key_field=_RECORDS[register][1],
        kind=kind,
        changes=diff,
        occurred_at=change.changed_at.isoformat(),
        change_id=change.pk,
        department_id=holder.department_id,
        subjects=_subjects_of(record, key),
    )
    return change


def _subjects_of(record: Model, key: str) -> list[str]:
    """Whose data the record is: the person or enterprise it is keyed by, or a property's owners."""
    if isinstance(record, RealEstate):
        return sorted(set(record.owners.values_list("owner_id_number", flat=True)))
    return [key]


@transaction.atomic
def correct_record(
    *,
    register: str,
    key: str,
    changes: dict[str, Any],
    reason: str,
    actor: User | None,
    ground_kind: str,
    ground_ref: str,
) -> RecordChange:
    """Correct fields of one record (an accepted objection, a data-quality finding); history kept, announced.

    ``changes`` maps field names of ``CORRECTABLE_FIELDS[register]`` to new values; every value is checked
    by its field and the record as a whole (name and ID number agree, dates in order). The actor must be a
    data administrator (``register.manage``) of the register's holding department for the record's region.
    ``ground_kind`` is a ``ChangeGround`` value (``objection`` for an accepted objection).
    """
    ground = _checked_ground(reason=reason, ground_kind=ground_kind, ground_ref=ground_ref)
    allowed = CORRECTABLE_FIELDS.get(register, frozenset())
    unknown = sorted(set(changes or {}) - allowed)
    if not changes or unknown:
        raise InvalidInput(
            "这些字段不能在此更正：" + "、".join(_label(name) for name in unknown)
            if unknown
            else "请写明要更正的字段",
            code="field_not_correctable",
            fields=unknown,
            allowed=sorted(allowed),
        )
    record, holder, assignment = _locked_record(actor, register, key)
    diff = _apply(record, _cleaned(record, changes))
    _RECORD_CHECKS[register](record)
    return _record_change(
        record, holder, assignment, actor=actor, kind=ChangeKind.RECORD_CORRECTED, diff=diff, ground=ground
    )


@transaction.atomic
def register_death(
    *,
    actor: User | None,
    id_number: str,
    date_of_death: dt.date,
    reason: str,
    ground_kind: str = ChangeGround.DOCUMENT,
    ground_ref: str,
) -> RecordChange:
    """Register a resident's death (on a death certificate, usually); announced to the subscribers."""
    ground = _checked_ground(reason=reason, ground_kind=ground_kind, ground_ref=ground_ref)
    record, holder, assignment = _locked_record(actor, RegisterCode.POPULATION, id_number)
    person = cast(Person, record)
    if person.is_deceased:
        raise Conflict("该人员已登记死亡", code="already_deceased")
    day = _checked_day(date_of_death, label="死亡日期", not_before=person.birth_date)
    diff = _apply(person, {"is_deceased": True})
    return _record_change(
        person,
        holder,
        assignment,
        actor=actor,
        kind=ChangeKind.DEATH_REGISTERED,
        diff=diff,
        ground=ground,
        effective_on=day,
    )


@transaction.atomic
def change_household_address(
    *,
    actor: User | None,
    id_number: str,
    address: str,
    reason: str,
    ground_kind: str = ChangeGround.CASE,
    ground_ref: str,
    region_code: str | None = None,
    moved_on: dt.date | None = None,
) -> RecordChange:
    """Move a resident's household registration to ``address`` (and region); announced to subscribers."""
    ground = _checked_ground(reason=reason, ground_kind=ground_kind, ground_ref=ground_ref)
    record, holder, assignment = _locked_record(actor, RegisterCode.POPULATION, id_number)
    person = cast(Person, record)
    if person.is_deceased:
        raise Conflict("该人员已登记死亡，不能迁移户籍", code="already_deceased")
    values: dict[str, Any] = _cleaned(person, {"household_address": address})
    if region_code is not None:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise InvalidInput("未找到该行政区划", code="invalid_region", field="region_code")
        values["region_code"] = region.code
    day = _checked_day(moved_on or timezone.localdate(), label="迁移日期", not_before=person.birth_date)
    diff = _apply(person, values)
    return _record_change(
        person,
        holder,
        assignment,
        actor=actor,
        kind=ChangeKind.ADDRESS_CHANGED,
        diff=diff,
        ground=ground,
        effective_on=day,
    )


@transaction.atomic
def deregister_legal_person(
    *,
    actor: User | None,
    credit_code: str,
    deregistered_on: dt.date,
    reason: str,
    ground_kind: str = ChangeGround.CASE,
    ground_ref: str,
) -> RecordChange:
    """Deregister (注销) an enterprise; announced to the subscribers of the legal-person resource."""
    ground = _checked_ground(reason=reason, ground_kind=ground_kind, ground_ref=ground_ref)
    record, holder, assignment = _locked_record(actor, RegisterCode.LEGAL_PERSON, credit_code)
    company = cast(LegalPerson, record)
    if company.status == LegalPersonStatus.DEREGISTERED:
        raise Conflict("该市场主体已注销", code="already_deregistered")
    day = _checked_day(deregistered_on, label="注销日期", not_before=company.established_on)
    diff = _apply(company, {"status": LegalPersonStatus.DEREGISTERED})
    return _record_change(
        company,
        holder,
        assignment,
        actor=actor,
        kind=ChangeKind.ENTERPRISE_DEREGISTERED,
        diff=diff,
        ground=ground,
        effective_on=day,
    )
