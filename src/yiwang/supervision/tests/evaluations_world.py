"""What the 好差评 tests share: a closed case of one department and every kind of actor around it.

The case is built with applications' ``CaseFactory`` (approved and closed) and invited as the closing
action would; ``close_through_services`` drives a real case through refusal to accept instead.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from django.test import Client
from django.utils import timezone

from yiwang.applications.constants import CaseStatus, Decision, TaskState
from yiwang.applications.models import Case, CaseTask
from yiwang.applications.tests.factories import CaseFactory
from yiwang.catalog.tests.factories import DepartmentFactory, ImplementationFactory, region_by_code
from yiwang.conftest import bearer_token, login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import User
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory
from yiwang.regions.models import Department

OTHER_COUNTY = "511621000000"  # 岳池县
CITIZENS = ("applicant", "citizen")
_tokens = itertools.count(1)


@dataclass
class EvalWorld:
    case: Case
    department: Department
    people: dict[str, User] = field(default_factory=dict)

    def client(self, who: str) -> Client:
        client = Client()
        if who == "anonymous":
            return client
        user = self.people[who]
        if who in CITIZENS:
            client.force_login(user)
        else:
            login_with_second_factor(client, user)
        return client

    def bearer(self, who: str, scope: str) -> Client:
        client = Client(**bearer_token(self.people[who], scope, f"tok-eval-{next(_tokens)}"))
        return client


def _staff(role: str, department: Department, **where) -> User:
    return StaffAssignmentFactory(role=role, department=department, **where).user


def closed_case(*, department: Department, **extra) -> Case:
    implementation = ImplementationFactory(department=department)
    now = timezone.now()
    values = {
        "implementation": implementation,
        "status": CaseStatus.APPROVED,
        "decision": Decision.APPROVE,
        "accepted_at": now,
        "decided_at": now,
        "closed_at": now,
        **extra,
    }
    return CaseFactory(**values)


def make_eval_world() -> EvalWorld:
    department = DepartmentFactory()
    other_department = DepartmentFactory(region=department.region)
    far_department = DepartmentFactory(region=region_by_code(OTHER_COUNTY))
    joint_department = DepartmentFactory(region=department.region)
    clerk = _staff(StaffRole.WINDOW_CLERK, department)
    approver = _staff(StaffRole.APPROVER, department)
    # A reviewer of another department who claimed a stage of the case (a joint review).
    handler = _staff(StaffRole.APPROVER, joint_department)
    case = closed_case(department=department, window_clerk=clerk, decided_by=approver)
    case.applicant.phone = "13800000001"
    case.applicant.save(update_fields=["phone"])
    CaseTask.objects.create(
        case=case,
        task_id="task-review",
        bpmn_id="review",
        name="审查",
        role=StaffRole.APPROVER,
        department=joint_department,
        region=case.region,
        state=TaskState.COMPLETED,
        claimed_by=handler,
        completed_by=handler,
        completed_at=timezone.now(),
    )
    people = {
        "applicant": case.applicant,
        "citizen": UserFactory(level3=True),
        "clerk": clerk,
        "approver": approver,
        "handler": handler,
        "head": _staff(StaffRole.DEPARTMENT_HEAD, department),
        "head_other_department": _staff(StaffRole.DEPARTMENT_HEAD, other_department),
        "supervisor": _staff(StaffRole.SUPERVISOR, other_department),
        "supervisor_other_region": _staff(StaffRole.SUPERVISOR, far_department),
    }
    return EvalWorld(case=case, department=department, people=people)
