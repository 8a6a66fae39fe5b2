"""The read gates of a case (who sees it, the same "not found" for everyone else), the applicant's list,
the staff queue scoped in SQL and sorted by due date, the public status query."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.applications import selectors
from yiwang.applications.constants import ApplicantKind, AuditAction, CaseStatus, TaskState
from yiwang.applications.models import CaseEvent, CaseTask
from yiwang.applications.services import numbers
from yiwang.applications.tests.factories import CaseFactory
from yiwang.audit.models import AuditEntry, DataUseAlert
from yiwang.catalog.tests.factories import ImplementationFactory, region_by_code
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.identity.constants import PrincipalKind, StaffRole
from yiwang.identity.tests.factories import (
    EnterpriseFactory,
    MandateFactory,
    StaffAssignmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OTHER_COUNTY = "511621000000"  # 岳池县, next to 广安区


@pytest.fixture
def world():
    """A citizen's case, the people around it, and staff of the right and the wrong scope."""
    holder = UserFactory(level3=True)
    case = CaseFactory(applicant=holder)
    department = case.department
    other_item = ImplementationFactory().item

    def agent_with(**mandate):
        agent = UserFactory(level3=True)
        MandateFactory(
            principal_kind=PrincipalKind.PERSON, enterprise=None, granted_by=holder, agent=agent, **mandate
        )
        return agent

    return {
        "case": case,
        "holder": holder,
        "other_citizen": UserFactory(level3=True),
        "agent_all_items": agent_with(),
        "agent_for_item": agent_with(items=[case.implementation.item]),
        "agent_other_item": agent_with(items=[other_item]),
        "agent_expired": agent_with(expired=True),
        "clerk": StaffAssignmentFactory(department=department, role=StaffRole.WINDOW_CLERK).user,
        "approver": StaffAssignmentFactory(department=department, role=StaffRole.APPROVER).user,
        "clerk_other_department": StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK).user,
        "clerk_other_region": StaffAssignmentFactory(
            department=department, region=region_by_code(OTHER_COUNTY), role=StaffRole.WINDOW_CLERK
        ).user,
        "license_admin": StaffAssignmentFactory(department=department, role=StaffRole.LICENSE_ADMIN).user,
    }


SEES = ["holder", "agent_all_items", "agent_for_item", "clerk", "approver"]
DOES_NOT_SEE = [
    "other_citizen",
    "agent_other_item",
    "agent_expired",
    "clerk_other_department",
    "clerk_other_region",
    "license_admin",
]


@pytest.mark.parametrize("who", SEES)
def test_who_may_open_a_case(world, who):
    case = world["case"]
    assert selectors.access_case_by_number(actor=world[who], number=case.number) == case


@pytest.mark.parametrize("who", DOES_NOT_SEE)
def test_everyone_else_gets_the_same_not_found_as_a_missing_number(world, who):
    case = world["case"]
    with pytest.raises(NotFound) as forbidden:
        selectors.access_case_by_number(actor=world[who], number=case.number)
    with pytest.raises(NotFound) as missing:
        selectors.access_case_by_number(actor=world[who], number="511602000000202001019999990")
    assert (forbidden.value.code, forbidden.value.message) == (missing.value.code, missing.value.message)


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(NotFound):
        selectors.access_case_by_number(actor=AnonymousUser(), number=world["case"].number)


def test_reads_by_agents_and_staff_are_logged_with_their_ground(world):
    case = world["case"]
    selectors.access_case_by_number(actor=world["holder"], number=case.number)
    assert not AuditEntry.objects.filter(action=AuditAction.CASE_READ).exists()  # the holder's own read
    selectors.access_case_by_number(actor=world["agent_for_item"], number=case.number)
    selectors.access_case_by_number(actor=world["clerk"], number=case.number)
    agent_read, staff_read = AuditEntry.objects.filter(action=AuditAction.CASE_READ).order_by("pk")
    assert agent_read.ground_kind == "mandate" and agent_read.mandate_id is not None
    assert (staff_read.ground_kind, staff_read.ground_ref) == ("case", case.number)
    assert staff_read.actor_role == StaffRole.WINDOW_CLERK
    assert not DataUseAlert.objects.filter(entry=staff_read).exists()  # a read on a case is expected


