"""Objections: submitted against one's own record only, routed to the holder with 5 working days,
accepted (the register corrected, the history kept) or rejected with a reason; bad input is a clear 400."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.audit.models import AuditEntry
from yiwang.core.errors import Conflict, DomainError, InvalidInput, NotFound
from yiwang.identity.tests.factories import UserFactory
from yiwang.notifications.models import Notice
from yiwang.quality.constants import ObjectionStatus
from yiwang.quality.models import Objection
from yiwang.quality.services import decide_objection, submit_objection
from yiwang.registers.models import Person, RecordChange
from yiwang.registers.tests.factories import PersonFactory

from .factories import make_quality_world

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def world():
    return make_quality_world()


@pytest.fixture
def citizen():
    user = UserFactory(level3=True)
    PersonFactory(id_number=user.id_number, household_address="广安区错误路1号")
    return user


def submit(citizen, **overrides):
    values = {
        "register": "population",
        "record_key": citizen.id_number,
        "item": "household_address",
        "proposed_value": "广安区正确路8号",
        "description": "门牌号登记错误",
        "evidence_text": "户口簿第2页",
    }
    return submit_objection(citizen=citizen, **{**values, **overrides})


def test_an_objection_goes_to_the_holder_with_five_working_days(world, citizen, monkeypatch):
    noon = timezone.make_aware(dt.datetime(2026, 9, 30, 12))
    monkeypatch.setattr("django.utils.timezone.now", lambda: noon)
    objection = submit(citizen)
    assert objection.department == world.police
    assert objection.current_value == "广安区错误路1号"
    # 1–7 October are the National Day holiday; Saturday 10 October is a make-up working day
    assert objection.due_on == dt.date(2026, 10, 13)
    assert Notice.objects.filter(department=world.police, title__contains="数据异议").exists()
    assert AuditEntry.objects.filter(
        action="quality.objection_submitted", object_id=str(objection.pk)
    ).exists()


def test_accepting_corrects_the_register_and_keeps_the_history(world, citizen):
    objection = submit(citizen)
    decided = decide_objection(actor=world.police_admin, objection_id=objection.pk, accept=True)
    assert decided.status == ObjectionStatus.ACCEPTED and decided.applied_value == "广安区正确路8号"
    assert Person.objects.get(id_number=citizen.id_number).household_address == "广安区正确路8号"
    change = RecordChange.objects.get(record_key=citizen.id_number)
    assert change.ground_kind == "objection" and change.ground_ref == str(objection.pk)
    with pytest.raises(Conflict):
        decide_objection(actor=world.police_admin, objection_id=objection.pk, accept=False, reason="再次")


def test_rejecting_needs_a_reason_and_changes_nothing(world, citizen):
    objection = submit(citizen)
    with pytest.raises(InvalidInput):
        decide_objection(actor=world.police_admin, objection_id=objection.pk, accept=False)
    decided = decide_objection(
        actor=world.police_admin, objection_id=objection.pk, accept=False, reason="与户籍档案一致"
    )
    assert decided.status == ObjectionStatus.REJECTED
    assert Person.objects.get(id_number=citizen.id_number).household_address == "广安区错误路1号"


def test_only_the_holding_departments_administrators_decide(world, citizen):
    objection = submit(citizen)
    for outsider in (world.market_admin, world.civil_admin, world.platform_admin, citizen):
        with pytest.raises(NotFound):
            decide_objection(actor=outsider, objection_id=objection.pk, accept=True)


def test_a_citizen_objects_only_to_their_own_record(world, citizen):
    other = PersonFactory()
    with pytest.raises(NotFound):
        submit(citizen, record_key=other.id_number)
    # the refused read stays in the audit log although the objection was refused
    assert AuditEntry.objects.filter(outcome="refused", action="registers.person_read").exists()
    # a level-2 account is not yet tied to its record
    unverified = UserFactory()
    PersonFactory(id_number=unverified.id_number)
    with pytest.raises(NotFound):
        submit(unverified)
    assert not Objection.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"item": "id_number"}, "unknown_item"),
        ({"register": "credit"}, "unknown_register"),
        ({"proposed_value": "  "}, "value_required"),
        ({"item": "birth_date", "proposed_value": "1990/01/01"}, "invalid_date"),
        ({"item": "gender", "proposed_value": "X"}, "invalid_choice"),
        ({"proposed_value": "广安区错误路1号"}, "value_unchanged"),
        ({"description": ""}, "description_required"),
        ({"evidence_text": ""}, "evidence_required"),
        ({"proposed_value": "路" * 201}, "value_too_long"),
    ],
)
def test_bad_input_is_refused_with_a_clear_code(world, citizen, overrides, code):
    with pytest.raises(InvalidInput) as refused:
        submit(citizen, **overrides)
    assert refused.value.code == code and refused.value.message


def test_evidence_files_are_checked_by_content_and_size(world, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("证明.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(InvalidInput) as refused:
        submit(citizen, evidence_text="", evidence_file=fake)
    assert refused.value.code == "evidence_type_not_allowed"
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (5 * 1024 * 1024), content_type="image/png")
    with pytest.raises(InvalidInput) as refused:
        submit(citizen, evidence_text="", evidence_file=big)
    assert refused.value.code == "evidence_too_large"
    objection = submit(
        citizen, evidence_text="", evidence_file=SimpleUploadedFile("../../etc/证明.png", PNG, "text/html")
    )
    assert objection.evidence_type == "image/png"
    stored = objection.evidence_file.name
    assert stored.startswith("objections/") and ".." not in stored and "证明" not in stored
    assert (tmp_path / stored).read_bytes() == PNG


def test_a_rolled_back_objection_leaves_no_evidence_file(world, citizen, settings, tmp_path, monkeypatch):
    # given a failure late in the objection's transaction, after its evidence was written
    settings.MEDIA_ROOT = tmp_path

    def failing_notice(**kwargs):
        raise RuntimeError("notice table unavailable")

    monkeypatch.setattr("yiwang.quality.services.objections.raise_notice", failing_notice)
    # when the citizen submits with a file
    with pytest.raises(RuntimeError):
        submit(citizen, evidence_text="", evidence_file=SimpleUploadedFile("证明.png", PNG, "image/png"))
    # then neither the objection nor its file is kept
    assert not Objection.objects.exists()
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    item=st.sampled_from(
        ["name", "gender", "birth_date", "household_address", "marital_status", "id_number", ""]
    ),
    value=st.text(max_size=250),
    description=st.text(max_size=30),
    key=st.one_of(st.none(), st.text(max_size=20)),
)
def test_any_input_is_an_objection_or_a_clear_refusal(world, citizen, item, value, description, key):
    try:
        objection = submit(
            citizen,
            item=item,
            proposed_value=value,
            description=description,
            record_key=citizen.id_number if key is None else key,
        )
    except DomainError as error:
        assert error.status in {400, 404} and error.message and error.code
    else:
        assert objection.status == ObjectionStatus.SUBMITTED and objection.proposed_value
