"""The demo step 效能监察与评价: three months of history for the demo departments (cases with real numbers,
ratings through the evaluation service, complaints through the feedback service, cards from the sweep,
the daily figures), so a fresh `make run` has something to supervise. A second run adds nothing."""

from __future__ import annotations

import pytest

from yiwang.applications.models import Case
from yiwang.applications.services.numbers import is_valid_case_number
from yiwang.applications.tests.demo_world import load_demo_world
from yiwang.supervision.demo import HISTORY_CASES, HISTORY_KEY, load_demo_supervision
from yiwang.supervision.models import Card, DailyCaseStat, Evaluation, Feedback, Rectification

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _counts() -> dict[str, int]:
    models = (Case, Evaluation, Feedback, Card, DailyCaseStat)
    return {model.__name__: model.objects.count() for model in models}


def test_the_demo_history_gives_the_dashboards_cards_ratings_and_complaints_and_runs_once():
    load_demo_world()

    summary = load_demo_supervision()

    history = Case.objects.filter(idempotency_key__startswith=HISTORY_KEY)
    assert history.count() == HISTORY_CASES
    assert all(is_valid_case_number(number) for number in history.values_list("number", flat=True))
    assert not history.filter(applicant__username__startswith="citizen").exists()  # demo logins stay clean
    assert Evaluation.objects.count() > 50
    bad = Evaluation.objects.filter(level__lte=2)
    assert bad.exists() and Rectification.objects.count() == bad.count()
    assert Feedback.objects.count() == 3
    assert Card.objects.filter(color="red").exists()  # late cases still running are carded
    assert DailyCaseStat.objects.exists()
    assert "480 history cases" in summary

    before = _counts()
    load_demo_supervision()
    assert _counts() == before
