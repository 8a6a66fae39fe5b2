"""What the card tests share: an accepted case with its open stage, and everyone a card may concern.

The case is built directly (``CaseFactory`` and a ``CaseTask`` row, no workflow): the sweep reads only
the case's status, promised date and limit, and its open stages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.test import Client
from django.utils import timezone

from yiwang.applications.constants import CaseStatus, TaskState
from yiwang.applications.models import Case, CaseTask
from yiwang.applications.tests.cases_world import OTHER_COUNTY
from yiwang.applications.tests.factories import CaseFactory
from yiwang.catalog.tests.factories import DepartmentFactory, ImplementationFactory, region_by_code
from yiwang.conftest import login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import User
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory
from yiwang.regions.models import Department

# Accepted on Monday 28 September 2026, promised in 5 working days: 29, 30 September, then the National
# Day holiday (1–7 October), then 8, 9 and Saturday 10 October (a make-up working day): due 10 October.
ACCEPTED_ON = dt.date(2026, 9, 28)
PROMISED_DUE = dt.date(2026, 10, 10)
STAGE_DUE = dt.date(2026, 9, 29)

# Who a card concerns, and who it must not.
RECIPIENTS = ("handler", "head", "supervisor")
OUTSIDERS = ("supervisor_other_region", "head_other_department", "approver_other_department")


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@dataclass
class CardsWorld:
    department: Department
    case: Case
    task: CaseTask
    people: dict[str, User] = field(default_factory=dict)

    def client(self, who: str) -> Client:
        client = Client()
        if who == "anonymous":
            return client
        user = self.people[who]
        if who in ("citizen", "applicant"):
            client.force_login(user)
        else:
            login_with_second_factor(client, user)
        return client


def _staff(role: str, **where) -> User:
    return StaffAssignmentFactory(role=role, **where).user


def open_case(
    department: Department,
    *,
    accepted_on: dt.date = ACCEPTED_ON,
    promised_due: dt.date = PROMISED_DUE,
    promised_days: int = 5,
    status: str = CaseStatus.ACCEPTED,
    stage_due: dt.date | None = STAGE_DUE,
    claimed_by: User | None = None,
    role: str = StaffRole.APPROVER,
    name: str = "审查",
) -> tuple[Case, CaseTask]:
    implementation = ImplementationFactory(department=department, region=department.region)
    case = CaseFactory(
        implementation=implementation,
        status=status,
        submitted_at=noon(accepted_on),
        accepted_at=noon(accepted_on),
        promised_limit_days=promised_days,
        statutory_limit_days=promised_days * 2,
        promised_due=promised_due,
    )
    task = CaseTask.objects.create(
        case=case,
        task_id=f"t-{case.pk}",
        bpmn_id="review",
        name=name,
        role=role,
        department=department,
        region=case.region,
        state=TaskState.READY,
        claimed_by=claimed_by,
        due_on=stage_due,
    )
    return case, task


def make_cards_world(*, claimed: bool = True) -> CardsWorld:
    department = DepartmentFactory()
    other_department = DepartmentFactory(region=department.region)
    other_region = region_by_code(OTHER_COUNTY)
    handler = _staff(StaffRole.APPROVER, department=department)
    people = {
        "handler": handler,
        "head": _staff(StaffRole.DEPARTMENT_HEAD, department=department),
        "supervisor": _staff(StaffRole.SUPERVISOR, department=other_department),
        "supervisor_other_region": _staff(
            StaffRole.SUPERVISOR, department=DepartmentFactory(region=other_region), region=other_region
        ),
        "head_other_department": _staff(StaffRole.DEPARTMENT_HEAD, department=other_department),
        "approver_other_department": _staff(StaffRole.APPROVER, department=other_department),
        "citizen": UserFactory(level3=True),
    }
    case, task = open_case(department, claimed_by=handler if claimed else None)
    people["applicant"] = case.applicant
    return CardsWorld(department=department, case=case, task=task, people=people)
