"""Changes of register records: each one transaction with its history row, audit entry and announcement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.audit.subjects import subject_hash
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.core import changes as change_notices
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory, synthetic_id_number
from yiwang.regions.models import Region
from yiwang.registers.constants import ChangeGround, ChangeKind, LegalPersonStatus, RegisterCode
from yiwang.registers.models import RecordChange
from yiwang.registers.services import (
    change_household_address,
    correct_record,
    deregister_legal_person,
    register_death,
)

from .factories import LegalPersonFactory, PersonFactory, RegisterFactory

pytestmark = pytest.mark.django_db
YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


@pytest.fixture
def police():
    department = DepartmentFactory(name="区公安分局")
    RegisterFactory(code=RegisterCode.POPULATION, name="人口库", department=department)
    return department


@pytest.fixture
def market():
    department = DepartmentFactory(name="区市监局")
    RegisterFactory(code=RegisterCode.LEGAL_PERSON, name="法人库", department=department)
    return department


def data_admin(department):
    return StaffAssignmentFactory(department=department, role=StaffRole.DATA_ADMIN).user


@pytest.fixture
def heard():
    """Every REGISTER_CHANGED announcement, as a subscriber inside the transaction hears it."""
    calls: list[dict] = []

    def listener(**payload):
        assert transaction.get_connection().in_atomic_block
        calls.append(payload)

    change_notices.subscribe(change_notices.REGISTER_CHANGED, listener)
    yield calls
    change_notices._subscribers[change_notices.REGISTER_CHANGED].remove(listener)


def test_register_death_keeps_history_logs_and_announces_in_the_transaction(police, heard):
    # given a living resident and the police data administrator
    person, admin = PersonFactory(), data_admin(police)
    # when the death is registered on a death certificate
    change = register_death(
        actor=admin,
        id_number=person.id_number,
        date_of_death=YESTERDAY,
        reason="医学死亡证明",
        ground_ref="SW-2026-0001",
    )
    # then the record, its history, the audit log and the subscribers all say so
    person.refresh_from_db()
    assert person.is_deceased
    assert change.kind == ChangeKind.DEATH_REGISTERED and change.effective_on == YESTERDAY
    assert change.changes == {"is_deceased": {"old": False, "new": True}}
    assert (change.ground_kind, change.ground_ref, change.actor) == (
        ChangeGround.DOCUMENT,
        "SW-2026-0001",
        admin,
    )
    entry = AuditEntry.objects.get(action="registers.death_registered")
    assert entry.subject_hash == subject_hash(person.id_number) and entry.fields == ["is_deceased"]
    assert entry.actor == admin and entry.department == police
    assert heard == [
        {
            "register": RegisterCode.POPULATION,
            "key": person.id_number,
            "key_field": "id_number",
            "kind": ChangeKind.DEATH_REGISTERED,
            "changes": {"is_deceased": {"old": False, "new": True}},
            "occurred_at": change.changed_at.isoformat(),
            "change_id": change.pk,
            "department_id": police.pk,
            "subjects": [person.id_number],
        }
    ]
    # and a second registration is a conflict
    with pytest.raises(Conflict):
        register_death(
            actor=admin, id_number=person.id_number, date_of_death=YESTERDAY, reason="重复", ground_ref="x"
        )


def test_a_change_that_rolls_back_leaves_no_history_and_no_log(police, heard):
    person, admin = PersonFactory(), data_admin(police)
    with pytest.raises(RuntimeError), transaction.atomic():
        register_death(
            actor=admin, id_number=person.id_number, date_of_death=YESTERDAY, reason="证明", ground_ref="SW-1"
        )
        raise RuntimeError("the caller fails after the change")
    person.refresh_from_db()
    assert not person.is_deceased
    assert not RecordChange.objects.exists()
    assert not AuditEntry.objects.filter(action="registers.death_registered").exists()


def test_announce_now_refuses_to_run_outside_a_transaction(transactional_db):
    with pytest.raises(RuntimeError):
        change_notices.announce_now("test.topic", value=1)


def test_change_household_address_and_region(police, heard):
    person, admin = PersonFactory(), data_admin(police)
    town = Region.objects.filter(code__startswith="511602", level=4).exclude(code=person.region_id).first()
    change = change_household_address(
        actor=admin,
        id_number=person.id_number,
        address="四川省广安市广安区新路8号",
        region_code=town.code,
        reason="户口迁移",
        ground_ref="QY-2026-0002",
    )
    assert change.kind == ChangeKind.ADDRESS_CHANGED
    assert change.changes == {
        "household_address": {"old": "四川省广安市广安区测试路1号", "new": "四川省广安市广安区新路8号"},
        "region_code": {"old": person.region_id, "new": town.code},
    }
    person.refresh_from_db()
    assert person.region_id == town.code
    with pytest.raises(InvalidInput) as unknown:
        change_household_address(
            actor=admin,
            id_number=person.id_number,
            address="某地",
            region_code="999",
            reason="x",
            ground_ref="y",
        )
    assert unknown.value.code == "invalid_region"


def test_deregister_legal_person(market, heard):
    company, admin = LegalPersonFactory(), data_admin(market)
    change = deregister_legal_person(
        actor=admin,
        credit_code=company.credit_code.lower(),
        deregistered_on=YESTERDAY,
        reason="简易注销",
        ground_ref="ZX-2026-0003",
    )
    company.refresh_from_db()
    assert company.status == LegalPersonStatus.DEREGISTERED
    assert change.changes == {"status": {"old": "active", "new": "deregistered"}}
    assert heard[0]["key_field"] == "credit_code" and heard[0]["key"] == company.credit_code
    with pytest.raises(Conflict):
        deregister_legal_person(
            actor=admin,
            credit_code=company.credit_code,
            deregistered_on=YESTERDAY,
            reason="x",
            ground_ref="y",
        )


def test_correct_record_changes_only_what_differs(police, heard):
    person, admin = PersonFactory(given_name="测一", name="张测一"), data_admin(police)
    change = correct_record(
        register=RegisterCode.POPULATION,
        key=person.id_number,
        changes={"given_name": "策一", "name": "张策一", "ethnicity": "汉族"},
        reason="本人提出异议，经核实户籍档案",
        actor=admin,
        ground_kind=ChangeGround.OBJECTION,
        ground_ref="YY-2026-0004",
    )
    assert change.kind == ChangeKind.RECORD_CORRECTED
    assert change.changes == {
        "given_name": {"old": "测一", "new": "策一"},
        "name": {"old": "张测一", "new": "张策一"},
    }
    assert AuditEntry.objects.get(action="registers.record_corrected").ground_kind == "objection"
    assert heard[0]["kind"] == ChangeKind.RECORD_CORRECTED


def test_correct_legal_person_values_are_parsed_by_their_fields(market):
    company, admin = LegalPersonFactory(), data_admin(market)
    change = correct_record(
        register=RegisterCode.LEGAL_PERSON,
        key=company.credit_code,
        changes={"registered_capital": "250.50", "established_on": "2016-03-01"},
        reason="登记档案核对",
        actor=admin,
        ground_kind=ChangeGround.CASE,
        ground_ref="HD-1",
    )
    company.refresh_from_db()
    assert company.registered_capital == Decimal("250.50")
    assert change.changes["registered_capital"] == {"old": "100.00", "new": "250.50"}
    assert change.changes["established_on"] == {"old": "2015-05-01", "new": "2016-03-01"}


@pytest.mark.parametrize(
    ("register", "changes", "code"),
    [
        (RegisterCode.POPULATION, {"is_deceased": True}, "field_not_correctable"),
        (RegisterCode.POPULATION, {"id_number": "x"}, "field_not_correctable"),
        (RegisterCode.POPULATION, {}, "field_not_correctable"),
        (RegisterCode.POPULATION, {"gender": "9"}, "invalid_value"),
        (RegisterCode.POPULATION, {"gender": "2"}, "inconsistent_gender"),
        (RegisterCode.POPULATION, {"birth_date": "1990-01-01"}, "inconsistent_birth_date"),
        (RegisterCode.POPULATION, {"birth_date": "not a date"}, "invalid_value"),
        (RegisterCode.POPULATION, {"name": "李四"}, "inconsistent_name"),
        (RegisterCode.POPULATION, {"household_address": ""}, "invalid_value"),
        (RegisterCode.POPULATION, {"household_address": "长" * 201}, "invalid_value"),
        (RegisterCode.POPULATION, {"phone": ["13800000000"]}, "invalid_value"),
        (RegisterCode.POPULATION, {"ethnicity": "汉族"}, "nothing_changed"),
        (RegisterCode.CREDIT, {"reason": "x"}, "field_not_correctable"),
    ],
)
def test_correct_record_refuses_bad_fields_and_values_in_chinese(police, register, changes, code):
    person, admin = PersonFactory(), data_admin(police)
    with pytest.raises(InvalidInput) as refused:
        correct_record(
            register=register,
            key=person.id_number,
            changes=changes,
            reason="核实",
            actor=admin,
            ground_kind=ChangeGround.OBJECTION,
            ground_ref="YY-1",
        )
    assert refused.value.code == code
    assert any("\u4e00" <= char <= "\u9fff" for char in refused.value.message)
    assert not RecordChange.objects.exists()


def test_correct_legal_person_checks_the_representative_id_and_dates(market):
    company, admin = LegalPersonFactory(), data_admin(market)
    bad_id = synthetic_id_number(5)[:17] + ("0" if synthetic_id_number(5)[17] != "0" else "1")
    for changes, code in (
        ({"legal_representative_id_number": bad_id}, "invalid_value"),
        ({"approved_on": "2010-01-01"}, "invalid_date"),
        ({"registered_capital": "-1"}, "invalid_value"),
    ):
        with pytest.raises(InvalidInput) as refused:
            correct_record(
                register=RegisterCode.LEGAL_PERSON,
                key=company.credit_code,
                changes=changes,
                reason="核实",
                actor=admin,
                ground_kind=ChangeGround.CASE,
                ground_ref="HD-2",
            )
        assert refused.value.code == code, changes


def test_reason_and_ground_are_required(police):
    person, admin = PersonFactory(), data_admin(police)
    for reason, ground_kind, ground_ref, code in (
        ("", ChangeGround.OBJECTION, "YY-1", "reason_required"),
        ("核实", "gossip", "YY-1", "ground_required"),
        ("核实", ChangeGround.OBJECTION, " ", "ground_required"),
    ):
        with pytest.raises(InvalidInput) as refused:
            correct_record(
                register=RegisterCode.POPULATION,
                key=person.id_number,
                changes={"phone": "13900000000"},
                reason=reason,
                actor=admin,
                ground_kind=ground_kind,
                ground_ref=ground_ref,
            )
        assert refused.value.code == code


def test_who_may_change_a_record(police):
    person = PersonFactory()
    arguments = {
        "register": RegisterCode.POPULATION,
        "changes": {"phone": "13900000000"},
        "reason": "核实",
        "ground_kind": ChangeGround.OBJECTION,
        "ground_ref": "YY-1",
    }
    # another department's data administrator, a clerk of the holder, nobody: refused
    for actor in (
        data_admin(DepartmentFactory()),
        StaffAssignmentFactory(department=police, role=StaffRole.WINDOW_CLERK).user,
        None,
    ):
        with pytest.raises(PermissionDenied):
            correct_record(key=person.id_number, actor=actor, **arguments)
    # the holder's data administrator of another county: as if the record did not exist
    elsewhere = Region.objects.filter(level=3).exclude(code__startswith="511602").first()
    outsider = StaffAssignmentFactory(department=police, role=StaffRole.DATA_ADMIN, region=elsewhere).user
    with pytest.raises(NotFound):
        correct_record(key=person.id_number, actor=outsider, **arguments)
    admin = data_admin(police)
    with pytest.raises(NotFound):
        correct_record(key=synthetic_id_number(99_999), actor=admin, **arguments)
    assert not RecordChange.objects.exists()


def test_correcting_a_property_checks_the_mortgage_and_names_its_owners(heard):
    from yiwang.registers.constants import PropertyUse
    from yiwang.registers.models import RealEstate, RealEstateOwner

    from .factories import town

    land = DepartmentFactory(name="区自然资源和规划局")
    RegisterFactory(code=RegisterCode.REAL_ESTATE, name="不动产登记", department=land)
    estate = RealEstate.objects.create(
        certificate_number="川(2026)广安区不动产权第0000001号",
        unit_number="511602001001GB00001F00010001",
        address="四川省广安市广安区测试路3号",
        region=town(),
        area=Decimal("89.50"),
        use=PropertyUse.RESIDENTIAL,
        registered_on=dt.date(2020, 1, 1),
    )
    owners = sorted(synthetic_id_number(n) for n in (301, 302))
    for number in owners:
        RealEstateOwner.objects.create(
            estate=estate, owner_name="张测", owner_id_number=number, share="共同共有"
        )
    admin = data_admin(land)
    arguments = {
        "register": RegisterCode.REAL_ESTATE,
        "key": estate.certificate_number,
        "reason": "核对登记簿",
        "actor": admin,
        "ground_kind": ChangeGround.CASE,
        "ground_ref": "BDC-1",
    }
    with pytest.raises(InvalidInput) as refused:
        correct_record(changes={"is_mortgaged": True}, **arguments)  # a mortgage without its holder
    assert refused.value.code == "inconsistent_mortgage"
    change = correct_record(
        changes={"is_mortgaged": True, "mortgagee": "广安农商银行", "area": "90.10"}, **arguments
    )
    assert change.changes["area"] == {"old": "89.50", "new": "90.10"}
    assert heard[-1]["key_field"] == "certificate_number" and heard[-1]["subjects"] == owners
