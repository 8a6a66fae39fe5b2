"""Binding enterprises and mandates: checked against the legal-person register, scoped, dated, revocable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.audit.constants import Outcome
from yiwang.audit.models import AuditEntry
from yiwang.audit.subjects import subject_hash
from yiwang.catalog.tests.factories import ServiceItemFactory
from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.identity.constants import AuditAction
from yiwang.identity.services import authorize_agent_action, bind_enterprise, grant_mandate, revoke_mandate
from yiwang.identity.tests.factories import EnterpriseFactory, MandateFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date.today


def test_legal_representative_binds_the_company_from_the_register(registers):
    user = UserFactory(level3=True)
    company = registers.company(legal_representative_id_number=user.id_number)
    enterprise = bind_enterprise(user=user, credit_code=company.credit_code)
    assert (enterprise.name, enterprise.representative) == (company.name, user)
    bound = AuditEntry.objects.get(action=AuditAction.ENTERPRISE_BOUND, actor=user)
    assert bound.subject_hash == subject_hash(company.credit_code)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91511602MA62X5XX1", "invalid_uscc_format"),  # 17 characters
        ("91511602MA62X5XX1I", "invalid_uscc_format"),  # letter I is not allowed
        ("915116020000000011", "invalid_uscc_checksum"),  # wrong check character
    ],
)
def test_invalid_credit_codes_are_refused_and_logged(code, reason):
    user = UserFactory(level3=True)
    with pytest.raises(InvalidInput) as refused:
        bind_enterprise(user=user, credit_code=code)
    assert refused.value.code == reason and "统一社会信用代码" in refused.value.message
    assert AuditEntry.objects.get(action=AuditAction.ENTERPRISE_BIND_REFUSED).details["reason"] == reason


def test_someone_else_cannot_bind_the_company(registers):
    company = registers.company()
    with pytest.raises(PermissionDenied) as refused:
        bind_enterprise(user=UserFactory(level3=True), credit_code=company.credit_code)
    assert "法定代表人" in refused.value.message


def test_level_2_cannot_bind(registers):
    user = UserFactory()
    company = registers.company(legal_representative_id_number=user.id_number)
    with pytest.raises(PermissionDenied):
        bind_enterprise(user=user, credit_code=company.credit_code)


def test_agent_acts_within_scope_and_is_refused_outside_it():
    # given a mandate for one item
    inside, outside = ServiceItemFactory(), ServiceItemFactory()
    mandate = MandateFactory(items=[inside])
    # when / then
    authorize_agent_action(agent=mandate.agent, mandate=mandate, item_code=inside.code, action="apply")
    acted = AuditEntry.objects.get(action=AuditAction.ACTED_FOR)
    assert acted.mandate_id == mandate.pk and acted.on_behalf_of == mandate.enterprise.name
    with pytest.raises(PermissionDenied) as refused:
        authorize_agent_action(agent=mandate.agent, mandate=mandate, item_code=outside.code, action="apply")
    assert refused.value.code == "item_outside_mandate"
    refusal = AuditEntry.objects.get(action=AuditAction.MANDATE_REFUSED, mandate_id=mandate.pk)
    assert (refusal.outcome, refusal.reason) == (Outcome.REFUSED, "item_outside_mandate")


def test_expired_and_revoked_mandates_are_refused_with_reasons():
    expired = MandateFactory(expired=True)
    with pytest.raises(PermissionDenied) as refused:
        authorize_agent_action(agent=expired.agent, mandate=expired, item_code=None, action="apply")
    assert refused.value.code == "mandate_expired" and "到期" in refused.value.message
    active = MandateFactory()
    revoke_mandate(mandate=active, revoked_by=active.granted_by)
    with pytest.raises(PermissionDenied) as revoked:
        authorize_agent_action(agent=active.agent, mandate=active, item_code=None, action="apply")
    assert revoked.value.code == "mandate_revoked"


def test_grant_checks_agent_identity_dates_and_scope():
    enterprise = EnterpriseFactory()
    agent = UserFactory(level3=True)
    today = timezone.localdate()
    base = {
        "granted_by": enterprise.representative,
        "enterprise": enterprise,
        "agent_id_number": agent.id_number,
        "agent_name": agent.full_name,
        "valid_from": today,
        "valid_until": today + dt.timedelta(days=30),
        "covers_all_items": True,
    }
    assert grant_mandate(**base).agent == agent
    cases = [
        ({"agent_name": "不对的名字"}, "agent_unknown"),
        (
            {"valid_until": today - dt.timedelta(days=1), "valid_from": today - dt.timedelta(days=9)},
            "mandate_already_expired",
        ),
        ({"valid_until": today - dt.timedelta(days=1)}, "mandate_dates_reversed"),
        ({"covers_all_items": False}, "mandate_scope_empty"),
        ({"agent_id_number": "110105194912310021"}, "invalid_id_checksum"),
    ]
    for change, code in cases:
        with pytest.raises(InvalidInput) as refused:
            grant_mandate(**{**base, **change})
        assert refused.value.code == code
    with pytest.raises(PermissionDenied):
        grant_mandate(**{**base, "granted_by": agent})
    assert AuditEntry.objects.filter(action=AuditAction.MANDATE_GRANT_REFUSED).count() == len(cases) + 1


def test_person_to_person_mandate():
    principal, agent = UserFactory(level3=True), UserFactory(level3=True)
    mandate = grant_mandate(
        granted_by=principal,
        agent_id_number=agent.id_number,
        agent_name=agent.full_name,
        valid_from=TODAY(),
        valid_until=TODAY() + dt.timedelta(days=5),
        covers_all_items=True,
    )
    assert mandate.principal_kind == "person" and mandate.principal_label == principal.full_name
