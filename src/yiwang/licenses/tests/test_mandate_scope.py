"""A mandate limited to some items lets its agent act only on the licenses those items use.

A license is within the mandate when one of its items accepts the license's type in place of a material
(the catalog's "e-license that replaces it") or issues it as the item's result; a mandate for all items
covers every license of the principal.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from yiwang.catalog.tests.factories import ImplementationFactory, MaterialFactory, ServiceItemFactory
from yiwang.core.errors import NotFound, PermissionDenied
from yiwang.identity.selectors import license_scope_for, may_act_on_license
from yiwang.licenses import selectors, services

from .conftest import log_in
from .factories import (
    DepartmentFactory,
    EnterpriseFactory,
    LicenseTypeFactory,
    MandateFactory,
    UserFactory,
    make_license,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def scoped():
    """A holder with two licenses; an agent mandated for two items, one of which accepts the first."""
    holder = UserFactory()
    related_type, unrelated_type = LicenseTypeFactory(), LicenseTypeFactory()
    related = make_license(holder=holder, license_type=related_type)
    unrelated = make_license(holder=holder, license_type=unrelated_type)
    using_item, other_item = ServiceItemFactory(), ServiceItemFactory()
    implementation = ImplementationFactory(item=using_item)
    MaterialFactory(implementation=implementation, license_type_code=related_type.code)
    mandate = MandateFactory(granted_by=holder, covers_all_items=False)
    mandate.items.set([using_item, other_item])
    return holder, mandate.agent, related, unrelated


def _consent_payload(license, department) -> dict:
    return {
        "holder_code": license.holder_code,
        "identifier": license.identifier,
        "requester_credit_code": department.credit_code,
        "purpose": "办理测试事项",
        "expires_at": (timezone.now() + dt.timedelta(days=3)).isoformat(),
    }


def test_the_agent_reads_and_consents_on_a_license_the_mandated_items_use(scoped, client):
    _holder, agent, related, _unrelated = scoped
    assert selectors.access_license_by_identifier(actor=agent, identifier=related.identifier) == related
    log_in(client, agent)
    assert client.get(f"/api/v1/licenses/{related.identifier}").status_code == 200
    assert client.get(reverse("licenses:detail", args=[related.identifier])).status_code == 200
    granted = client.post(
        "/api/v1/licenses/consents",
        data=_consent_payload(related, DepartmentFactory()),
        content_type="application/json",
    )
    assert granted.status_code == 201


def test_the_agent_cannot_read_or_consent_on_an_unrelated_license_of_the_holder(scoped, client):
    _holder, agent, _related, unrelated = scoped
    with pytest.raises(NotFound):
        selectors.access_license_by_identifier(actor=agent, identifier=unrelated.identifier)
    log_in(client, agent)
    assert client.get(f"/api/v1/licenses/{unrelated.identifier}").status_code == 404
    assert client.get(f"/api/v1/licenses/{unrelated.identifier}/bundle").status_code == 404
    assert client.get(reverse("licenses:detail", args=[unrelated.identifier])).status_code == 404
    refused = client.post(
        "/api/v1/licenses/consents",
        data=_consent_payload(unrelated, DepartmentFactory()),
        content_type="application/json",
    )
    assert refused.status_code == 404
    with pytest.raises(PermissionDenied):
        services.grant_consent(
            actor=agent,
            holder_code=unrelated.holder_code,
            license_type=unrelated.license_type,
            requester=DepartmentFactory(),
            purpose="办理测试事项",
            expires_at=timezone.now() + dt.timedelta(days=3),
        )


def test_the_agent_lists_only_the_licenses_in_scope(scoped, client):
    _holder, agent, related, unrelated = scoped
    log_in(client, agent)
    listed = json.dumps(client.get("/api/v1/licenses/mine").json(), ensure_ascii=False)
    assert related.identifier in listed and unrelated.identifier not in listed
    page = client.get(reverse("licenses:mine")).content.decode()
    assert related.identifier in page and unrelated.identifier not in page


def test_the_holder_and_an_all_items_agent_still_see_every_license(scoped):
    holder, _agent, related, unrelated = scoped
    everything = MandateFactory(granted_by=holder).agent
    for actor in (holder, everything):
        listed = set(selectors.list_licenses_for_actor(actor=actor).values_list("identifier", flat=True))
        assert {related.identifier, unrelated.identifier} <= listed


def test_a_license_issued_by_a_mandated_item_is_in_scope():
    holder = UserFactory()
    issued_type = LicenseTypeFactory()
    item = ServiceItemFactory()
    ImplementationFactory(item=item, result_license_type=issued_type.code)
    mandate = MandateFactory(granted_by=holder, covers_all_items=False)
    mandate.items.set([item])
    assert may_act_on_license(mandate.agent, holder_code=holder.id_number, license_type_code=issued_type.code)


def test_an_enterprise_mandate_for_two_items_covers_only_their_license_types():
    representative = UserFactory()
    enterprise = EnterpriseFactory(representative=representative)
    accepted = LicenseTypeFactory()
    items = [ServiceItemFactory(), ServiceItemFactory()]
    MaterialFactory(implementation=ImplementationFactory(item=items[1]), license_type_code=accepted.code)
    mandate = MandateFactory(
        principal_kind="enterprise", enterprise=enterprise, granted_by=representative, covers_all_items=False
    )
    mandate.items.set(items)
    scope = license_scope_for(mandate.agent)
    assert scope.some_types == {enterprise.credit_code: frozenset({accepted.code})}
    assert not scope.covers(holder_code=enterprise.credit_code, license_type_code="OTHER_TYPE")
    assert may_act_on_license(
        representative, holder_code=enterprise.credit_code, license_type_code="OTHER_TYPE"
    )
