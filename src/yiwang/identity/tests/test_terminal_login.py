"""Terminal logins: the card-reader registry, device enrolment, the QR a phone approves (once)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from yiwang.audit.models import AuditEntry
from yiwang.core.checks import check_configured_plugins
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.identity.terminal_login import devices, selectors, services
from yiwang.identity.terminal_login.base import CardReading, card_readers, get_card_reader
from yiwang.identity.terminal_login.constants import TerminalAction
from yiwang.identity.terminal_login.models import TerminalLoginChallenge
from yiwang.identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
KEYS = {"hall-01": "s3cret-key-01"}


def test_unknown_card_reader_is_refused_by_the_startup_check():
    with override_settings(IDENTITY_TERMINAL_CARD_READER="no-such-reader"):
        errors = [error for error in check_configured_plugins() if "terminal-card-reader" in error.msg]
    assert [error.id for error in errors] == ["yiwang.E001"]


def test_no_reader_configured_means_qr_only_and_simulated_is_refused_without_debug():
    assert get_card_reader() is None
    assert "simulated" in card_readers.ids()
    with (
        override_settings(IDENTITY_TERMINAL_CARD_READER="simulated", DEBUG=False),
        pytest.raises(ImproperlyConfigured),
    ):
        get_card_reader()
    with override_settings(
        IDENTITY_TERMINAL_CARD_READER="simulated", IDENTITY_ALLOW_TEST_TERMINAL_READER=True
    ):
        reader = get_card_reader()
        with pytest.raises(InvalidInput):
            reader.read(data={"card_number": "12345"})


def test_a_second_reader_under_a_taken_id_is_refused():
    from yiwang.identity.terminal_login.base import CardReader

    with pytest.raises(ImproperlyConfigured):

        @card_readers.register("simulated")
        class Impostor(CardReader):
            def read(self, *, data):
                raise NotImplementedError


@override_settings(TERMINAL_KEYS=KEYS)
def test_enrolment_needs_the_key_and_a_changed_key_revokes_the_device():
    with pytest.raises(PermissionDenied):
        services.enrol_terminal(terminal_id="hall-01", key="wrong")
    assert AuditEntry.objects.filter(action=TerminalAction.TERMINAL_ENROL_REFUSED).count() == 1
    cookie = services.enrol_terminal(terminal_id="hall-01", key=KEYS["hall-01"])
    assert devices.terminal_from_cookie(cookie) == "hall-01"
    assert devices.terminal_from_cookie(cookie + "x") is None
    with override_settings(TERMINAL_KEYS={"hall-01": "rotated"}):
        assert devices.terminal_from_cookie(cookie) is None
    with override_settings(TERMINAL_KEYS={}):
        assert devices.terminal_from_cookie(cookie) is None


def test_qr_login_is_approved_once_and_consumed_once():
    person = UserFactory(level3=True)
    challenge, token = services.start_qr_login(terminal_id="hall-01")
    assert selectors.qr_login_status(terminal_id="hall-01", challenge_id=challenge.pk) == "pending"
    with pytest.raises(Conflict):  # not approved yet
        services.complete_qr_login(terminal_id="hall-01", challenge_id=challenge.pk)

    services.approve_qr_login(user=person, token=token)
    with pytest.raises(NotFound):  # the same QR cannot be approved again (by anyone)
        services.approve_qr_login(user=UserFactory(), token=token)
    assert selectors.qr_login_status(terminal_id="hall-02", challenge_id=challenge.pk) == "expired"
    with pytest.raises(Conflict):  # another terminal cannot use it
        services.complete_qr_login(terminal_id="hall-02", challenge_id=challenge.pk)

    assert services.complete_qr_login(terminal_id="hall-01", challenge_id=challenge.pk) == person
    with pytest.raises(Conflict):  # replayed
        services.complete_qr_login(terminal_id="hall-01", challenge_id=challenge.pk)
    logged = AuditEntry.objects.get(action=TerminalAction.TERMINAL_LOGGED_IN)
    assert logged.details["terminal"] == "hall-01" and logged.details["method"] == "qr"
    assert AuditEntry.objects.filter(action=TerminalAction.TERMINAL_LOGIN_REFUSED).count() == 4


def test_an_expired_qr_cannot_be_approved_and_staff_cannot_use_terminals():
    challenge, token = services.start_qr_login(terminal_id="hall-01")
    TerminalLoginChallenge.objects.filter(pk=challenge.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    with pytest.raises(NotFound):
        services.approve_qr_login(user=UserFactory(), token=token)
    _, fresh = services.start_qr_login(terminal_id="hall-01")
    with pytest.raises(PermissionDenied):
        services.approve_qr_login(user=UserFactory(staff=True), token=fresh)
    assert TerminalLoginChallenge.objects.get(token_digest=services.token_digest(fresh)).approved_at is None


def test_card_login_finds_the_card_holder_and_refuses_an_unknown_card():
    person = UserFactory(level3=True)
    reading = CardReading(id_number=person.id_number, reference="r1")
    assert services.card_login(terminal_id="hall-01", reading=reading, reader_id="simulated") == person
    with pytest.raises(NotFound):
        services.card_login(
            terminal_id="hall-01", reading=CardReading(id_number="110101199003070000"), reader_id="simulated"
        )
    refused = AuditEntry.objects.get(action=TerminalAction.TERMINAL_LOGIN_REFUSED)
    assert "199003070000" not in str(refused.details)  # the typed number is kept masked


@given(value=st.text(max_size=300))
@hypothesis_settings(max_examples=200, deadline=None)
def test_any_cookie_value_is_a_terminal_or_none(value):
    with override_settings(TERMINAL_KEYS=KEYS):
        assert devices.terminal_from_cookie(value) is None


@given(number=st.text(max_size=40))
@hypothesis_settings(max_examples=200, deadline=None)
def test_the_simulated_reader_reads_a_valid_number_or_refuses(number):
    from yiwang.core.identifiers import is_valid_resident_id
    from yiwang.identity.terminal_login.simulated import SimulatedCardReader

    try:
        reading = SimulatedCardReader().read(data={"card_number": number})
    except InvalidInput as refused:
        assert refused.code == "card_unreadable"
    else:
        assert is_valid_resident_id(reading.id_number)
