"""Two requests with the same Idempotency-Key at the same moment (PostgreSQL, real transactions): one case;
the loser of the race gets it back with ``created=False`` and writes nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from yiwang.applications.constants import CASE_SUBMITTED
from yiwang.applications.models import Case, CaseSerial
from yiwang.applications.services.cases import submission
from yiwang.notifications.models import OutboxEvent

from .cases_world import make_world, submit

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_two_racing_submissions_with_one_key_create_one_case(monkeypatch):
    world = make_world()
    # Both requests get past the look-up of the key before either inserts: the race the constraint decides.
    both_checked = threading.Barrier(2, timeout=30)
    resolve = submission.resolve_applicant

    def resolve_then_wait(**kwargs):
        applicant = resolve(**kwargs)
        both_checked.wait()
        return applicant

    monkeypatch.setattr(submission, "resolve_applicant", resolve_then_wait)
    refused = []
    create = submission._create_case

    def create_and_watch(**kwargs):
        case, query_code = create(**kwargs)
        if case.pk is None:  # the insert skipped the row the unique constraint refused (ON CONFLICT)
            refused.append(case)
        return case, query_code

    monkeypatch.setattr(submission, "_create_case", create_and_watch)
    results, errors = [], []

    def request():
        try:
            results.append(submit(world, key="same-key"))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(created for _case, created in results) == [False, True]
    assert len({case.pk for case, _created in results}) == 1
    assert Case.objects.count() == 1
    assert OutboxEvent.objects.filter(topic=CASE_SUBMITTED).count() == 1
    assert CaseSerial.objects.get().last == 1  # the loser's number was given back
    assert len(refused) == 1  # the loser's insert was refused by the unique constraint, not by a look-up
