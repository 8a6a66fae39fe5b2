"""The exchange's part of the demo: the register resources, two consuming systems of two departments
with different grants (client credentials), decided by the providers' data administrators. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.core.changes import ChangeKind
from yiwang.identity.models import ClientProfile, User
from yiwang.regions.models import Department
from yiwang.registers.services import ensure_register_catalog

from .constants import EXCHANGE_SCOPE, RequestStatus
from .models import Grant, Resource, ShareRequest, Subscription
from .services import decide_request, publish_register_resources, request_resource
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
    ("demo-scj-registration", "RK-511602-0001", ("name", "is_deceased"), ()),
)
PROVIDER_ADMINS = {"区公安分局": "gaj_data", "区市监局": "scj_data"}
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


@transaction.atomic
def load_demo_exchange() -> str:
    """Publish the register resources; register the two demo systems and grant them."""
    ensure_register_catalog()  # attaches each register to its holder once the departments exist
    resources = {resource.code: resource for resource in publish_register_resources()}
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
    """What the banner and README say about the demo's consuming systems."""
    lines = []
    for client_id, secret, name, _, _ in DEMO_SYSTEMS:
        lines.append(
            f"{name}: client_id {client_id}  client_secret {secret}  purpose {DEMO_PURPOSE_ITEM[client_id]}"
        )
    return lines
