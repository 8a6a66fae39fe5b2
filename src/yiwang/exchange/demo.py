"""The exchange's part of the demo: the six register resources and the e-license library, two consuming
systems of two departments with different grants (client credentials), decided by the providers' data
administrators. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.core.changes import ChangeKind
from yiwang.identity.constants import StaffRole, TokenAuthMethod
from yiwang.identity.models import ClientProfile, StaffAssignment, User
from yiwang.regions.models import Department
from yiwang.registers.services import ensure_register_catalog

from .catalog import LICENSE_LIBRARY_HOLDER
from .constants import EXCHANGE_SCOPE, RequestStatus
from .models import Grant, Resource, ShareRequest, Subscription
from .services import decide_request, publish_register_resources, request_resource
from .services.library import publish_license_library
from .services.subscriptions import subscribe_grant

HOME_REGION = "511602000000"
# (client id, secret, name, consumer short name, its data administrator)
DEMO_SYSTEMS = (
    ("demo-rsj-benefits", "demo-rsj-benefits-secret", "区人社局社会保障业务系统", "区人社局", "rsj_data"),
    ("demo-scj-registration", "demo-scj-registration-secret", "区市监局登记注册系统", "区市监局", "scj_data"),
)
DEMO_PURPOSE_ITEM = {"demo-rsj-benefits": "511602-RSJ-YLJ-001", "demo-scj-registration": "511602-SCJ-DJ-001"}
# (client id, resource code, items, full items)
DEMO_GRANTS = (
    (
        "demo-rsj-benefits",
        "RK-511602-0001",
        ("name", "id_number", "birth_date", "is_deceased"),
        ("birth_date",),
    ),
    ("demo-rsj-benefits", "FR-511602-0001", ("name", "status", "legal_representative_name"), ()),
    # benefits checks: owns a property (verify owner_of), pays into the housing fund, on a dishonesty list
    ("demo-rsj-benefits", "BDC-511602-0001", ("certificate_number", "owner_id_numbers", "use"), ()),
    ("demo-rsj-benefits", "GJJ-511602-0001", ("is_active", "employer_name"), ()),
    ("demo-rsj-benefits", "XY-511602-0001", ("has_dishonest_record", "record_count", "kinds"), ()),
    ("demo-scj-registration", "RK-511602-0001", ("name", "is_deceased"), ()),
    # registration checks: the applicant's credit, the staff's insurance, the licenses a business holds
    (
        "demo-scj-registration",
        "XY-511602-0001",
        ("has_dishonest_record", "subject_name", "kinds", "authorities", "decided_on"),
        (),
    ),
    ("demo-scj-registration", "SB-511602-0001", ("schemes", "contributing_schemes", "employer_name"), ()),
    (
        "demo-scj-registration",
        "DZZZ-511602-0001",
        ("identifier", "license_type_code", "status", "holder_name", "valid_until"),
        ("holder_name",),
    ),
)
PROVIDER_ADMINS = {
    "区公安分局": "gaj_data",
    "区市监局": "scj_data",
    "区人社局": "rsj_data",
    "区自然资源和规划局": "zrzy_data",
    "区住建局": "zjj_data",
    LICENSE_LIBRARY_HOLDER: "xzsp_data",
}
# Providers without a demo data administrator of their own get one that only decides the demo's
# requests (no password: the demo's sign-in accounts are the ones `make run` prints).
DECISION_ONLY_ADMINS = {
    "zrzy_data": "区自然资源和规划局",
    "zjj_data": "区住建局",
    "xzsp_data": LICENSE_LIBRARY_HOLDER,
}
# The benefits system is told of deaths in the population register (stop paying a pension), pushed to
# tools/webhook_receiver.py on its default address (docs/notifications.md, "Trying it locally").
DEMO_RECEIVER_URL = "http://localhost:8765/hooks"
DEMO_SUBSCRIPTION = ("demo-rsj-benefits", "RK-511602-0001", ChangeKind.DEATH_REGISTERED)


def _department(short_name: str) -> Department:
    return Department.objects.get(region_id=HOME_REGION, short_name=short_name)


def _system(client_id: str, secret: str, name: str, department: Department) -> Application:
    application = Application.objects.filter(client_id=client_id).first()
    if application is None:
        application = Application.objects.create(
            client_id=client_id,
            client_secret=secret,
            name=name,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            algorithm=Application.RS256_ALGORITHM,
        )
    ClientProfile.objects.update_or_create(
        application=application, defaults={"department": department, "allowed_scopes": EXCHANGE_SCOPE}
    )
    return application


def _grant(system: Application, resource: Resource, items: tuple[str, ...], full: tuple[str, ...]) -> None:
    if Grant.objects.filter(system=system, resource=resource, revoked_at__isnull=True).exists():
        return
    profile = ClientProfile.objects.get(application=system)
    admin = next(entry[4] for entry in DEMO_SYSTEMS if entry[0] == system.client_id)
    share = request_resource(
        actor=User.objects.get(username=admin),
        resource=resource,
        consumer=profile.department,
        system=system,
        purpose=f"{profile.department.short_name}依法履职核验",
        service_item_codes=[DEMO_PURPOSE_ITEM[system.client_id]],
        legal_basis="《政务信息资源共享管理暂行办法》第十条",
        item_codes=list(items),
        full_items=list(full),
        ends_on=timezone.localdate() + dt.timedelta(days=365),
    )
    if share.status == RequestStatus.PENDING:
        provider_admin = User.objects.get(username=PROVIDER_ADMINS[resource.provider.short_name])
        decide_request(actor=provider_admin, request_id=share.pk, approve=True)


def _subscribe(system: Application) -> None:
    client_id, code, kind = DEMO_SUBSCRIPTION
    grant = Grant.objects.filter(system=system, resource__code=code, revoked_at__isnull=True).first()
    if grant is None or Subscription.objects.filter(grant=grant, cancelled_at__isnull=True).exists():
        return
    admin = next(entry[4] for entry in DEMO_SYSTEMS if entry[0] == client_id)
    subscribe_grant(
        actor=User.objects.get(username=admin), grant_id=grant.pk, url=DEMO_RECEIVER_URL, kinds=[kind]
    )


def _decision_only_admins() -> None:
    for username, short_name in DECISION_ONLY_ADMINS.items():
        department = Department.objects.filter(region_id=HOME_REGION, short_name=short_name).first()
        if department is None:
            continue
        user, created = User.objects.get_or_create(
            username=username, defaults={"surname": "数据", "given_name": "管理员", "is_staff_member": True}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        StaffAssignment.objects.get_or_create(
            user=user,
            department=department,
            role=StaffRole.DATA_ADMIN,
            defaults={"region": department.region},
        )


def _publish_all() -> dict[str, Resource]:
    resources = {resource.code: resource for resource in publish_register_resources()}
    holder = Department.objects.filter(region_id=HOME_REGION, short_name=LICENSE_LIBRARY_HOLDER).first()
    if holder is not None:
        library = publish_license_library(provider=holder)
        resources[library.code] = library
    return resources


@transaction.atomic
def load_demo_exchange() -> str:
    """Publish the registers and the e-license library; register the two demo systems and grant them."""
    ensure_register_catalog()  # attaches each register to its holder once the departments exist
    _decision_only_admins()
    resources = _publish_all()
    systems = {
        client_id: _system(client_id, secret, name, _department(short_name))
        for client_id, secret, name, short_name, _ in DEMO_SYSTEMS
    }
    for client_id, code, items, full in DEMO_GRANTS:
        if code in resources:
            _grant(systems[client_id], resources[code], items, full)
    _subscribe(systems[DEMO_SUBSCRIPTION[0]])
    grants = Grant.objects.filter(system__in=systems.values(), revoked_at__isnull=True).count()
    pending = ShareRequest.objects.filter(status=RequestStatus.PENDING).count()
    return f"{len(resources)} resources, {len(systems)} systems, {grants} grants, {pending} pending requests"


def demo_exchange_lines() -> list[str]:
    """What the banner and README say about the demo's consuming systems.

    A system switched to private_key_jwt (the demo's key step does it for one) refuses its secret, so the
    line says how it gets a token instead of printing a secret that no longer works.
    """
    methods = dict(
        ClientProfile.objects.filter(
            application__client_id__in=[entry[0] for entry in DEMO_SYSTEMS]
        ).values_list("application__client_id", "token_endpoint_auth_method")
    )
    lines = []
    for client_id, secret, name, _, _ in DEMO_SYSTEMS:
        granted = ", ".join(code for system, code, *_ in DEMO_GRANTS if system == client_id)
        if methods.get(client_id) == TokenAuthMethod.PRIVATE_KEY_JWT:
            credential = "private_key_jwt (no client secret: a token with tools/client_assertion.py, below)"
        else:
            credential = f"client_secret {secret}"
        lines.append(
            f"{name}: client_id {client_id}  {credential}  purpose {DEMO_PURPOSE_ITEM[client_id]}"
            f"  resources {granted}"
        )
    return lines
