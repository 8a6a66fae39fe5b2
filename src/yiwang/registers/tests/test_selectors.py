"""The register gate: narrowed fields, one log row per read, the same answer for missing and forbidden."""

from __future__ import annotations

import pytest

from yiwang.audit.constants import AlertReason, GroundKind, Outcome
from yiwang.audit.models import AuditEntry
from yiwang.audit.subjects import subject_hash
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory
from yiwang.registers.constants import RegisterCode
from yiwang.registers.selectors import (
    access_legal_person_by_credit_code,
    access_person_by_id_number,
    list_household_members,
    verify_person_name,
)
from yiwang.registers.tests.factories import LegalPersonFactory, PersonFactory, RegisterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def police():
    department = DepartmentFactory(short_name="区公安分局")
    RegisterFactory(code=RegisterCode.POPULATION, department=department)
    return department


def test_platform_system_reads_only_the_fields_asked_and_logs_them():
    # given
    person = PersonFactory()
    # when
    record = access_person_by_id_number(
        actor=None,
        system="yiwang.identity",
        id_number=person.id_number,
        purpose="实名核验",
        fields=["name", "birth_date"],
    )
    # then
    assert record == {"name": person.name, "birth_date": person.birth_date}
    log = AuditEntry.objects.get()
    assert (log.action, log.subject_hash, log.fields, log.purpose, log.system, log.outcome) == (
        "registers.person_read",
        subject_hash(person.id_number),
        ["birth_date", "name"],
        "实名核验",
        "yiwang.identity",
        Outcome.ALLOWED,
    )
    assert person.id_number not in str(AuditEntry.objects.values().get())  # only the keyed hash is kept


def test_missing_and_forbidden_answer_alike_and_both_are_logged():
    # given a citizen who is not the subject
    person = PersonFactory()
    other = UserFactory(level3=True)
    # when / then
    with pytest.raises(NotFound) as forbidden:
        access_person_by_id_number(actor=other, id_number=person.id_number, purpose="查看", fields=["name"])
    with pytest.raises(NotFound) as missing:
        access_person_by_id_number(
            actor=other, id_number="11010519491231002X", purpose="查看", fields=["name"]
        )
    assert forbidden.value.message == missing.value.message
    assert sorted(AuditEntry.objects.values_list("outcome", "reason")) == [
        (Outcome.REFUSED, "not_found"),
        (Outcome.REFUSED, "not_permitted"),
    ]


def test_level3_citizen_reads_own_record():
    person = PersonFactory()
    user = UserFactory(level3=True, id_number=person.id_number)
    record = access_person_by_id_number(
        actor=user, id_number=person.id_number, purpose="本人查询", fields=["household_address"]
    )
    assert record["household_address"] == person.household_address
    read = AuditEntry.objects.get()
    assert (read.actor, read.ground_kind) == (user, GroundKind.SELF)


def test_staff_of_holding_department_read_within_region_only(police):
    # given a clerk of the police branch of 广安区, and a resident there and one elsewhere
    assignment = StaffAssignmentFactory(department=police, role=StaffRole.WINDOW_CLERK)
    clerk = assignment.user
    local = PersonFactory()
    elsewhere = PersonFactory(region_id="510104017000")  # 成都市锦江区
    # when / then
    assert (
        access_person_by_id_number(
            actor=clerk, id_number=local.id_number, purpose="受理核验", fields=["name"]
        )["name"]
        == local.name
    )
    with pytest.raises(NotFound):
        access_person_by_id_number(
            actor=clerk, id_number=elsewhere.id_number, purpose="受理核验", fields=["name"]
        )
    # and the log names the role that granted the read and the department holding the data
    granted = AuditEntry.objects.get(outcome=Outcome.ALLOWED)
    assert (granted.actor_role, granted.actor_department, granted.actor_region_code, granted.department) == (
        StaffRole.WINDOW_CLERK,
        police,
        assignment.region_id,
        police,
    )
    refused = AuditEntry.objects.get(outcome=Outcome.REFUSED)
    assert refused.subject_hash == subject_hash(elsewhere.id_number)
    # and the refusal says why, so the resident and the police branch's auditors are alerted
    assert (refused.reason, refused.actor_role) == (AlertReason.OUTSIDE_REGION, StaffRole.WINDOW_CLERK)
    assert {(alert.reason, alert.recipient_department_id) for alert in refused.alerts.all()} == {
        (AlertReason.OUTSIDE_REGION, None),
        (AlertReason.OUTSIDE_REGION, police.pk),
    }


def test_staff_of_another_department_are_refused(police):
    clerk = StaffAssignmentFactory(role=StaffRole.APPROVER).user  # some other department
    person = PersonFactory()
    with pytest.raises(NotFound):
        access_person_by_id_number(actor=clerk, id_number=person.id_number, purpose="审批", fields=["name"])
    refused = AuditEntry.objects.get()
    assert (refused.outcome, refused.reason) == (Outcome.REFUSED, "not_permitted")


def test_unknown_field_and_missing_purpose_are_refused():
    person = PersonFactory()
    with pytest.raises(InvalidInput):
        access_person_by_id_number(
            actor=None, system="x", id_number=person.id_number, purpose="p", fields=["password"]
        )
    with pytest.raises(InvalidInput):
        access_person_by_id_number(
            actor=None, system="x", id_number=person.id_number, purpose=" ", fields=["name"]
        )


def test_verify_person_name_answers_yes_or_no():
    person = PersonFactory()
    assert verify_person_name(
        actor=None, system="s", id_number=person.id_number, name=person.name, purpose="核验"
    )
    assert not verify_person_name(
        actor=None, system="s", id_number=person.id_number, name="李四", purpose="核验"
    )


def test_legal_person_gate_reads_register():
    company = LegalPersonFactory()
    record = access_legal_person_by_credit_code(
        actor=None,
        system="s",
        credit_code=company.credit_code.lower(),
        purpose="绑定",
        fields=["name", "status"],
    )
    assert record == {"name": company.name, "status": "active"}


def test_household_members_are_family_links():
    head = PersonFactory(household_number="511602000000777")
    PersonFactory(household_number="511602000000777", household_relation="10")
    PersonFactory()  # another household
    members = list_household_members(actor=None, system="s", id_number=head.id_number, purpose="家庭成员核验")
    assert len(members) == 2
