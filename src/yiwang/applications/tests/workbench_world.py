"""What the workbench and window page tests share: a submitted case of the small form on the standard
process, and every kind of visitor (staff of the right and wrong department and region, a supervisor,
citizens, staff without the second factor), each with a logged-in test client."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.test import Client

from yiwang.applications.models import Case
from yiwang.catalog.models import Implementation
from yiwang.catalog.tests.factories import DepartmentFactory, region_by_code
from yiwang.conftest import login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import User
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory

from .cases_world import OTHER_COUNTY, World, make_world, submit

# Who may see the case's pages, and who acts on it.
IN_SCOPE = ("clerk", "approver", "supervisor")
OUT_OF_SCOPE = (
    "clerk_other_department",
    "approver_other_department",
    "clerk_other_region",
    "approver_other_region",
)


@dataclass
class PageWorld:
    world: World
    case: Case
    people: dict[str, User] = field(default_factory=dict)

    def client(self, who: str) -> Client:
        """A client logged in as ``who``: staff with the second factor, except ``staff_without_totp``."""
        client = Client()
        if who == "anonymous":
            return client
        user = self.people[who]
        if who in ("citizen", "applicant", "staff_without_totp"):
            client.force_login(user)
        else:
            login_with_second_factor(client, user)
        return client


def _staff(role: str, **where) -> User:
    return StaffAssignmentFactory(role=role, **where).user


def make_page_world() -> PageWorld:
    world = make_world()
    Implementation.objects.filter(pk=world.implementation.pk).update(
        statutory_limit_days=20, promised_limit_days=10
    )
    case, _created = submit(world, key="page-world")
    department = world.department
    other_department = DepartmentFactory(region=department.region)
    other_region = region_by_code(OTHER_COUNTY)
    people = {
        "clerk": world.clerk,
        "approver": world.approver,
        "supervisor": _staff(StaffRole.SUPERVISOR, department=department),
        "clerk_other_department": _staff(StaffRole.WINDOW_CLERK, department=other_department),
        "approver_other_department": _staff(StaffRole.APPROVER, department=other_department),
        "clerk_other_region": _staff(StaffRole.WINDOW_CLERK, department=department, region=other_region),
        "approver_other_region": _staff(StaffRole.APPROVER, department=department, region=other_region),
        "staff_without_totp": world.clerk,
        "applicant": world.applicant,
        "citizen": UserFactory(level3=True),
    }
    return PageWorld(world=world, case=case, people=people)
