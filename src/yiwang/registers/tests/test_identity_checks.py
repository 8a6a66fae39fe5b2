"""The registers answer identity's register checks (the plugin identity asks; identity never imports us)."""

from __future__ import annotations

import pytest

from yiwang.audit.models import AuditEntry
from yiwang.core.errors import InvalidInput
from yiwang.identity.constants import AssuranceLevel
from yiwang.identity.services import bind_enterprise, start_register_verification
from yiwang.identity.services.register_checks import register_checks
from yiwang.identity.tests.factories import UserFactory
from yiwang.registers.constants import LegalPersonStatus
from yiwang.registers.identity_checks import PlatformRegisterChecks
from yiwang.registers.tests.factories import LegalPersonFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_the_registers_plugin_is_what_identity_asks_by_default():
    assert isinstance(register_checks.configured(), PlatformRegisterChecks)


def test_step_up_checks_the_population_register_and_logs_the_read_for_the_citizen(settings):
    settings.IDENTITY_SMS_BACKEND = "console"
    person = PersonFactory(surname="王", given_name="芳", name="王芳")
    user = UserFactory(surname="王", given_name="芳", id_number=person.id_number)
    start_register_verification(user=user, phone="13912345678")
    read = AuditEntry.objects.get(action="registers.person_read")
    assert read.actor == user


def test_a_name_the_register_does_not_hold_is_refused():
    person = PersonFactory(surname="王", given_name="芳", name="王芳")
    user = UserFactory(surname="王", given_name="方", id_number=person.id_number)
    with pytest.raises(InvalidInput) as refused:
        start_register_verification(user=user, phone="13912345678")
    assert refused.value.code == "register_mismatch"


def test_binding_reads_the_legal_person_register():
    user = UserFactory(assurance_level=AssuranceLevel.REGISTER_VERIFIED)
    company = LegalPersonFactory(legal_representative_id_number=user.id_number)
    enterprise = bind_enterprise(user=user, credit_code=company.credit_code)
    assert (enterprise.name, enterprise.representative) == (company.name, user)


def test_a_revoked_company_cannot_be_bound():
    user = UserFactory(assurance_level=AssuranceLevel.REGISTER_VERIFIED)
    company = LegalPersonFactory(
        legal_representative_id_number=user.id_number, status=LegalPersonStatus.REVOKED
    )
    with pytest.raises(InvalidInput) as refused:
        bind_enterprise(user=user, credit_code=company.credit_code)
    assert refused.value.code == "legal_person_inactive"


def test_an_unknown_company_is_a_clear_refusal():
    user = UserFactory(assurance_level=AssuranceLevel.REGISTER_VERIFIED)
    plugin = register_checks.configured()
    assert plugin.legal_person(requested_by=user, credit_code="91511602000099990X", purpose="测试") is None