def test_an_agent_who_filed_a_case_loses_sight_of_it_when_the_mandate_ends(world):
    holder = world["holder"]
    agent = UserFactory(level3=True)
    mandate = MandateFactory(
        principal_kind=PrincipalKind.PERSON, enterprise=None, granted_by=holder, agent=agent
    )
    case = CaseFactory(applicant=agent, mandate=mandate, holder_code=holder.id_number)
    assert selectors.access_case_by_number(actor=agent, number=case.number) == case
    mandate.revoked_at = timezone.now()
    mandate.save()
    with pytest.raises(NotFound):
        selectors.access_case_by_number(actor=agent, number=case.number)
    assert selectors.access_case_by_number(actor=holder, number=case.number) == case


def test_an_enterprise_case_is_seen_by_its_legal_representative_and_mandated_agents():
    enterprise = EnterpriseFactory()
    agent = UserFactory(level3=True)
    mandate = MandateFactory(enterprise=enterprise, agent=agent)
    case = CaseFactory(
        applicant=agent,
        mandate=mandate,
        applicant_kind=ApplicantKind.ENTERPRISE,
        holder_code=enterprise.credit_code,
        holder_name=enterprise.name,
    )
    assert selectors.access_case_by_number(actor=enterprise.representative, number=case.number) == case
    assert selectors.access_case_by_number(actor=agent, number=case.number) == case
    with pytest.raises(NotFound):
        selectors.access_case_by_number(actor=UserFactory(level3=True), number=case.number)


def test_the_applicants_list_is_paged_newest_first_and_scoped(world):
    holder = world["holder"]
    older = [
        CaseFactory(applicant=holder, submitted_at=timezone.now() - dt.timedelta(days=n)) for n in range(1, 4)
    ]
    CaseFactory()  # someone else's
    first = selectors.list_cases_for_applicant(actor=holder, limit=2)
    second = selectors.list_cases_for_applicant(actor=holder, limit=2, cursor=first.next_cursor)
    assert [c.pk for c in first.items + second.items] == [world["case"].pk, *[c.pk for c in older]]
    assert second.next_cursor is None
    # an agent sees the principal's cases within the mandate's items only
    listed = selectors.list_cases_for_applicant(actor=world["agent_other_item"]).items
    assert listed == []
    assert len(selectors.list_cases_for_applicant(actor=world["agent_all_items"]).items) == 4
    assert selectors.list_cases_for_applicant(actor=world["other_citizen"]).items == []


def test_the_applicants_list_filters_by_status(world):
    holder = world["holder"]
    CaseFactory(applicant=holder, status=CaseStatus.APPROVED)
    assert len(selectors.list_cases_for_applicant(actor=holder, status="open").items) == 1
    assert len(selectors.list_cases_for_applicant(actor=holder, status="closed").items) == 1
    assert len(selectors.list_cases_for_applicant(actor=holder, status=CaseStatus.APPROVED).items) == 1
    with pytest.raises(InvalidInput):
        selectors.list_cases_for_applicant(actor=holder, status="nonsense")


def _task(case, *, role=StaffRole.WINDOW_CLERK, due_on=None, n=0, **extra):
    return CaseTask.objects.create(
        case=case,
        task_id=f"t-{case.pk}-{n}-{role}",
        bpmn_id="accept" if role == StaffRole.WINDOW_CLERK else "review",
        name="受理" if role == StaffRole.WINDOW_CLERK else "审查",
        role=role,
        department=case.department,
        region=case.region,
        due_on=due_on,
        **extra,
    )


