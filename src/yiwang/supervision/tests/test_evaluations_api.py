"""The 好差评 API: every endpoint against every kind of caller, idempotent ratings, never a 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.audit.models import AuditEntry
from yiwang.supervision.constants import AuditAction, RectificationStatus
from yiwang.supervision.models import Evaluation, Rectification
from yiwang.supervision.services import evaluations

from .evaluations_world import make_eval_world

pytestmark = pytest.mark.django_db
STAFF = ("head", "head_other_department", "supervisor", "supervisor_other_region", "clerk", "handler")


@pytest.fixture
def world():
    return make_eval_world()


def _post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def _rate_url(world):
    return f"/api/v1/cases/{world.case.number}/evaluation"


def _ticket(world) -> Rectification:
    evaluation, _created = evaluations.evaluate(
        actor=world.people["applicant"], case=world.case, level=1, comment="差"
    )
    return Rectification.objects.get(evaluation=evaluation)


def test_the_applicant_rates_with_an_idempotency_key_and_a_retry_gets_the_same_rating(world):
    client = world.client("applicant")
    body = {"level": 2, "indicators": {"efficiency": 2}, "comment": "等了很久"}
    first = _post(client, _rate_url(world), body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.content
    assert first.json()["rectification"]["status"] == RectificationStatus.OPEN
    again = _post(client, _rate_url(world), body, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json()["created_at"] == first.json()["created_at"]
    reused = _post(client, _rate_url(world), {**body, "level": 5}, **{"Idempotency-Key": "k-1"})
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "idempotency_key_reused"
    other = _post(client, _rate_url(world), {**body, "level": 5}, **{"Idempotency-Key": "k-2"})
    assert other.status_code == 409 and other.json()["error"]["code"] == "already_evaluated"
    assert Evaluation.objects.count() == 1 and Rectification.objects.count() == 1
    missing = _post(client, _rate_url(world), body)
    assert missing.status_code == 400


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("anonymous", 401, None),
        ("citizen", 404, "case_not_found"),
        ("head_other_department", 404, "case_not_found"),
        ("supervisor_other_region", 404, "case_not_found"),
        ("clerk", 403, "handler_cannot_evaluate"),
        ("handler", 403, "handler_cannot_evaluate"),
        ("head", 403, "handler_cannot_evaluate"),
    ],
)
def test_only_the_applicant_may_rate(world, who, status, code):
    response = _post(world.client(who), _rate_url(world), {"level": 5}, **{"Idempotency-Key": "k"})
    assert response.status_code == status
    if code:
        assert response.json()["error"]["code"] == code
        assert world.case.holder_name not in response.content.decode()
    assert not Evaluation.objects.exists()
    if status == 403:
        assert AuditEntry.objects.filter(action=AuditAction.EVALUATION_REFUSED).count() == 1


def test_a_bearer_token_needs_the_feedback_scopes(world):
    without = world.bearer("applicant", "feedback:read")
    response = _post(without, _rate_url(world), {"level": 5}, **{"Idempotency-Key": "k"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "insufficient_scope"
    with_scope = world.bearer("applicant", "feedback:write")
    assert _post(with_scope, _rate_url(world), {"level": 5}, **{"Idempotency-Key": "k"}).status_code == 201
    assert world.bearer("applicant", "supervision:read").get("/api/v1/evaluations").status_code == 403
    listed = world.bearer("applicant", "feedback:read").get("/api/v1/evaluations")
    assert listed.status_code == 200 and [row["level"] for row in listed.json()["items"]] == [5]


def test_additions_by_the_rater_and_the_list_of_mine(world):
    evaluations.evaluate(actor=world.people["applicant"], case=world.case, level=4)
    url = f"/api/v1/cases/{world.case.number}/evaluation/additions"
    for who in ("citizen", "clerk", "supervisor"):
        assert _post(world.client(who), url, {"comment": "补充"}).status_code == 404
    assert _post(world.client("anonymous"), url, {"comment": "补充"}).status_code == 401
    response = _post(world.client("applicant"), url, {"comment": "证书已收到", "level": 5})
    assert response.status_code == 201 and response.json()["current_level"] == 5
    mine = world.client("applicant").get("/api/v1/evaluations?limit=1")
    assert mine.status_code == 200 and len(mine.json()["items"]) == 1
    assert world.client("citizen").get("/api/v1/evaluations").json()["items"] == []
    assert world.client("anonymous").get("/api/v1/evaluations").status_code == 401


def test_the_ticket_list_is_scoped_and_empty_for_everybody_else(world):
    ticket = _ticket(world)
    for who in ("head", "supervisor"):
        response = world.client(who).get("/api/v1/supervision/rectifications")
        assert [row["id"] for row in response.json()["items"]] == [ticket.pk]
    for who in ("head_other_department", "supervisor_other_region", "applicant", "citizen", "clerk"):
        response = world.client(who).get("/api/v1/supervision/rectifications")
        assert response.status_code == 200 and response.json()["items"] == []
    assert world.client("anonymous").get("/api/v1/supervision/rectifications").status_code == 401
    assert world.bearer("head", "feedback:read").get("/api/v1/supervision/rectifications").status_code == 403
    assert (
        world.bearer("head", "supervision:read").get("/api/v1/supervision/rectifications").status_code == 200
    )
    bad = world.client("head").get("/api/v1/supervision/rectifications?status=nope&limit=0")
    assert bad.status_code == 400


ACTIONS = {
    "measures": ({"measures": "约谈并培训"}, "head"),
    "appeal": ({"reason": "评价与办件无关"}, "head"),
}


@pytest.mark.parametrize("action", ["measures", "appeal"])
@pytest.mark.parametrize("who", ["head_other_department", "supervisor_other_region", "applicant", "citizen"])
def test_staff_actions_outside_the_scope_answer_not_found(world, action, who):
    ticket = _ticket(world)
    body, _allowed = ACTIONS[action]
    response = _post(world.client(who), f"/api/v1/supervision/rectifications/{ticket.pk}/{action}", body)
    assert response.status_code == 404 and response.json()["error"]["code"] == "rectification_not_found"
    assert "差" not in response.content.decode()


def test_the_full_ticket_flow_through_the_api(world):
    ticket = _ticket(world)
    base = f"/api/v1/supervision/rectifications/{ticket.pk}"
    # The supervisor may see the ticket but not act for the department; the head may not revisit.
    assert _post(world.client("supervisor"), f"{base}/measures", {"measures": "x"}).status_code == 403
    assert (
        _post(world.bearer("head", "supervision:read"), f"{base}/measures", {"measures": "x"}).status_code
        == 403
    )
    done = _post(world.bearer("head", "supervision:write"), f"{base}/measures", {"measures": "整改窗口服务"})
    assert done.status_code == 200 and done.json()["status"] == RectificationStatus.RECTIFIED
    assert _post(world.client("head"), f"{base}/revisits", {"result": "satisfied"}).status_code == 403
    assert (
        _post(
            world.client("supervisor_other_region"), f"{base}/revisits", {"result": "satisfied"}
        ).status_code
        == 404
    )
    assert _post(world.client("supervisor"), f"{base}/revisits", {"result": "bogus"}).status_code == 400
    revisited = _post(world.client("supervisor"), f"{base}/revisits", {"result": "satisfied", "note": "满意"})
    assert revisited.status_code == 201 and revisited.json()["status"] == RectificationStatus.CLOSED
    mine = world.client("applicant").get("/api/v1/evaluations").json()["items"][0]
    assert mine["rectification"]["measures"] == "整改窗口服务" and mine["rectification"]["revisits"]


def test_appeal_and_decision_through_the_api(world):
    ticket = _ticket(world)
    base = f"/api/v1/supervision/rectifications/{ticket.pk}"
    assert _post(world.client("head"), f"{base}/appeal", {"reason": "恶意差评"}).status_code == 201
    assert (
        _post(
            world.client("head"), f"{base}/appeal/decision", {"decision": "upheld", "reason": "x"}
        ).status_code
        == 403
    )
    decided = _post(
        world.client("supervisor"), f"{base}/appeal/decision", {"decision": "upheld", "reason": "成立"}
    )
    assert decided.status_code == 200 and decided.json()["status"] == RectificationStatus.WITHDRAWN
    assert not Evaluation.objects.get().counted


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/cases/{n}/evaluation", {"level": "x"}),
        ("/api/v1/cases/{n}/evaluation", {"level": 10**30}),
        ("/api/v1/cases/{n}/evaluation", {"level": 5, "indicators": {"efficiency": "a"}}),
        ("/api/v1/cases/{n}/evaluation", {"level": 5, "indicators": {"x" * 500: 5}}),
        ("/api/v1/cases/{n}/evaluation", []),
        ("/api/v1/cases/%00/evaluation", {"level": 5}),
        ("/api/v1/cases/{n}/evaluation/additions", {"comment": None}),
        ("/api/v1/supervision/rectifications/0/measures", {"measures": "x"}),
        ("/api/v1/supervision/rectifications/99999999999999999999999/revisits", {"result": "satisfied"}),
        ("/api/v1/supervision/rectifications/1/appeal/decision", {"decision": 1}),
    ],
)
def test_bad_input_never_answers_500(world, url, body):
    client = world.client("applicant" if "cases" in url else "supervisor")
    response = _post(client, url.format(n=world.case.number), body, **{"Idempotency-Key": "k"})
    assert 400 <= response.status_code < 500, response.content


_ANY_VALUE = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dictionaries(
        st.text(max_size=20), st.one_of(st.integers(), st.text(max_size=5), st.none()), max_size=5
    ),
    st.lists(st.integers(), max_size=3),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.dictionaries(st.sampled_from(["level", "indicators", "comment", "other"]), _ANY_VALUE),
    key=st.text(max_size=8),
)
def test_any_rating_body_gets_an_answer_not_a_server_error(world, payload, key):
    client = world.client("applicant")
    client.raise_request_exception = False
    headers = (
        {"Idempotency-Key": key} if key and key.isascii() and key.isprintable() and " " not in key else {}
    )
    response = _post(client, _rate_url(world), payload, **headers)
    assert response.status_code in {200, 201, 400, 409}, response.content


@settings(max_examples=60, deadline=None)
@given(level=_ANY_VALUE, indicators=_ANY_VALUE)
def test_the_rating_validators_accept_only_levels_1_to_5(level, indicators):
    from yiwang.core.errors import InvalidInput
    from yiwang.supervision.services.evaluations import _clean_indicators, _clean_level

    try:
        value = _clean_level(level)
    except InvalidInput:
        value = None
    assert value is None or (value in (1, 2, 3, 4, 5) and not isinstance(level, bool | float))
    try:
        cleaned = _clean_indicators(indicators)
    except InvalidInput:
        cleaned = {}
    assert all(1 <= score <= 5 for score in cleaned.values())
