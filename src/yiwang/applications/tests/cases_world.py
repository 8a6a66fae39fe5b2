"""What the case lifecycle tests share: a department with its form, its standard process and its staff,
and a submission through the real services (forms, materials, workflow)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yiwang.applications.constants import MaterialSource
from yiwang.applications.models import Case
from yiwang.applications.services import cases, materials
from yiwang.applications.services.processes import load_default_processes
from yiwang.catalog.models import Implementation
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import User
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory
from yiwang.regions.models import Department

from .forms_world import import_small_form, make_small_world

PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 8
OTHER_COUNTY = "511621000000"  # 岳池县


@dataclass
class World:
    implementation: Implementation
    department: Department
    applicant: User
    clerk: User
    approver: User


def make_world() -> World:
    """The small form's implementation on the standard process, a level-3 applicant and its staff."""
    load_default_processes()
    small = make_small_world()
    import_small_form(small)
    return World(
        implementation=small.implementation,
        department=small.department,
        applicant=UserFactory(level3=True),
        clerk=StaffAssignmentFactory(department=small.department, role=StaffRole.WINDOW_CLERK).user,
        approver=StaffAssignmentFactory(department=small.department, role=StaffRole.APPROVER).user,
    )


def pdf_upload(name: str = "scan.pdf"):
    return materials.store_upload(uploaded_file=SimpleUploadedFile(name, PDF, "application/pdf"))


def form_data(holder: User) -> dict[str, Any]:
    return {
        "applicant_name": holder.full_name,
        "applicant_id_number": holder.id_number,
        "phone": "13800000000",
        "kind": "a",
    }


def submit(
    world: World,
    *,
    actor: User | None = None,
    holder: User | None = None,
    key: str = "",
    **overrides: Any,
) -> tuple[Case, bool]:
    """Submit the small form for ``holder`` (default: the actor themself) with both uploads."""
    actor = actor or world.applicant
    holder = holder or actor
    arguments: dict[str, Any] = {
        "actor": actor,
        "implementation": world.implementation,
        "applicant_kind": "person",
        "holder_code": holder.id_number,
        "situation": {"employed": "no"},
        "data": form_data(holder),
        "prefilled_claims": {},
        "idempotency_key": key,
    }
    arguments.update(overrides)
    if "uploads" not in overrides:  # what the plan still asks to upload (the vault holds earlier ones)
        arguments["uploads"] = uploads_for(
            arguments["implementation"], actor=actor, holder_code=arguments["holder_code"]
        )
    return cases.submit(**arguments)


def uploads_for(implementation: Implementation, *, actor: User, holder_code: str) -> dict[str, Any]:
    plan = materials.plan(
        implementations=[implementation], situation={"employed": "no"}, actor=actor, holder_code=holder_code
    )
    return {item.key: pdf_upload() for item in plan if item.satisfied_by == MaterialSource.UPLOAD}


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
