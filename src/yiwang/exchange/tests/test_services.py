"""Requests and grants: who may ask, what is granted at once, the provider's decision, the second
approval of core items, aggregation, 不予共享, revocation, and the audit log of each step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.audit.models import AuditEntry
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.exchange.constants import Mask, RequestStatus, SharingType
from yiwang.exchange.models import Grant, Resource
from yiwang.exchange.selectors import access_grant_by_id, list_grants_for, list_requests_for
from yiwang.exchange.services import (
    approve_sensitive_request,
    decide_request,
    publish_register_resources,
    request_resource,
    revoke_grant,
)

from .factories import CONSUMER_ITEM, make_system, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def ask(world, *, resource=None, items=("name", "is_deceased"), actor=None, **overrides):
    values = {
        "actor": actor or world.civil_admin,
        "resource": resource or world.population,
        "consumer": world.civil,
        "system": world.civil_system,
        "purpose": "最低生活保障审核",
        "service_item_codes": [CONSUMER_ITEM],
        "legal_basis": "《社会救助暂行办法》第十一条",
        "item_codes": list(items),
        "ends_on": world.ends_on,
    }
    return request_resource(**{**values, **overrides})


def test_loader_publishes_both_registers_with_grades_and_is_idempotent(world):
    # when the loader runs again
    again = publish_register_resources()
    # then nothing is duplicated and the grades are those of the catalog
    assert [resource.code for resource in again] == [world.population.code, world.legal_person.code]
    assert Resource.objects.count() == 2
    grades = dict(world.population.items.values_list("code", "grade"))
    assert grades["name"] == 3 and grades["marital_status"] == 4 and grades["is_deceased"] == 2
    phone = world.population.items.get(code="phone")
    assert phone.is_personal and phone.is_sensitive_personal
    assert world.population.sharing_type == SharingType.CONDITIONAL
    assert world.legal_person.sharing_type == SharingType.UNCONDITIONAL
    assert world.population.provider == world.police


def test_catalog_covers_every_field_the_register_gate_serves(world):
    from yiwang.registers.constants import LEGAL_PERSON_FIELDS, PERSON_FIELDS

    assert set(world.population.items.values_list("code", flat=True)) == PERSON_FIELDS
    assert set(world.legal_person.items.values_list("code", flat=True)) == LEGAL_PERSON_FIELDS


def test_unconditional_resource_is_granted_at_once(world):
    share = ask(world, resource=world.legal_person, items=("name", "status"))
    assert share.status == RequestStatus.GRANTED
    assert share.grant.masks == {"name": Mask.FULL, "status": Mask.FULL}
    assert share.grant.system == world.civil_system
    assert AuditEntry.objects.filter(action="exchange.request_submitted", object_id=str(share.pk)).exists()


def test_conditional_resource_waits_for_the_provider_within_five_working_days(world):
    share = ask(world)
    assert share.status == RequestStatus.PENDING
    assert not Grant.objects.exists()
    assert share.decision_due > timezone.localdate()


def test_deadline_across_national_day_counts_working_days_only(world, monkeypatch):
    # given a request submitted on Wednesday 30 September 2026, the eve of the National Day holiday
    submitted = dt.datetime(2026, 9, 30, 10, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: submitted)
    share = ask(world, ends_on=dt.date(2027, 9, 30))
    # then 1-7 October are off, Saturday 10 October is a make-up working day:
    # 8 Oct (1), 9 Oct (2), 10 Oct (3), 12 Oct (4), 13 Oct (5)
    assert share.decision_due == dt.date(2026, 10, 13)


def test_provider_approves_and_the_grant_follows_the_request(world):
    share = ask(world, items=("name", "id_number", "is_deceased"))
    decided = decide_request(actor=world.police_admin, request_id=share.pk, approve=True)
    assert decided.status == RequestStatus.GRANTED
    assert decided.grant.masks == {"id_number": Mask.PARTIAL, "is_deceased": Mask.FULL, "name": Mask.PARTIAL}
    assert AuditEntry.objects.filter(action="exchange.request_decided", actor=world.police_admin).exists()


def test_provider_may_narrow_but_not_widen_the_masks(world):
    share = ask(world, items=("name", "is_deceased"), full_items=["name"])
    with pytest.raises(InvalidInput):
        decide_request(
            actor=world.police_admin, request_id=share.pk, approve=True, masks={"is_deceased": "everything"}
        )
    decided = decide_request(
        actor=world.police_admin, request_id=share.pk, approve=True, masks={"name": Mask.WITHHELD}
    )
    assert decided.grant.masks == {"is_deceased": Mask.FULL, "name": Mask.WITHHELD}


def test_refusal_needs_a_reason_and_is_final(world):
    share = ask(world)
    with pytest.raises(InvalidInput) as error:
        decide_request(actor=world.police_admin, request_id=share.pk, approve=False)
    assert error.value.code == "refusal_reason_required"
    refused = decide_request(
        actor=world.police_admin, request_id=share.pk, approve=False, reason="用途不明确"
    )
    assert refused.status == RequestStatus.REFUSED and refused.refusal_reason == "用途不明确"
    with pytest.raises(Conflict):
        decide_request(actor=world.police_admin, request_id=share.pk, approve=True)


def test_only_the_providers_data_administrator_decides(world):
    share = ask(world)
    for stranger in (world.market_admin, world.housing_admin, world.civil_admin, world.platform_admin):
        with pytest.raises(NotFound):
            decide_request(actor=stranger, request_id=share.pk, approve=True)


def test_only_a_data_administrator_of_the_consumer_may_request(world):
    with pytest.raises(PermissionDenied):
        ask(world, actor=world.housing_admin)  # housing's administrator asking for civil's system


def test_the_consuming_system_must_be_the_consumers_client_credentials_system(world):
    with pytest.raises(InvalidInput):
        ask(world, system=world.housing_system)
    browser_client = make_system(world.civil, "civil-portal", grant_type=Application.GRANT_AUTHORIZATION_CODE)
    with pytest.raises(InvalidInput):
        ask(world, system=browser_client)


def test_not_shared_resource_cannot_be_requested_and_says_why(world):
    world.population.sharing_type = SharingType.NOT_SHARED
    world.population.legal_basis = "《中华人民共和国居民身份证法》第十九条"
    world.population.save()
    with pytest.raises(PermissionDenied) as error:
        ask(world)
    assert error.value.code == "resource_not_shared"
    assert "居民身份证法" in error.value.message


def test_core_items_need_the_platforms_second_approval(world):
    share = ask(world, items=("name", "marital_status"))
    assert share.needs_second_approval
    decided = decide_request(actor=world.police_admin, request_id=share.pk, approve=True)
    assert decided.status == RequestStatus.AWAITING_SECOND_APPROVAL
    assert not Grant.objects.exists()
    # the provider's administrator cannot give the second approval
    with pytest.raises(NotFound):
        approve_sensitive_request(actor=world.police_admin, request_id=share.pk, approve=True)
    approved = approve_sensitive_request(actor=world.platform_admin, request_id=share.pk, approve=True)
    assert approved.status == RequestStatus.GRANTED
    assert approved.grant.masks["marital_status"] == Mask.FULL


def test_second_approval_may_refuse_with_a_reason(world):
    share = ask(world, items=("marital_status",))
    decide_request(actor=world.police_admin, request_id=share.pk, approve=True)
    with pytest.raises(InvalidInput):
        approve_sensitive_request(actor=world.platform_admin, request_id=share.pk, approve=False)
    refused = approve_sensitive_request(
        actor=world.platform_admin, request_id=share.pk, approve=False, reason="超出最小必要"
    )
    assert refused.status == RequestStatus.REFUSED


def test_more_than_three_sensitive_items_of_one_person_count_as_core(world):
    three = ask(world, items=("name", "id_number", "birth_date", "is_deceased"))
    four = ask(world, items=("name", "id_number", "birth_date", "phone"))
    assert not three.needs_second_approval
    assert four.needs_second_approval


def test_unconditional_resource_with_core_aggregation_still_waits_for_the_second_approval(world):
    # the legal-person register has one sensitive personal item: never aggregated, granted at once
    share = ask(world, resource=world.legal_person, items=("legal_representative_id_number", "name"))
    assert share.status == RequestStatus.GRANTED


def test_grants_are_visible_to_both_departments_and_revocable_by_either(world):
    share = ask(world, resource=world.legal_person, items=("name",))
    grant = share.grant
    assert list(list_grants_for(actor=world.civil_admin)) == [grant]
    assert list(list_grants_for(actor=world.market_admin)) == [grant]
    assert list(list_grants_for(actor=world.housing_admin)) == []
    assert list(list_requests_for(actor=world.housing_admin)) == []
    with pytest.raises(NotFound):
        access_grant_by_id(actor=world.housing_admin, grant_id=grant.pk)
    with pytest.raises(NotFound):
        revoke_grant(actor=world.housing_admin, grant_id=grant.pk, reason="无关")
    with pytest.raises(InvalidInput):
        revoke_grant(actor=world.market_admin, grant_id=grant.pk, reason=" ")
    revoked = revoke_grant(actor=world.market_admin, grant_id=grant.pk, reason="系统已停用")
    assert revoked.revoked_at is not None
    assert AuditEntry.objects.filter(action="exchange.grant_revoked", object_id=str(grant.pk)).exists()
    with pytest.raises(Conflict):
        revoke_grant(actor=world.civil_admin, grant_id=grant.pk, reason="重复")


def test_requests_need_purpose_item_codes_basis_and_a_future_end(world):
    with pytest.raises(InvalidInput):
        ask(world, service_item_codes=[])
    with pytest.raises(InvalidInput):
        ask(world, legal_basis=" ")
    with pytest.raises(InvalidInput):
        ask(world, ends_on=timezone.localdate())
    with pytest.raises(InvalidInput):
        ask(world, items=("name", "shoe_size"))


def test_a_request_past_its_deadline_is_listed_as_overdue(world):
    from yiwang.exchange.selectors import list_overdue_requests

    share = ask(world)
    assert list(list_overdue_requests(today=share.decision_due)) == []
    later = share.decision_due + dt.timedelta(days=1)
    assert list(list_overdue_requests(today=later)) == [share]
    decide_request(actor=world.police_admin, request_id=share.pk, approve=True)
    assert list(list_overdue_requests(today=later)) == []
