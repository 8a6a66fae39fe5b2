"""What the API tests share: a submitted case and everyone around it (the applicant, other citizens,
agents with and without a mandate for the item, an enterprise's representative, staff of the right and
of another department or region, a supervisor), how each of them calls the API (session or bearer token),
and the JSON a submission sends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from oauth2_provider.models import AccessToken, Application

from yiwang.applications.constants import MaterialSource
from yiwang.applications.models import Case
from yiwang.applications.services import cases, materials
from yiwang.catalog.tests.factories import ImplementationFactory, region_by_code
from yiwang.identity.constants import PrincipalKind, StaffRole
from yiwang.identity.models import User
from yiwang.identity.tests.factories import (
    EnterpriseFactory,
    MandateFactory,
    StaffAssignmentFactory,
    UserFactory,
)

from .cases_world import OTHER_COUNTY, PDF, World, form_data, make_world, submit

APPLICANT_SCOPES = "openid applications:read applications:write"
STAFF_SCOPES = "openid workbench:read workbench:write applications:read"
UNSCOPED = "openid licenses:read"
MISSING_NUMBER = "511602000000202001010099999"  # a well-formed number no case has (check character wrong)


@dataclass
class ApiWorld:
    world: World
    case: Case
    query_code: str
    enterprise_case: Case
    people: dict[str, User | None] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def implementation(self):
        return self.world.implementation


def log_in(client: Client, user: User) -> Client:
    """A session as the platform makes it: staff carry a confirmed second factor."""
    client.force_login(user)
    if user.is_staff_member:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def token_for(user: User, scope: str) -> str:
    application = Application.objects.filter(client_id="api-tests").first() or Application.objects.create(
        name="办件接口测试",
        client_id="api-tests",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://rp.example.gov.cn/callback",
        algorithm=Application.RS256_ALGORITHM,
    )
    value = f"token-{user.pk}-{scope.replace(' ', '-').replace(':', '_')}"
    AccessToken.objects.get_or_create(
        token=value,
        defaults={
            "user": user,
            "application": application,
            "scope": scope,
            "expires": timezone.now() + dt.timedelta(hours=1),
        },
    )
    return value


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def application_body(world: World, holder: User, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "implementation_code": world.implementation.code,
        "applicant_kind": "person",
        "holder_code": holder.id_number,
        "situation": {"employed": "no"},
        "data": form_data(holder),
        "prefilled": {},
        "materials": {},
    }
    body.update(overrides)
    return body


def upload(client: Client, headers: dict[str, str] | None = None, content: bytes = PDF) -> dict[str, Any]:
    response = client.post(
        "/api/v1/applications/uploads",
        {"file": SimpleUploadedFile("scan.pdf", content, "application/pdf")},
        **(headers or {}),
    )
    assert response.status_code == 201, response.content
    return response.json()


def material_keys(world: World, actor: User, holder_code: str) -> list[str]:
    plan = materials.plan(
        implementations=[world.implementation],
        situation={"employed": "no"},
        actor=actor,
        holder_code=holder_code,
    )
    return [item.key for item in plan if item.satisfied_by == MaterialSource.UPLOAD]


def post_application(
    client: Client, body: dict[str, Any], *, key: str | None = "key-1", headers: dict[str, str] | None = None
):
    extra = dict(headers or {})
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post("/api/v1/applications", body, content_type="application/json", **extra)


def make_api_world() -> ApiWorld:
    world = make_world()
    department = world.department
    applicant = world.applicant
    case, _created = submit(world, key="matrix")
    query_code = case.query_code
    other_item = ImplementationFactory().item

    def agent(principal: User, **mandate: Any) -> User:
        user = UserFactory(level3=True)
        MandateFactory(
            principal_kind=PrincipalKind.PERSON, enterprise=None, granted_by=principal, agent=user, **mandate
        )
        return user

    item = world.implementation.item
    item.audiences = ["person", "enterprise"]
    item.save(update_fields=["audiences"])
    enterprise = EnterpriseFactory()
    representative = enterprise.representative
    enterprise_case, _created = submit(
        world,
        actor=representative,
        applicant_kind="enterprise",
        holder_code=enterprise.credit_code,
        data=form_data(representative),
        key="enterprise",
        uploads=_uploads(world, representative, enterprise.credit_code),
    )
    other_region = region_by_code(OTHER_COUNTY)
    people: dict[str, User | None] = {
        "anonymous": None,
        "applicant": applicant,
        "other_citizen": UserFactory(level3=True),
        "agent_for_item": agent(applicant, items=[world.implementation.item]),
        "agent_other_item": agent(applicant, items=[other_item]),
        "agent_expired": agent(applicant, expired=True),
        "representative": representative,
        "enterprise_agent": MandateFactory(enterprise=enterprise, items=[world.implementation.item]).agent,
        "clerk": world.clerk,
        "approver": world.approver,
        "second_approver": StaffAssignmentFactory(department=department, role=StaffRole.APPROVER).user,
        "supervisor": StaffAssignmentFactory(department=department, role=StaffRole.SUPERVISOR).user,
        "clerk_other_department": StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK).user,
        "approver_other_department": StaffAssignmentFactory(role=StaffRole.APPROVER).user,
        "clerk_other_region": StaffAssignmentFactory(
            department=department, region=other_region, role=StaffRole.WINDOW_CLERK
        ).user,
        "approver_other_region": StaffAssignmentFactory(
            department=department, region=other_region, role=StaffRole.APPROVER
        ).user,
    }
    return ApiWorld(
        world=world, case=case, query_code=query_code, enterprise_case=enterprise_case, people=people
    )


def _uploads(world: World, actor: User, holder_code: str) -> dict[str, Any]:
    return {
        key: materials.store_upload(uploaded_file=SimpleUploadedFile("scan.pdf", PDF, "application/pdf"))
        for key in material_keys(world, actor, holder_code)
    }


def client_as(api: ApiWorld, who: str) -> tuple[Client, dict[str, str]]:
    """A client calling as ``who``: a person by session, or ``token_*`` rows by bearer token.

    ``token_applicant`` / ``token_applicant_unscoped`` carry the applicant's token with and without the
    applications scopes; ``token_clerk`` / ``token_clerk_unscoped`` / ``token_approver`` the staff's.
    """
    client = Client()
    if who.startswith("token_"):
        person, _sep, unscoped = who.removeprefix("token_").partition("_")
        user = api.people[person]
        assert user is not None
        scope = UNSCOPED if unscoped else (STAFF_SCOPES if user.is_staff_member else APPLICANT_SCOPES)
        return client, bearer(token_for(user, scope))
    user = api.people[who]
    if user is not None:
        log_in(client, user)
    return client, {}


def accepted(api: ApiWorld) -> Case:
    """The matrix case accepted by its clerk (the approver's review is then ready)."""
    return cases.accept(actor=api.world.clerk, case=api.case)
