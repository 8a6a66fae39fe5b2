"""Two clerks act on the same case at the same moment (PostgreSQL, two connections): the case row lock
lets one through; the other, holding the revision both pages showed, gets the stale-revision message
and the case as it is now. Nothing is written twice."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from yiwang.applications.constants import CASE_ACCEPTED, CASE_NOT_ACCEPTED, CaseStatus
from yiwang.applications.models import Case, CaseEvent
from yiwang.conftest import login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory

from .workbench_world import make_page_world

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_two_clerks_at_once_one_acts_and_the_other_is_told_the_case_changed():
    pages = make_page_world()
    case = pages.case
    second_clerk = StaffAssignmentFactory(department=pages.world.department, role=StaffRole.WINDOW_CLERK).user
    first, second = pages.client("clerk"), Client()
    login_with_second_factor(second, second_clerk)
    revision = case.revision
    posts = {
        "accept": (first, {"expected_revision": revision}),
        "refuse-to-accept": (
            second,
            {"expected_revision": revision, "reason": "材料不全", "legal_basis": "第三十二条"},
        ),
    }
    barrier, answers = threading.Barrier(len(posts)), {}

    def act(action: str) -> None:
        client, data = posts[action]
        url = reverse("applications:workbench_action", kwargs={"number": case.number, "action": action})
        try:
            barrier.wait(timeout=30)
            response = client.post(url, data)
            answers[action] = (response.status_code, response.content.decode())
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(action,)) for action in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    statuses = sorted(status for status, _body in answers.values())
    assert statuses == [302, 409], answers.keys()
    loser = next(body for status, body in answers.values() if status == 409)
    assert "已被他人更新" in loser
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.revision > revision
    assert fresh.status in (CaseStatus.ACCEPTED, CaseStatus.NOT_ACCEPTED)
    topics = list(
        CaseEvent.objects.filter(case=case).exclude(kind="case.submitted").values_list("kind", flat=True)
    )
    assert topics in ([CASE_ACCEPTED], [CASE_NOT_ACCEPTED])
