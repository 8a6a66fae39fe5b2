"""Two POST /api/v1/applications with one Idempotency-Key at the same moment (PostgreSQL, real
transactions, two threads, each its own connection): one case, one event; one 201 and one 200 naming it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from yiwang.applications.constants import CASE_SUBMITTED
from yiwang.applications.models import Case, CaseSerial
from yiwang.applications.services.cases import submission
from yiwang.notifications.models import OutboxEvent

from .api_world import (
    APPLICANT_SCOPES,
    application_body,
    bearer,
    material_keys,
    post_application,
    token_for,
    upload,
)
from .cases_world import make_world

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_two_racing_requests_with_one_key_create_one_case(monkeypatch):
    world = make_world()
    headers = bearer(token_for(world.applicant, APPLICANT_SCOPES))
    client = Client()
    keys = material_keys(world, world.applicant, world.applicant.id_number)
    body = application_body(
        world, world.applicant, materials={k: upload(client, headers)["upload"] for k in keys}
    )
    # Both requests pass the look-up of the key before either inserts: the race the database decides.
    both_checked = threading.Barrier(2, timeout=30)
    resolve = submission.resolve_applicant

    def resolve_then_wait(**kwargs):
        applicant = resolve(**kwargs)
        both_checked.wait()
        return applicant

    monkeypatch.setattr(submission, "resolve_applicant", resolve_then_wait)
    responses, errors = [], []

    def request():
        try:
            responses.append(post_application(Client(), body, key="same-key", headers=headers))
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(response.status_code for response in responses) == [200, 201], [
        r.content for r in responses
    ]
    assert len({response.json()["number"] for response in responses}) == 1
    assert Case.objects.count() == 1
    assert OutboxEvent.objects.filter(topic=CASE_SUBMITTED).count() == 1
    assert CaseSerial.objects.get().last == 1
    # and a later retry is the same case again
    again = post_application(Client(), body, key="same-key", headers=headers)
    assert again.status_code == 200 and again.json()["number"] == responses[0].json()["number"]
