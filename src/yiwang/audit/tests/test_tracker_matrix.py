"""Who sees which data uses: the citizen their own, a legal representative the enterprise's, an auditor
their department's; nothing else leaks (no other subject's entries, no raw ID numbers) on any edge."""

from __future__ import annotations

import pytest

from yiwang.audit.tests.tracker_world import build_world
from yiwang.conftest import bearer_token, login_with_second_factor

pytestmark = pytest.mark.django_db

PURPOSES = {"citizen": "受理户籍迁入申请", "other": "核验婚姻登记材料", "enterprise": "核查企业登记信息"}


@pytest.fixture
def world():
    return build_world()


def _raw_numbers(world) -> list[str]:
    return [world.citizen.id_number, world.other.id_number, world.representative.id_number]


def _assert_sees_only(body: str, world, visible: set[str]) -> None:
    for name, purpose in PURPOSES.items():
        assert (purpose in body) == (name in visible), name
    for number in _raw_numbers(world):
        assert number not in body


@pytest.mark.parametrize(
    ("who", "visible"),
    [("citizen", {"citizen"}), ("other", {"other"}), ("representative", {"enterprise"}), ("auditor", set())],
)
def test_the_tracker_page_shows_only_the_users_own_data_uses(client, world, who, visible):
    client.force_login(getattr(world, who))
    response = client.get("/me/data-uses")
    assert response.status_code == 200
    _assert_sees_only(response.content.decode(), world, visible)


@pytest.mark.parametrize(
    ("who", "visible"),
    [("citizen", {"citizen"}), ("other", {"other"}), ("representative", {"enterprise"})],
)
@pytest.mark.parametrize("channel", ["session", "bearer"])
def test_the_api_lists_only_the_users_own_data_uses(client, world, who, visible, channel):
    user = getattr(world, who)
    headers = {}
    if channel == "session":
        client.force_login(user)
    else:
        headers = bearer_token(user, "openid data-uses:read", f"tok-{who}")
    response = client.get("/api/v1/me/data-uses", **headers)
    assert response.status_code == 200
    body = response.content.decode()
    _assert_sees_only(body, world, visible)
    expected_subject = world.enterprise.credit_code if who == "representative" else "self"
    assert {item["subject"] for item in response.json()["items"]} == {expected_subject}


def test_anonymous_callers_get_401_and_the_login_page(client, world):
    assert client.get("/api/v1/me/data-uses").status_code == 401
    assert client.get(f"/api/v1/me/data-uses/{world.citizen_entry.pk}").status_code == 401
    assert client.get("/api/v1/me/data-use-alerts").status_code == 401
    assert client.get("/me/data-uses").status_code == 302


def test_a_token_without_the_data_uses_scope_is_refused(client, world):
    headers = bearer_token(world.citizen, "openid profile licenses:read", "tok-narrow")
    response = client.get("/api/v1/me/data-uses", **headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert PURPOSES["citizen"] not in response.content.decode()
    assert client.get(f"/api/v1/me/data-uses/{world.citizen_entry.pk}", **headers).status_code == 403


@pytest.mark.parametrize("channel", ["page", "session", "bearer"])
def test_another_citizens_entry_answers_404_like_a_missing_one(client, world, channel):
    headers = {}
    if channel == "bearer":
        headers = bearer_token(world.citizen, "openid data-uses:read", "tok-404")
    else:
        client.force_login(world.citizen)
    prefix = "/me/data-uses" if channel == "page" else "/api/v1/me/data-uses"
    foreign = client.get(f"{prefix}/{world.other_entry.pk}", **headers)
    missing = client.get(f"{prefix}/999999", **headers)
    assert foreign.status_code == missing.status_code == 404
    assert PURPOSES["other"] not in foreign.content.decode()
    if channel != "page":
        assert foreign.json() == missing.json()


def test_a_citizen_cannot_report_someone_elses_entry(client, world):
    client.force_login(world.citizen)
    response = client.post(
        f"/api/v1/me/data-uses/{world.other_entry.pk}/report", {"note": "?"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_below_register_verified_a_person_sees_none_of_their_reads(client, world):
    world.citizen.assurance_level = 2
    world.citizen.save(update_fields=["assurance_level"])
    client.force_login(world.citizen)
    assert client.get("/api/v1/me/data-uses").json()["items"] == []


@pytest.mark.parametrize(
    ("who", "visible"), [("auditor", {"citizen", "enterprise"}), ("other_auditor", {"other"})]
)
def test_an_auditor_searches_only_their_departments_entries(client, world, who, visible):
    login_with_second_factor(client, getattr(world, who))
    response = client.get("/api/v1/audit/entries")
    assert response.status_code == 200
    _assert_sees_only(response.content.decode(), world, visible)
    page = client.get("/staff/audit")
    assert page.status_code == 200
    _assert_sees_only(page.content.decode(), world, visible)
    # and the page speaks Chinese, not the log's codes
    assert "人口库：读取" in page.content.decode() and "registers.person_read" not in page.content.decode()


@pytest.mark.parametrize("who", ["citizen", "clerk", "representative"])
def test_non_auditors_cannot_search_the_log(client, world, who):
    login_with_second_factor(client, getattr(world, who))
    response = client.get("/api/v1/audit/entries")
    assert response.status_code == 403
    assert PURPOSES["citizen"] not in response.content.decode()
    assert client.get("/api/v1/audit/reports").status_code == 403
    assert client.get("/staff/audit").status_code == 403


def test_an_auditor_without_the_second_factor_is_refused(client, world):
    client.force_login(world.auditor)
    assert client.get("/staff/audit").status_code == 403
    assert client.get("/api/v1/audit/entries").status_code == 401


def test_an_auditor_searches_by_a_subject_number_that_is_never_stored(client, world):
    login_with_second_factor(client, world.auditor)
    response = client.get("/api/v1/audit/entries", {"subject": world.citizen.id_number})
    assert [item["id"] for item in response.json()["items"]] == [world.citizen_entry.pk]
    assert world.citizen.id_number not in response.content.decode()
    # the other department's subject is not found through this auditor, even by number
    response = client.get("/api/v1/audit/entries", {"subject": world.other.id_number})
    assert response.json()["items"] == []


def test_an_app_reports_a_read_only_with_the_write_scope(client, world):
    # given the citizen's app holding a read-only token and one that may also write
    read_only = bearer_token(world.citizen, "openid data-uses:read", "tok-read-only")
    writer = bearer_token(world.citizen, "openid data-uses:read data-uses:write", "tok-writer")
    url = f"/api/v1/me/data-uses/{world.citizen_entry.pk}/report"
    body = {"note": "我没有办理过业务"}
    # when / then: the read-only token is refused, the writer's report reaches the auditors
    refused = client.post(url, body, content_type="application/json", **read_only)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "insufficient_scope")
    created = client.post(url, body, content_type="application/json", **writer)
    assert created.status_code == 201
    assert client.post(url, body, content_type="application/json", **writer).status_code == 200  # idempotent
