"""A case through the API from submission to decision: each step writes its outbox event (the API never
goes around the services), optimistic checks with expected_revision, supplements stop and restart the
clock, the applicant sees the public timeline and staff the whole one."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.applications.constants import CaseStatus, TaskState
from yiwang.applications.models import Case, CaseTask
from yiwang.audit.models import AuditEntry
from yiwang.notifications.models import OutboxEvent

from .api_world import (
    APPLICANT_SCOPES,
    STAFF_SCOPES,
    application_body,
    bearer,
    log_in,
    material_keys,
    post_application,
    token_for,
    upload,
)
from .cases_world import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world():
    return make_world()


def topics(number: str) -> list[str]:
    return list(
        OutboxEvent.objects.filter(payload__number=number).order_by("pk").values_list("topic", flat=True)
    )


def submitted(world) -> tuple[str, Client]:
    applicant = log_in(Client(), world.applicant)
    keys = material_keys(world, world.applicant, world.applicant.id_number)
    body = application_body(world, world.applicant, materials={k: upload(applicant)["upload"] for k in keys})
    response = post_application(applicant, body, key="flow")
    assert response.status_code == 201
    return response.json()["number"], applicant


def test_from_submission_to_refusal_through_the_api_with_every_event(world):
    number, applicant = submitted(world)
    clerk = log_in(Client(), world.clerk)
    approver = log_in(Client(), world.approver)
    base = f"/api/v1/workbench/cases/{number}"
    # the clerk finds it in the queue and accepts it (an empty body is fine)
    queue = clerk.get("/api/v1/workbench/tasks").json()["items"]
    assert [task["case_number"] for task in queue] == [number]
    accepted = clerk.generic("POST", f"{base}/accept", b"")
    assert accepted.status_code == 200, accepted.content
    review = accepted.json()["ready_tasks"][0]
    assert (review["bpmn_id"], review["role"]) == ("review", "approver")
    # the approver claims and completes the review, then decides
    assert approver.generic("POST", f"{base}/tasks/{review['id']}/claim", b"").status_code == 200
    completed = approver.post(
        f"{base}/tasks/{review['id']}/complete",
        {"data": {"opinion": "不符合"}},
        content_type="application/json",
    )
    assert completed.status_code == 200, completed.content
    revision = completed.json()["revision"]
    decided = approver.post(
        f"{base}/decide",
        {
            "decision": "refuse",
            "reason": "不符合法定条件",
            "legal_basis": "《行政许可法》第三十八条第二款",
            "expected_revision": revision,
        },
        content_type="application/json",
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == CaseStatus.REFUSED
    # every step went through the services: its event, audit entry and timeline row
    seen = topics(number)
    assert seen[:4] == ["case.submitted", "case.accepted", "case.task_claimed", "case.task_completed"]
    assert {"case.decided", "case.refusal_notified", "case.closed"} <= set(seen[4:])
    case = Case.objects.get(number=number)
    assert AuditEntry.objects.filter(object_id=str(case.pk), action="applications.case_decided").exists()
    # the applicant sees the refusal with its reasons and the public timeline only
    detail = applicant.get(f"/api/v1/applications/{number}").json()
    assert detail["view"] == "applicant" and detail["decision_reason"] == "不符合法定条件"
    assert all(event["is_public"] for event in detail["timeline"])
    assert "case.task_claimed" not in [event["kind"] for event in detail["timeline"]]
    staff_detail = approver.get(f"/api/v1/applications/{number}").json()
    assert "case.task_claimed" in [event["kind"] for event in staff_detail["timeline"]]


def test_a_stale_revision_is_refused_and_changes_nothing(world):
    number, _applicant = submitted(world)
    clerk = log_in(Client(), world.clerk)
    response = clerk.post(
        f"/api/v1/workbench/cases/{number}/accept", {"expected_revision": 99}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_revision"
    assert Case.objects.get(number=number).status == CaseStatus.SUBMITTED
    assert topics(number) == ["case.submitted"]


def test_a_supplement_round_trip_stops_and_restarts_the_clock(world):
    number, applicant = submitted(world)
    clerk = log_in(Client(), world.clerk)
    asked = clerk.post(
        f"/api/v1/workbench/cases/{number}/request-supplement",
        {
            "items": [
                {"kind": "material", "key": "application_form", "problem": "未签名"},
                {"kind": "field", "key": "phone", "problem": "无法接通"},
            ]
        },
        content_type="application/json",
    )
    assert asked.status_code == 200 and asked.json()["status"] == CaseStatus.SUPPLEMENT
    detail = applicant.get(f"/api/v1/applications/{number}").json()
    assert [item["key"] for item in detail["supplements"][0]["items"]] == ["application_form", "phone"]
    assert detail["clock"]["stopped_by"]
    # an answer that leaves out an item is refused, every item at once is taken
    partial = applicant.post(
        f"/api/v1/applications/{number}/supplements",
        {"data": {"phone": "13900000000"}},
        content_type="application/json",
    )
    assert partial.status_code == 400 and partial.json()["error"]["code"] == "supplement_incomplete"
    answered = applicant.post(
        f"/api/v1/applications/{number}/supplements",
        {"data": {"phone": "13900000000"}, "materials": {"application_form": upload(applicant)["upload"]}},
        content_type="application/json",
    )
    assert answered.status_code == 200, answered.content
    body = answered.json()
    assert body["status"] == CaseStatus.SUBMITTED and not body["clock"]["stopped_by"]
    assert [m["superseded"] for m in body["materials"] if m["key"] == "application_form"] == [False, True]
    assert topics(number) == ["case.submitted", "case.supplement_requested", "case.resubmitted"]


def test_withdrawal_cancels_the_tasks_and_writes_its_event(world):
    number, applicant = submitted(world)
    response = applicant.post(
        f"/api/v1/applications/{number}/withdraw", {"reason": "不再需要"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == CaseStatus.WITHDRAWN
    assert not CaseTask.objects.filter(case__number=number, state=TaskState.READY).exists()
    assert topics(number) == ["case.submitted", "case.withdrawn"]
    again = applicant.post(f"/api/v1/applications/{number}/withdraw", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_status"


def test_tokens_act_within_their_scopes(world):
    number, _applicant = submitted(world)
    client = Client()
    staff_token = bearer(token_for(world.clerk, STAFF_SCOPES))
    citizen_token = bearer(token_for(world.applicant, APPLICANT_SCOPES))
    refused = client.generic("POST", f"/api/v1/workbench/cases/{number}/accept", b"", **citizen_token)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    assert refused["WWW-Authenticate"].startswith('Bearer error="insufficient_scope"')
    accepted = client.generic("POST", f"/api/v1/workbench/cases/{number}/accept", b"", **staff_token)
    assert accepted.status_code == 200
    # a staff token reads the case but cannot withdraw it (another scope, and not the applicant's side)
    assert client.get(f"/api/v1/applications/{number}", **staff_token).json()["view"] == "staff"
    withdraw = client.post(
        f"/api/v1/applications/{number}/withdraw", {}, content_type="application/json", **staff_token
    )
    assert withdraw.status_code == 403


def test_the_form_shows_visible_fields_prefill_sources_and_the_materials_plan(world):
    client = log_in(Client(), world.applicant)
    code = world.implementation.code
    form = client.get(f"/api/v1/applications/forms/{code}").json()
    fields = {item["key"]: item for item in form["fields"]}
    assert fields["applicant_name"]["prefill"] == {
        "value": world.applicant.full_name,
        "source": "account:name",
        "label": "实名账户",
    }
    assert not fields["phone"]["locked"] and "employer" not in fields
    assert {m["key"]: m["needs_upload"] for m in form["materials"]}["application_form"] is True
    employed = client.get(f"/api/v1/applications/forms/{code}?situation=employed:yes").json()
    assert "employer" in {item["key"] for item in employed["fields"]}
    assert "income_proof" in {m["key"] for m in employed["materials"]}
    bad = client.get(f"/api/v1/applications/forms/{code}?situation=employed")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_input"
    assert client.get("/api/v1/applications/forms/no-such-code").status_code == 404


@pytest.mark.parametrize("body", ["[null, null]", "null", "[]", "1", '"withdraw"'])
def test_a_body_that_is_not_an_object_is_refused(world, body):
    number, applicant = submitted(world)
    clerk = log_in(Client(), world.clerk)
    url = f"/api/v1/applications/{number}/withdraw"
    withdraw = applicant.post(url, body, content_type="application/json")
    assert withdraw.status_code == 400 and withdraw.json()["error"]["code"] == "invalid_input"
    accept = clerk.post(f"/api/v1/workbench/cases/{number}/accept", body, content_type="application/json")
    # an action whose body is optional reads ``null`` as no body
    assert accept.status_code == (200 if body == "null" else 400), accept.content
    assert Case.objects.get(number=number).status != CaseStatus.WITHDRAWN
