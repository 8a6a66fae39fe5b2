"""What the feedback tests share: an item implemented by a department of 广安区, its staff (handler, head,
data administrator), another department and region, supervisors, citizens, and a filing helper."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.utils import timezone

from yiwang.catalog.models import Implementation
from yiwang.catalog.tests.factories import DepartmentFactory, ImplementationFactory, region_by_code
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import User
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory
from yiwang.regions.models import Department
from yiwang.supervision.constants import FeedbackKind, FeedbackSubject
from yiwang.supervision.services import feedback as services

OTHER_COUNTY = "511621000000"  # 岳池县
CITY = "511600000000"  # 广安市


@dataclass
class World:
    implementation: Implementation
    department: Department
    other_department: Department
    far_department: Department
    people: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)


def staff(department: Department, role: str, region_code: str | None = None) -> User:
    region = region_by_code(region_code) if region_code else department.region
    return StaffAssignmentFactory(department=department, role=role, region=region).user


def make_world() -> World:
    department = DepartmentFactory()
    implementation = ImplementationFactory(department=department, region=department.region)
    other = DepartmentFactory()
    far = DepartmentFactory(region=region_by_code(OTHER_COUNTY))
    world = World(
        implementation=implementation, department=department, other_department=other, far_department=far
    )
    world.people = {
        "filer": UserFactory(level3=True, surname="李", given_name="四海"),
        "other_citizen": UserFactory(level3=True),
        "handler": staff(department, StaffRole.APPROVER),
        "head": staff(department, StaffRole.DEPARTMENT_HEAD),
        "editor": staff(department, StaffRole.DATA_ADMIN),
        "other_head": staff(other, StaffRole.DEPARTMENT_HEAD),
        "far_head": staff(far, StaffRole.DEPARTMENT_HEAD),
        "supervisor": staff(DepartmentFactory(region=region_by_code(CITY)), StaffRole.SUPERVISOR, CITY),
        "far_supervisor": staff(far, StaffRole.SUPERVISOR, OTHER_COUNTY),
    }
    return world


def file(world: World, *, kind: str = FeedbackKind.COMPLAINT, actor: Any = "filer", **overrides: Any):
    arguments: dict[str, Any] = {
        "actor": world.people[actor] if isinstance(actor, str) else actor,
        "kind": kind,
        "subject": FeedbackSubject.ITEM,
        "title": "窗口办理太慢",
        "body": "我是李四海，身份证号 510102199001011234，电话 13912345678，等了三个小时。",
        "item_code": world.implementation.item.code,
        "region_code": world.department.region_id,
    }
    arguments.update(overrides)
    return services.file_feedback(**arguments)


def log_in(client: Client, user: User) -> Client:
    from yiwang.conftest import login_with_second_factor

    if user.is_staff_member:
        login_with_second_factor(client, user)
    else:
        client.force_login(user)
    return client


_original_localdate = timezone.localdate


def set_today(monkeypatch, day: dt.date) -> None:
    """Time travel for the services' "today" (Asia/Shanghai dates) and "now"."""
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))

    def localdate(value: dt.datetime | None = None, tz: Any = None) -> dt.date:
        return _original_localdate(value or noon, tz)

    monkeypatch.setattr(timezone, "localdate", localdate)
    monkeypatch.setattr(timezone, "now", lambda: noon)
