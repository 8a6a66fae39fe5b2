"""/api/v1/feedback, /api/v1/public/feedback and /api/v1/supervision/feedback: the authorization matrix
(every kind of actor on every endpoint, refusals alike a missing number, nothing leaked) and filing
validation that never answers 500."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.applications.tests.api_world import token_for
from yiwang.supervision.constants import FeedbackKind

from .feedback_world import file, log_in, make_world

pytestmark = pytest.mark.django_db
MISSING = "51160200000020260921999990"
CITIZEN_SCOPES = "feedback:read feedback:write"
STAFF_SCOPES = "supervision:read supervision:write"
PEOPLE = [
    "filer",
    "other_citizen",
    "handler",
    "head",
    "other_head",
    "far_head",
    "supervisor",
    "far_supervisor",
]
TOKENS = ["token_filer", "token_filer_unscoped", "token_head", "token_head_unscoped"]
EVERYONE = ["anonymous", *PEOPLE, *TOKENS]


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def filed(world):
    return file(world, kind=FeedbackKind.CONSULTATION, publish_allowed=True)


def client_as(world, who: str) -> tuple[Client, dict[str, str]]:
    client = Client()
    if who == "anonymous":
        return client, {}
    if who.startswith("token_"):
        person = world.people[who.split("_")[1]]
        scopes = {"filer": CITIZEN_SCOPES, "head": STAFF_SCOPES}[who.split("_")[1]]
        scope = "openid" if who.endswith("unscoped") else scopes
        return client, {"HTTP_AUTHORIZATION": f"Bearer {token_for(person, scope)}"}
    return log_in(client, world.people[who]), {}


def expected(who: str, allowed: set[str], *, staff: bool) -> int:
    if who == "anonymous":
        return 401
    if who.endswith("unscoped"):
        return 403
    if (who == "token_head" and not staff) or (who == "token_filer" and staff):
        return 403
    return 200 if who in allowed else 404


def check_refusal(response, missing, filed) -> None:
    assert response.json() == missing.json()
    body = response.content.decode()
    for secret in (filed.feedback.number, "13912345678", "510102199001011234", filed.feedback.title):
        assert secret not in body


@pytest.mark.parametrize("who", EVERYONE)
def test_citizen_detail_and_list(world, filed, who):
    client, headers = client_as(world, who)
    response = client.get(f"/api/v1/feedback/{filed.feedback.number}", **headers)
    want = expected(who, {"filer", "token_filer"}, staff=False)
    assert response.status_code == want, (who, response.content)
    if want == 404:
        check_refusal(response, client.get(f"/api/v1/feedback/{MISSING}", **headers), filed)
    listing = client.get("/api/v1/feedback", **headers)
    assert listing.status_code == (want if want != 404 else 200)
    if listing.status_code == 200:
        numbers = [row["number"] for row in listing.json()["items"]]
        assert numbers == ([filed.feedback.number] if want == 200 else [])


@pytest.mark.parametrize("who", EVERYONE)
def test_staff_queue_detail_and_answer(world, filed, who):
    client, headers = client_as(world, who)
    allowed_read = {"head", "supervisor", "token_head"}
    want = expected(who, allowed_read, staff=True)
    response = client.get(f"/api/v1/supervision/feedback/{filed.feedback.number}", **headers)
    assert response.status_code == want, (who, response.content)
    if want == 404:
        check_refusal(response, client.get(f"/api/v1/supervision/feedback/{MISSING}", **headers), filed)
    queue = client.get("/api/v1/supervision/feedback", **headers)
    if queue.status_code == 200:
        numbers = [row["number"] for row in queue.json()["items"]]
        assert numbers == ([filed.feedback.number] if want == 200 else [])
    answer = client.post(
        f"/api/v1/supervision/feedback/{filed.feedback.number}/answer",
        {"answer": "可以办理"},
        content_type="application/json",
        **headers,
    )
    assert answer.status_code == want, (who, answer.content)


@pytest.mark.parametrize("who", EVERYONE)
def test_transfer_and_publish(world, filed, who):
    client, headers = client_as(world, who)
    want = expected(who, {"head", "supervisor", "token_head"}, staff=True)
    body = {"department_code": world.other_department.credit_code, "reason": "职责不符"}
    response = client.post(
        f"/api/v1/supervision/feedback/{filed.feedback.number}/transfer",
        body,
        content_type="application/json",
        **headers,
    )
    assert response.status_code == want, (who, response.content)
    if want == 200:
        event = next(e for e in response.json()["events"] if e["kind"] == "transferred")
        assert event["text"] == "职责不符" and event["to_department"] == world.other_department.name


@pytest.mark.parametrize("who", EVERYONE)
def test_reopen_and_accept(world, filed, who):
    from yiwang.supervision.services import feedback as services

    services.answer_feedback(actor=world.head, feedback=filed.feedback, answer="可以")
    client, headers = client_as(world, who)
    want = expected(who, {"filer", "token_filer"}, staff=False)
    response = client.post(
        f"/api/v1/feedback/{filed.feedback.number}/reopen",
        {"reason": "没解决"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == want, (who, response.content)
    if want == 200:
        assert response.json()["status"] == "reopened" and response.json()["reopen_count"] == 1
    accept = client.post(f"/api/v1/feedback/{filed.feedback.number}/accept", **headers)
    assert accept.status_code == (409 if want == 200 else want), (who, accept.content)


def test_publish_by_the_head_only(world, filed):
    from yiwang.supervision.services import feedback as services

    services.answer_feedback(actor=world.head, feedback=filed.feedback, answer="李四海您好，可以")
    url = f"/api/v1/supervision/feedback/{filed.feedback.number}/publish"
    supervisor, _ = client_as(world, "supervisor")
    assert supervisor.post(url, {}, content_type="application/json").status_code == 403
    head, _ = client_as(world, "head")
    response = head.post(url, {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["published_at"]


def test_public_follow_up_with_the_right_code_and_throttled_guesses(world, filed):
    client = Client()
    number = filed.feedback.number
    ok = client.get(f"/api/v1/public/feedback/{number}", {"code": filed.query_code})
    assert ok.status_code == 200 and ok.json()["number"] == number and "phone" not in ok.json()
    wrong = client.get(f"/api/v1/public/feedback/{number}", {"code": "WRONGCODE"})
    missing = client.get(f"/api/v1/public/feedback/{MISSING}", {"code": "WRONGCODE"})
    assert wrong.status_code == missing.status_code == 404 and wrong.json() == missing.json()
    for _attempt in range(5):
        client.get(f"/api/v1/public/feedback/{number}", {"code": "WRONGCODE"})
    assert client.get(f"/api/v1/public/feedback/{number}", {"code": filed.query_code}).status_code == 429


def test_filing_over_the_api_is_idempotent(world):
    client, _ = client_as(world, "filer")
    body = {
        "kind": "complaint",
        "subject": "item",
        "title": "慢",
        "body": "很慢",
        "item_code": world.implementation.item.code,
        "region_code": world.department.region_id,
    }
    first = client.post("/api/v1/feedback", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="a1")
    again = client.post("/api/v1/feedback", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="a1")
    assert first.status_code == 201 and first.json()["query_code"]
    assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
    assert again.json()["query_code"] is None
    assert client.post("/api/v1/feedback", body, content_type="application/json").status_code == 400


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.dictionaries(
        st.sampled_from(
            [
                "kind",
                "subject",
                "title",
                "body",
                "item_code",
                "case_number",
                "department_code",
                "region_code",
                "phone",
                "publish_allowed",
                "contact_name",
            ]
        ),
        st.one_of(
            st.text(max_size=120),
            st.integers(),
            st.none(),
            st.booleans(),
            st.sampled_from(["complaint", "item", "case", "department", "consultation"]),
        ),
    ),
    key=st.text(max_size=5),
)
def test_filing_never_answers_500(world, payload, key):
    client, _ = client_as(world, "filer")
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key.isascii() and key.isprintable() else {}
    response = client.post("/api/v1/feedback", payload, content_type="application/json", **headers)
    assert response.status_code in {200, 201, 400, 403, 404, 409, 422}, response.content
