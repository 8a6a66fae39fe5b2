"""A double click on 提交申请 reaching the server as two requests at once (PostgreSQL, real transactions):
both get past the look-up of the draft's token before either submits; one case, and both requests land
on its confirmation."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from yiwang.applications.constants import CASE_SUBMITTED
from yiwang.applications.models import Case, Draft
from yiwang.applications.services import drafts
from yiwang.notifications.models import OutboxEvent

from .cases_world import make_world
from .test_pages_citizen import answers

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_two_racing_posts_of_one_draft_create_one_case(monkeypatch):
    world = make_world()
    starter = Client()
    starter.force_login(world.applicant)
    started = starter.post(
        reverse("applications:apply", args=[world.implementation.code]), {"applicant": "self"}
    )
    token = started["Location"].rstrip("/").rsplit("/", 1)[-1]
    both_checked = threading.Barrier(2, timeout=60)
    look_up = drafts.submitted_case_for
    calls = {"n": 0}

    def look_up_then_wait(**kwargs):
        found = look_up(**kwargs)
        calls["n"] += 1
        if calls["n"] <= 2:  # the first look-up of each request: both find nothing yet
            both_checked.wait()
        return found

    monkeypatch.setattr(drafts, "submitted_case_for", look_up_then_wait)
    responses, errors = [], []

    def request():
        try:
            client = Client()
            client.force_login(world.applicant)
            url = reverse("applications:draft", args=[token])
            responses.append(client.post(url, answers(world.applicant, action="submit")))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    case = Case.objects.get()
    assert [response.status_code for response in responses] == [302, 302]
    assert {response["Location"] for response in responses} == {
        reverse("applications:submitted", args=[case.number])
    }
    assert OutboxEvent.objects.filter(topic=CASE_SUBMITTED).count() == 1
    assert not Draft.objects.exists()