def test_the_staff_queue_holds_ready_tasks_of_the_actors_role_department_and_region(world):
    case = world["case"]
    day = dt.date(2026, 10, 12)
    later = _task(CaseFactory(implementation=case.implementation), due_on=day + dt.timedelta(days=3))
    sooner = _task(case, due_on=day)
    undated = _task(CaseFactory(implementation=case.implementation))
    _task(CaseFactory(implementation=case.implementation), due_on=day, state=TaskState.COMPLETED)
    approver_task = _task(case, role=StaffRole.APPROVER, due_on=day, n=1)
    _task(CaseFactory(), due_on=day)  # another department's
    page = selectors.staff_queue(actor=world["clerk"])
    assert [t.pk for t in page.items] == [sooner.pk, later.pk, undated.pk]
    assert [t.pk for t in selectors.staff_queue(actor=world["approver"]).items] == [approver_task.pk]
    for outsider in ("clerk_other_department", "clerk_other_region", "holder", "license_admin"):
        assert selectors.staff_queue(actor=world[outsider]).items == []


def test_the_staff_queue_pages_by_due_date_with_undated_tasks_last(world):
    case = world["case"]
    start = dt.date(2026, 10, 12)
    tasks = [
        _task(CaseFactory(implementation=case.implementation), due_on=start + dt.timedelta(days=n % 3))
        for n in range(7)
    ] + [_task(CaseFactory(implementation=case.implementation)) for _ in range(3)]
    expected = sorted(tasks, key=lambda t: (t.due_on is None, t.due_on or start, t.pk))
    seen, cursor = [], None
    while True:
        page = selectors.staff_queue(actor=world["clerk"], limit=3, cursor=cursor)
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [t.pk for t in seen] == [t.pk for t in expected]
    with pytest.raises(InvalidInput):
        selectors.staff_queue(actor=world["clerk"], cursor="tampered")


def test_the_staff_queue_filters_claimed_tasks(world):
    clerk = world["clerk"]
    mine = _task(world["case"], claimed_by=clerk)
    free = _task(CaseFactory(implementation=world["case"].implementation))
    assert selectors.staff_queue(actor=clerk, claimed="mine").items == [mine]
    assert selectors.staff_queue(actor=clerk, claimed="unclaimed").items == [free]


def test_the_staff_queue_costs_the_same_few_queries_for_any_page(world, django_assert_max_num_queries):
    case = world["case"]
    for n in range(30):
        _task(
            CaseFactory(implementation=case.implementation),
            due_on=dt.date(2026, 10, 1) + dt.timedelta(days=n),
        )
    with django_assert_max_num_queries(3):  # the staff roles, the page (with its cases) — no N+1
        page = selectors.staff_queue(actor=world["clerk"], limit=20)
        [(task.case.number, task.case.implementation.name) for task in page.items]


def test_case_detail_is_for_staff_in_scope_only(world):
    case = world["case"]
    detail = selectors.case_detail(actor=world["approver"], number=case.number)
    assert detail.case == case and detail.clock.promised_due is None
    for who in ("holder", "clerk_other_region", "clerk_other_department"):
        with pytest.raises(NotFound):
            selectors.case_detail(actor=world[who], number=case.number)


def test_public_status_needs_the_right_query_code_and_shows_no_personal_data(world):
    case = world["case"]
    code = numbers.new_query_code()
    case.query_code_hash = numbers.hash_query_code(code)
    case.save()
    CaseEvent.objects.create(case=case, kind="case.submitted", text="已提交申请，等待受理")
    CaseEvent.objects.create(case=case, kind="case.task_claimed", text="受理环节已签收", is_public=False)
    status = selectors.public_status(number=case.number, query_code=code.lower())
    assert status.status == CaseStatus.SUBMITTED
    assert [event.text for event in status.events] == ["已提交申请，等待受理"]
    shown = repr(status)
    assert case.holder_code not in shown and case.holder_name not in shown
    for number, query_code in ((case.number, "WRONGCOD"), ("511602000000202001019999990", code), ("x", code)):
        with pytest.raises(NotFound) as caught:
            selectors.public_status(number=number, query_code=query_code)
        assert caught.value.message == "办件编号或查询码不正确"


def test_staff_of_a_department_in_a_parent_region_see_the_countys_cases():
    # a city-level role (广安市) of the same department covers the county's cases
    case = CaseFactory()
    city_clerk = StaffAssignmentFactory(
        department=case.department, region=region_by_code("511600000000"), role=StaffRole.WINDOW_CLERK
    ).user
    assert selectors.access_case_by_number(actor=city_clerk, number=case.number) == case
