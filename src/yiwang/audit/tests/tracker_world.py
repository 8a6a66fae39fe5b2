"""A small world for the data-tracker tests: two citizens, an enterprise, two departments, their staff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yiwang.audit.constants import GroundKind
from yiwang.audit.models import AuditEntry
from yiwang.audit.services import record_read
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import EnterpriseFactory, StaffAssignmentFactory, UserFactory


@dataclass
class World:
    citizen: Any
    other: Any
    representative: Any
    enterprise: Any
    clerk: Any
    auditor: Any
    other_auditor: Any
    department: Any
    other_department: Any
    citizen_entry: AuditEntry
    other_entry: AuditEntry
    enterprise_entry: AuditEntry


def clerk_read(
    clerk, department, subject: str, purpose: str, *, ground: str = GroundKind.CASE, ref: str = "BJ-1"
):
    return record_read(
        action="registers.person_read",
        actor=clerk,
        actor_role=StaffRole.WINDOW_CLERK,
        actor_department=department,
        department=department,
        subject=subject,
        fields=["name", "birth_date"],
        purpose=purpose,
        ground_kind=ground,
        ground_ref=ref if ground else "",
    )


def build_world() -> World:
    department, other_department = DepartmentFactory(), DepartmentFactory()
    clerk = StaffAssignmentFactory(department=department, role=StaffRole.WINDOW_CLERK).user
    other_clerk = StaffAssignmentFactory(department=other_department, role=StaffRole.WINDOW_CLERK).user
    auditor = StaffAssignmentFactory(department=department, role=StaffRole.AUDITOR).user
    other_auditor = StaffAssignmentFactory(department=other_department, role=StaffRole.AUDITOR).user
    citizen, other = UserFactory(level3=True), UserFactory(level3=True)
    enterprise = EnterpriseFactory()
    return World(
        citizen=citizen,
        other=other,
        representative=enterprise.representative,
        enterprise=enterprise,
        clerk=clerk,
        auditor=auditor,
        other_auditor=other_auditor,
        department=department,
        other_department=other_department,
        citizen_entry=clerk_read(clerk, department, citizen.id_number, "受理户籍迁入申请"),
        other_entry=clerk_read(other_clerk, other_department, other.id_number, "核验婚姻登记材料"),
        enterprise_entry=clerk_read(clerk, department, enterprise.credit_code, "核查企业登记信息"),
    )
