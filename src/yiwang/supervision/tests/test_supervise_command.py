"""`manage.py supervise`: the one process `make serve` starts for supervision's recurring work."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django_tasks import default_task_backend

pytestmark = pytest.mark.django_db


def test_one_run_sweeps_the_cards_reminds_and_refreshes_the_figures():
    out = io.StringIO()
    call_command("supervise", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["sweep", "reminders", "stats"]
    assert "'cards': {}" in lines[0] and "'reminded': 0" in lines[1]


def test_schedule_enqueues_each_self_rescheduling_task_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    call_command("supervise", "--schedule", stdout=io.StringIO())
    paths = sorted(result.task.module_path for result in default_task_backend.results)
    assert paths == [
        "yiwang.supervision.tasks.cards.sweep_cards",
        "yiwang.supervision.tasks.feedback.remind_late_feedback",
        "yiwang.supervision.tasks.stats.refresh_daily_stats",
    ]
