"""The lists of the API: one cursor page shape, page N costing what page 1 costs (same number of queries),
filters, and the queue's keyset pages by due date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from yiwang.applications.constants import CaseStatus, TaskState
from yiwang.applications.models import CaseTask
from yiwang.applications.tests.factories import CaseFactory
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory

from .api_world import log_in

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json(), len(captured)


def test_my_cases_page_by_cursor_at_a_constant_cost():
    applicant = UserFactory(level3=True)
    cases = [CaseFactory(applicant=applicant) for _ in range(5)]
    CaseFactory()  # someone else's
    client = log_in(Client(), applicant)
    first, first_cost = _queries(client, "/api/v1/applications?limit=2")
    second, second_cost = _queries(client, f"/api/v1/applications?limit=2&cursor={first['next_cursor']}")
    third, _ = _queries(client, f"/api/v1/applications?limit=2&cursor={second['next_cursor']}")
    seen = [item["number"] for page in (first, second, third) for item in page["items"]]
    assert sorted(seen) == sorted(case.number for case in cases) and len(set(seen)) == 5
    assert third["next_cursor"] is None
    assert second_cost == first_cost  # no OFFSET, no query per row
    closed = client.get("/api/v1/applications?status=closed").json()
    assert closed["items"] == []
    CaseFactory(applicant=applicant, status=CaseStatus.APPROVED)
    assert len(client.get("/api/v1/applications?status=closed").json()["items"]) == 1
    assert client.get("/api/v1/applications?limit=0").json()["error"]["code"] == "invalid_limit"


def test_the_queue_is_sorted_by_due_date_and_paged():
    case = CaseFactory()
    clerk = StaffAssignmentFactory(department=case.department, role=StaffRole.WINDOW_CLERK).user
    today = dt.date(2026, 10, 12)
    for offset in (3, 1, 2):
        other = CaseFactory(implementation=case.implementation)
        CaseTask.objects.create(
            case=other,
            task_id=f"t{offset}",
            bpmn_id="accept",
            name="受理",
            role=StaffRole.WINDOW_CLERK,
            department=case.department,
            region=case.region,
            state=TaskState.READY,
            due_on=today + dt.timedelta(days=offset),
        )
    client = log_in(Client(), clerk)
    first, first_cost = _queries(client, "/api/v1/workbench/tasks?limit=2")
    second, second_cost = _queries(client, f"/api/v1/workbench/tasks?limit=2&cursor={first['next_cursor']}")
    dues = [item["due_on"] for item in first["items"] + second["items"]]
    assert dues == sorted(dues) and len(dues) == 3
    assert second["next_cursor"] is None and second_cost == first_cost
    assert client.get("/api/v1/workbench/tasks?cursor=nonsense").json()["error"]["code"] == "invalid_cursor"
    # a citizen's queue is empty, not an error
    citizen = log_in(Client(), UserFactory(level3=True))
    assert citizen.get("/api/v1/workbench/tasks").json() == {"items": [], "next_cursor": None}


def test_guessing_query_codes_through_the_api_is_throttled_like_the_page(client, settings):
    settings.APPLICATIONS_QUERY_NUMBER_FAILURE_LIMIT = 3
    url = "/api/v1/applications/status?number=511602000000202612060000010&query_code=AAAAAAAA"
    answers = [client.get(url) for _ in range(4)]
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert answers[-1].json()["error"]["code"] == "throttled"
