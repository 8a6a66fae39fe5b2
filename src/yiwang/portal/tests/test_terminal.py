"""Terminal mode pages: enrolment, the phone-approved QR login, the server-side idle time-out, receipts."""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings

from yiwang.applications.tests.factories import CaseFactory
from yiwang.audit.models import AuditEntry
from yiwang.identity.terminal_login.constants import TerminalAction
from yiwang.identity.terminal_login.devices import COOKIE_NAME
from yiwang.identity.tests.factories import UserFactory
from yiwang.portal.views.terminal import SESSION_KEY

pytestmark = pytest.mark.django_db
KEYS = {"hall-01": "s3cret-key-01"}


@pytest.fixture
def terminal(settings):
    settings.TERMINAL_KEYS = KEYS
    kiosk = Client()
    response = kiosk.post("/terminal/enrol", {"terminal_id": "hall-01", "key": KEYS["hall-01"]})
    assert response.status_code == 302 and COOKIE_NAME in response.cookies
    return kiosk


@pytest.fixture
def scanned(monkeypatch) -> list[str]:
    """The URLs the QR codes shown encode, as a phone scanning them reads them."""
    from yiwang.portal.views import terminal as views

    urls: list[str] = []
    original = views._qr_image

    def capture(url: str) -> str:
        urls.append(url.removeprefix("http://testserver"))
        return original(url)

    monkeypatch.setattr(views, "_qr_image", capture)
    return urls


def _qr_login(kiosk: Client, person, scanned: list[str]) -> str:
    """Show a QR on the kiosk and approve it from the person's phone; the approval URL."""
    page = kiosk.get("/terminal/login/qr").content.decode()
    assert 'src="data:image/svg+xml;base64,' in page and "data-status-url" in page
    approve_url = scanned[-1]
    phone = Client()
    phone.force_login(person)
    assert "hall-01" in phone.get(approve_url).content.decode()
    assert phone.post(approve_url).status_code == 200
    return approve_url


def test_home_has_the_tiles_and_login_needs_an_enrolled_device(client):
    page = client.get("/terminal/").content.decode()
    for tile in ("搜索办事服务", "我的办件", "我的证照", "打印回执", "预约取号", "/halls/"):
        assert tile in page
    assert client.get("/terminal/login").status_code == 403
    assert client.post("/terminal/enrol", {"terminal_id": "hall-01", "key": "guess"}).status_code == 403


def test_a_qr_approved_on_the_phone_logs_the_terminal_in_and_cannot_be_replayed(terminal, scanned):
    person = UserFactory(level3=True)
    approve_url = _qr_login(terminal, person, scanned)
    assert terminal.get("/terminal/login/qr/status").json() == {"status": "approved"}
    response = terminal.post("/terminal/login/qr/complete")
    assert response.status_code == 302
    assert terminal.session["_auth_user_id"] == str(person.pk)
    assert terminal.session[SESSION_KEY]["terminal"] == "hall-01"
    assert terminal.session.get_expiry_age() <= 90
    assert "退出登录" in terminal.get("/terminal/").content.decode()  # the logout button is always there

    # replay: the same approval cannot log in again, on this terminal or after approving twice
    terminal.post("/terminal/logout")
    assert "_auth_user_id" not in terminal.session
    assert terminal.post("/terminal/login/qr/complete").status_code == 409
    phone = Client()
    phone.force_login(person)
    assert phone.post(approve_url).status_code == 404
    assert AuditEntry.objects.filter(action=TerminalAction.TERMINAL_LOGGED_IN).count() == 1
    assert AuditEntry.objects.get(action=TerminalAction.TERMINAL_LOGGED_OUT).details["reason"] == "button"


def test_a_terminal_session_cannot_approve_a_qr(terminal, scanned):
    person = UserFactory(level3=True)
    _qr_login(terminal, person, scanned)
    terminal.post("/terminal/login/qr/complete")
    assert terminal.get("/terminal/approve/any-token").status_code == 403


def test_the_server_ends_an_idle_terminal_session(terminal, scanned):
    person = UserFactory(level3=True)
    _qr_login(terminal, person, scanned)
    terminal.post("/terminal/login/qr/complete")
    assert terminal.get("/terminal/cases").status_code == 200

    session = terminal.session
    session[SESSION_KEY] = {**session[SESSION_KEY], "seen": time.time() - 91}
    session.save()
    response = terminal.get("/terminal/cases")
    assert response.status_code == 302 and response["Location"] == "/terminal/?ended=idle"
    assert "_auth_user_id" not in terminal.session
    assert terminal.get("/terminal/cases")["Location"] == "/terminal/login"
    assert AuditEntry.objects.get(action=TerminalAction.TERMINAL_LOGGED_OUT).details["reason"] == "idle"


def test_a_terminal_session_moved_to_another_browser_ends(terminal, scanned):
    person = UserFactory(level3=True)
    _qr_login(terminal, person, scanned)
    terminal.post("/terminal/login/qr/complete")
    stolen = Client()  # the session cookie copied to a browser that is not the enrolled terminal
    stolen.cookies["sessionid"] = terminal.cookies["sessionid"].value
    response = stolen.get("/terminal/cases")
    assert response["Location"] == "/terminal/?ended=device"


def test_receipt_only_for_a_case_the_person_may_see(terminal, scanned):
    person = UserFactory(level3=True)
    own = CaseFactory(applicant=person)
    others = CaseFactory()
    _qr_login(terminal, person, scanned)
    terminal.post("/terminal/login/qr/complete")
    page = terminal.get(f"/terminal/cases/{own.number}/receipt")
    assert page.status_code == 200
    text = page.content.decode()
    assert own.number in text and "data-terminal-print" in text and "<script>" not in text
    assert person.id_number not in text  # masked on a printed page
    refused = terminal.get(f"/terminal/cases/{others.number}/receipt")
    assert refused.status_code == 404 and others.number not in refused.content.decode()
    assert own.number in terminal.get("/terminal/cases").content.decode()


@override_settings(IDENTITY_TERMINAL_CARD_READER="simulated", IDENTITY_ALLOW_TEST_TERMINAL_READER=True)
def test_card_login_with_the_simulated_reader(terminal):
    person = UserFactory(level3=True)
    assert "card_number" in terminal.get("/terminal/login").content.decode()
    assert terminal.post("/terminal/login/card", {"card_number": "110101199003070000"}).status_code == 400
    response = terminal.post("/terminal/login/card", {"card_number": person.id_number})
    assert response.status_code == 302 and terminal.session["_auth_user_id"] == str(person.pk)
    assert terminal.session[SESSION_KEY]["method"] == "card"
