"""Change notices to subscribed systems: written with the change, only under a live grant, masked by it.

A death, a move, a deregistration or a correction in a register (and a revoked e-license) becomes one
outbox event per live subscription whose grant covers the record's key and at least one changed item;
each disclosure is a read of the data subject in the audit log, which the resident's tracker shows.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from yiwang.audit.constants import GroundKind
from yiwang.audit.models import AuditEntry
from yiwang.audit.subjects import subject_hash
from yiwang.core import changes as change_notices
from yiwang.core.call_context import Channel
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.exchange.constants import Mask
from yiwang.exchange.masking import mask_text
from yiwang.exchange.models import Subscription
from yiwang.exchange.selectors import query_resource
from yiwang.exchange.services import decide_request, request_resource, revoke_grant
from yiwang.exchange.services.subscriptions import (
    CHANGE_NOTIFIED,
    CHANGE_TOPIC,
    cancel_subscription,
    subscribe_grant,
    subscribe_system,
)
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import UserFactory
from yiwang.notifications.models import Delivery, OutboxEvent, WebhookEndpoint
from yiwang.registers.constants import ChangeGround, ChangeKind, RegisterCode
from yiwang.registers.services import (
    change_household_address,
    correct_record,
    deregister_legal_person,
    register_death,
)
from yiwang.registers.tests.factories import LegalPersonFactory, PersonFactory

from .factories import CONSUMER_ITEM, make_world, staff

pytestmark = pytest.mark.django_db
YESTERDAY = timezone.localdate() - dt.timedelta(days=1)
CIVIL_URL = "https://mz.example.gov.cn/hooks/yiwang"
HOUSING_URL = "https://zj.example.gov.cn/hooks/yiwang"


def grant_of(world, *, admin, consumer, system, resource, items, full=(), narrowed=None, provider_admin=None):
    share = request_resource(
        actor=admin,
        resource=resource,
        consumer=consumer,
        system=system,
        purpose="最低生活保障审核",
        service_item_codes=[CONSUMER_ITEM],
        legal_basis="《社会救助暂行办法》第十一条",
        item_codes=list(items),
        full_items=list(full),
        ends_on=world.ends_on,
    )
    if provider_admin is not None:
        decide_request(actor=provider_admin, request_id=share.pk, approve=True, masks=narrowed)
    share.refresh_from_db()
    return share.grant


def on_file(system, *people, resource_code: str, items=("id_number",)) -> None:
    """The system looks each person up once for a case: from then on their changes concern it."""
    for person in people:
        query_resource(
            system=system,
            resource_code=resource_code,
            key=person.id_number,
            items=list(items),
            purpose=CONSUMER_ITEM,
            case_number=f"DB-{person.pk}",
        )


@pytest.fixture
def world():
    world = make_world()
    # civil affairs: ID number (partial), name (partial), birth date and death; the address withheld
    world.civil_grant = grant_of(
        world,
        admin=world.civil_admin,
        consumer=world.civil,
        system=world.civil_system,
        resource=world.population,
        items=("id_number", "name", "is_deceased", "household_address"),
        narrowed={"household_address": Mask.WITHHELD},
        provider_admin=world.police_admin,
    )
    # housing: the address (partial) and the ID number in full, but not whether a person died
    world.housing_grant = grant_of(
        world,
        admin=world.housing_admin,
        consumer=world.housing,
        system=world.housing_system,
        resource=world.population,
        items=("id_number", "household_address"),
        full=("id_number",),
        provider_admin=world.police_admin,
    )
    world.civil_company_grant = grant_of(
        world,
        admin=world.civil_admin,
        consumer=world.civil,
        system=world.civil_system,
        resource=world.legal_person,
        items=("credit_code", "name", "status"),
    )
    world.civil_sub = subscribe_grant(actor=world.civil_admin, grant_id=world.civil_grant.pk, url=CIVIL_URL)
    world.housing_sub = subscribe_grant(
        actor=world.housing_admin, grant_id=world.housing_grant.pk, url=HOUSING_URL
    )
    world.person = PersonFactory(name="张测一", surname="张", given_name="测一")
    for system in (world.civil_system, world.housing_system):
        on_file(system, world.person, resource_code=world.population.code)
    return world


def death(world, person=None):
    return register_death(
        actor=world.police_admin,
        id_number=(person or world.person).id_number,
        date_of_death=YESTERDAY,
        reason="医学死亡证明",
        ground_ref="SW-2026-0001",
    )


def test_the_subscriber_is_registered_to_run_inside_the_change(world):
    from yiwang.exchange.services import subscriptions

    assert subscriptions.notify_register_change in change_notices.subscribers(change_notices.REGISTER_CHANGED)
    assert subscriptions.notify_license_revoked in change_notices.subscribers(change_notices.LICENSE_REVOKED)


def test_a_death_reaches_the_grant_that_covers_it_masked_as_granted(world):
    # when the police register a death
    change = death(world)
    # then civil affairs (which holds is_deceased) gets one event; housing (which does not) gets nothing
    event = OutboxEvent.objects.get(topic=CHANGE_TOPIC)
    assert list(event.deliveries.values_list("endpoint__url", flat=True)) == [CIVIL_URL]
    number = world.person.id_number
    assert event.payload == {
        "event_id": str(event.event_id),
        "resource": world.population.code,
        "kind": ChangeKind.DEATH_REGISTERED,
        "occurred_at": change.changed_at.isoformat(),
        "grant": world.civil_grant.pk,
        "subscription": world.civil_sub.pk,
        "key_item": "id_number",
        "key": mask_text(number),
        "items": {"is_deceased": True},
        "masks": {"id_number": Mask.PARTIAL, "is_deceased": Mask.FULL},
    }
    assert mask_text(number) == number[:3] + "*" * 11 + number[-4:]
    assert event.occurred_at == change.changed_at


def test_the_event_is_written_in_the_same_transaction_and_rolls_back_with_the_change(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        death(world)
        assert OutboxEvent.objects.filter(topic=CHANGE_TOPIC).count() == 1  # written with the change
        raise RuntimeError("the change fails later in its transaction")
    assert not OutboxEvent.objects.filter(topic=CHANGE_TOPIC).exists()
    assert not Delivery.objects.exists()
    assert not AuditEntry.objects.filter(action=CHANGE_NOTIFIED).exists()
    world.person.refresh_from_db()
    assert not world.person.is_deceased


def test_an_address_change_shows_only_what_each_grant_covers(world):
    change_household_address(
        actor=world.police_admin,
        id_number=world.person.id_number,
        address="四川省广安市广安区新城大道88号",
        reason="户口迁移",
        ground_ref="QY-2026-0002",
    )
    # civil affairs has the address withheld: nothing; housing gets it partly starred, ID number in full
    event = OutboxEvent.objects.get(topic=CHANGE_TOPIC)
    assert event.payload["subscription"] == world.housing_sub.pk
    assert event.payload["key"] == world.person.id_number
    address = "四川省广安市广安区新城大道88号"
    assert (
        event.payload["items"] == {"household_address": mask_text(address)} != {"household_address": address}
    )
    assert event.payload["masks"] == {"household_address": Mask.PARTIAL, "id_number": Mask.FULL}
    assert "region_code" not in event.payload["items"]  # changed too, but not granted


def test_a_correction_tells_only_the_changed_items_the_grant_covers(world):
    correct_record(
        register=RegisterCode.POPULATION,
        key=world.person.id_number,
        changes={"given_name": "策一", "name": "张策一", "phone": "13912345678"},
        reason="本人提出异议，经核实",
        actor=world.police_admin,
        ground_kind=ChangeGround.OBJECTION,
        ground_ref="YY-2026-0001",
    )
    event = OutboxEvent.objects.get(topic=CHANGE_TOPIC)
    assert event.payload["kind"] == ChangeKind.RECORD_CORRECTED
    assert (
        event.payload["items"] == {"name": mask_text("张策一")} == {"name": "张**"}
    )  # given_name and phone are not in the grant
    assert "13912345678" not in str(event.payload) and "策一" not in str(event.payload)


def test_revoked_expired_cancelled_or_narrowed_subscriptions_get_nothing(world):
    people = [PersonFactory() for _ in range(4)]
    on_file(world.civil_system, *people, resource_code=world.population.code)
    # a revoked grant
    revoke_grant(actor=world.police_admin, grant_id=world.civil_grant.pk, reason="用途已结束")
    death(world, people[0])
    assert not OutboxEvent.objects.filter(topic=CHANGE_TOPIC).exists()
    # an expired grant (a fresh one for civil affairs, ended yesterday)
    fresh = grant_of(
        world,
        admin=world.civil_admin,
        consumer=world.civil,
        system=world.civil_system,
        resource=world.population,
        items=("id_number", "is_deceased"),
        provider_admin=world.police_admin,
    )
    subscription = subscribe_grant(actor=world.civil_admin, grant_id=fresh.pk, url=CIVIL_URL)
    type(fresh).objects.filter(pk=fresh.pk).update(ends_on=YESTERDAY)
    death(world, people[1])
    assert not OutboxEvent.objects.filter(topic=CHANGE_TOPIC).exists()
    # a cancelled subscription of a live grant
    type(fresh).objects.filter(pk=fresh.pk).update(ends_on=world.ends_on)
    cancel_subscription(actor=world.civil_admin, subscription_id=subscription.pk)
    death(world, people[2])
    assert not OutboxEvent.objects.filter(topic=CHANGE_TOPIC).exists()
    # a subscription to other kinds only
    narrowed = subscribe_grant(
        actor=world.civil_admin, grant_id=fresh.pk, url=CIVIL_URL, kinds=[ChangeKind.ADDRESS_CHANGED]
    )
    death(world, people[3])
    assert not OutboxEvent.objects.filter(topic=CHANGE_TOPIC).exists()
    assert narrowed.kinds == ChangeKind.ADDRESS_CHANGED


def test_personal_changes_reach_only_systems_that_have_a_case_about_the_person(world):
    stranger, client_of_civil, mover = PersonFactory(), PersonFactory(), PersonFactory()
    on_file(world.civil_system, client_of_civil, resource_code=world.population.code)
    death(world, stranger)  # neither system ever looked this person up
    assert not OutboxEvent.objects.filter(topic=CHANGE_TOPIC).exists()
    assert not AuditEntry.objects.filter(action=CHANGE_NOTIFIED).exists()
    death(world, client_of_civil)  # civil affairs has a case about them; housing does not
    event = OutboxEvent.objects.get(topic=CHANGE_TOPIC)
    assert event.payload["subscription"] == world.civil_sub.pk
    # a refused lookup is no case: housing asking for an item outside its grant does not count
    with pytest.raises(PermissionDenied):
        query_resource(
            system=world.housing_system,
            resource_code=world.population.code,
            key=mover.id_number,
            items=["name"],
            purpose=CONSUMER_ITEM,
            case_number="DB-X",
        )
    change_household_address(
        actor=world.police_admin,
        id_number=mover.id_number,
        address="四川省广安市广安区建设路1号",
        reason="迁入",
        ground_ref="QR-1",
    )
    assert OutboxEvent.objects.filter(topic=CHANGE_TOPIC).count() == 1


def test_other_resources_changes_go_to_their_own_subscribers(world):
    subscription = subscribe_grant(
        actor=world.civil_admin, grant_id=world.civil_company_grant.pk, url=CIVIL_URL
    )
    assert subscription.endpoint == world.civil_sub.endpoint  # the same system's URL: one endpoint
    company = LegalPersonFactory()
    deregister_legal_person(
        actor=staff(world.market, StaffRole.DATA_ADMIN),
        credit_code=company.credit_code,
        deregistered_on=YESTERDAY,
        reason="简易注销",
        ground_ref="ZX-1",
    )
    event = OutboxEvent.objects.get(topic=CHANGE_TOPIC)
    assert event.payload["resource"] == world.legal_person.code
    assert event.payload["key"] == company.credit_code  # public grade: in full
    assert event.payload["items"] == {"status": "deregistered"}


def test_the_same_change_announced_twice_is_one_event(world):
    change = death(world)
    first = OutboxEvent.objects.get(topic=CHANGE_TOPIC)
    with transaction.atomic():
        change_notices.announce_now(
            change_notices.REGISTER_CHANGED,
            register=change.register,
            key=change.record_key,
            key_field="id_number",
            kind=change.kind,
            changes=change.changes,
            occurred_at=change.changed_at.isoformat(),
            change_id=change.pk,
            department_id=world.police.pk,
            subjects=[change.record_key],
        )
    assert list(OutboxEvent.objects.filter(topic=CHANGE_TOPIC)) == [first]
    assert AuditEntry.objects.filter(action=CHANGE_NOTIFIED).count() == 1


def test_each_disclosure_is_a_read_of_the_subject_under_the_grant_by_webhook(client, world):
    death(world)
    entry = AuditEntry.objects.get(action=CHANGE_NOTIFIED)
    assert entry.kind == "read" and entry.subject_hash == subject_hash(world.person.id_number)
    assert (entry.ground_kind, entry.channel) == (GroundKind.GRANT, Channel.WEBHOOK)
    assert entry.system == world.civil_system.client_id and entry.actor_department == world.civil
    assert entry.department == world.police and entry.fields == ["id_number", "is_deceased"]
    # and the resident sees it on the data tracker: who (civil affairs' system), on what ground, how
    resident = UserFactory(level3=True, id_number=world.person.id_number)
    client.force_login(resident)
    page = client.get("/me/data-uses").content.decode()
    assert world.civil.name in page and "共享授权" in page and "推送" in page
    listed = client.get("/api/v1/me/data-uses").json()["items"]
    assert entry.pk in [item["id"] for item in listed]


def test_a_revoked_license_reaches_nobody_while_no_license_library_is_published(world):
    with transaction.atomic():
        change_notices.announce_now(
            change_notices.LICENSE_REVOKED,
            identifier="1.2.156.3005.2.11100000000013127D.511602.0001.Y",
            license_type_code="11100000000013127D",
            holder_kind="person",
            holder_code=world.person.id_number,
            issuer_id=world.market.pk,
            kind=ChangeKind.LICENSE_REVOKED,
            changes={"status": {"old": "valid", "new": "revoked"}},
            occurred_at=timezone.now().isoformat(),
            change_id=1,
        )
    assert not OutboxEvent.objects.filter(topic=CHANGE_TOPIC).exists()


def test_subscribing_checks_the_grant_the_kinds_and_the_url(world):
    # only the consumer's data administrator, only a live grant, only kinds the resource announces
    for actor in (world.police_admin, world.housing_admin, world.platform_admin):
        with pytest.raises(NotFound):
            subscribe_grant(actor=actor, grant_id=world.civil_grant.pk, url=CIVIL_URL + "/x")
    with pytest.raises(NotFound):
        subscribe_grant(actor=world.civil_admin, grant_id=999_999, url=CIVIL_URL)
    with pytest.raises(Conflict) as twice:
        subscribe_grant(actor=world.civil_admin, grant_id=world.civil_grant.pk, url=CIVIL_URL)
    assert twice.value.code == "already_subscribed"
    with pytest.raises(InvalidInput) as kinds:
        subscribe_grant(
            actor=world.civil_admin,
            grant_id=world.civil_grant.pk,
            url=CIVIL_URL + "/2",
            kinds=[ChangeKind.ENTERPRISE_DEREGISTERED],
        )
    assert kinds.value.code == "unknown_change_kind"
    for url in ("http://10.0.0.8/hooks", "ftp://mz.example.gov.cn/", "", "https://x.cn/" + "a" * 500):
        with pytest.raises(InvalidInput):
            subscribe_grant(actor=world.civil_admin, grant_id=world.civil_grant.pk, url=url)
    keyless = grant_of(
        world,
        admin=world.housing_admin,
        consumer=world.housing,
        system=world.housing_system,
        resource=world.population,
        items=("name", "is_deceased"),
        provider_admin=world.police_admin,
    )
    with pytest.raises(InvalidInput) as no_key:  # it could never be told which record changed
        subscribe_grant(actor=world.housing_admin, grant_id=keyless.pk, url=HOUSING_URL + "/2")
    assert no_key.value.code == "key_item_not_granted"
    revoke_grant(actor=world.civil_admin, grant_id=world.civil_company_grant.pk, reason="不再需要")
    with pytest.raises(Conflict) as dead:
        subscribe_grant(actor=world.civil_admin, grant_id=world.civil_company_grant.pk, url=CIVIL_URL)
    assert dead.value.code == "grant_not_live"
    # a system subscribes only its own grants
    with pytest.raises(NotFound):
        subscribe_system(system=world.housing_system, grant_id=world.civil_grant.pk, url=HOUSING_URL)
    assert Subscription.objects.filter(cancelled_at__isnull=True).count() == 2
    assert WebhookEndpoint.objects.count() == 2


def test_subscribing_and_cancelling_are_audited(world):
    assert AuditEntry.objects.filter(action="exchange.subscribed").count() == 2
    cancel_subscription(actor=world.civil_admin, subscription_id=world.civil_sub.pk)
    entry = AuditEntry.objects.get(action="exchange.subscription_cancelled")
    assert entry.actor == world.civil_admin and entry.department == world.civil
    with pytest.raises(Conflict):
        cancel_subscription(actor=world.civil_admin, subscription_id=world.civil_sub.pk)
    with pytest.raises(NotFound):
        cancel_subscription(actor=world.police_admin, subscription_id=world.housing_sub.pk)


def test_a_revoked_license_reaches_the_subscribers_of_the_published_license_library(world):
    from yiwang.catalog.tests.factories import DepartmentFactory
    from yiwang.exchange.services.library import publish_license_library
    from yiwang.licenses.constants import LicenseStatus
    from yiwang.licenses.services import change_license_status
    from yiwang.licenses.tests.factories import make_license

    # given the license library published by the approval bureau, and civil affairs subscribed under a grant
    bureau = DepartmentFactory(name="区行政审批局")
    library = publish_license_library(provider=bureau)
    grant = grant_of(
        world,
        admin=world.civil_admin,
        consumer=world.civil,
        system=world.civil_system,
        resource=library,
        items=("identifier", "status"),
        provider_admin=staff(bureau, StaffRole.DATA_ADMIN),
    )
    subscribe_grant(actor=world.civil_admin, grant_id=grant.pk, url=CIVIL_URL)
    holder = UserFactory(level3=True)
    license = make_license(holder=holder)
    query_resource(  # civil affairs has a case about this license
        system=world.civil_system,
        resource_code=library.code,
        key=license.identifier,
        items=["identifier"],
        purpose=CONSUMER_ITEM,
        case_number="DB-L1",
    )
    # when the license is revoked
    change_license_status(license=license, to_status=LicenseStatus.REVOKED, reason="以欺骗手段取得")
    # then one event, in the revocation's transaction, masked as granted; the holder's tracker shows it
    event = OutboxEvent.objects.get(topic=CHANGE_TOPIC)
    assert event.payload["kind"] == ChangeKind.LICENSE_REVOKED
    assert event.payload["resource"] == library.code
    assert event.payload["key"] == mask_text(license.identifier)
    assert event.payload["items"] == {"status": LicenseStatus.REVOKED}
    entry = AuditEntry.objects.get(action=CHANGE_NOTIFIED)
    assert entry.subject_hash == subject_hash(holder.id_number) and entry.ground_kind == GroundKind.GRANT
    # and suspending another license tells nobody (only revocation is announced)
    other = make_license(holder=holder)
    change_license_status(license=other, to_status=LicenseStatus.SUSPENDED, reason="核查中")
    assert OutboxEvent.objects.filter(topic=CHANGE_TOPIC).count() == 1
