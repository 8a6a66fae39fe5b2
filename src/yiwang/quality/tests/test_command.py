"""manage.py run_quality_checks and the scheduled task: one run per resource, or the one named."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from yiwang.quality.models import QualityRun
from yiwang.quality.tasks import run_quality_checks as run_task

from .factories import make_quality_world

pytestmark = pytest.mark.django_db


def test_command_checks_every_resource_or_one(capsys):
    world = make_quality_world()
    call_command("run_quality_checks")
    assert QualityRun.objects.count() == 4  # population, legal persons, social insurance, housing fund
    call_command("run_quality_checks", resource=world.population.code)
    assert QualityRun.objects.filter(resource=world.population).count() == 2
    assert "score 100.00" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("run_quality_checks", resource="NO-SUCH-CODE")


def test_the_task_runs_the_checks():
    make_quality_world()
    result = run_task.enqueue()
    assert {"RK-511602-0001", "FR-511602-0001", "SB-511602-0001"} <= set(result.return_value["runs"])
    assert QualityRun.objects.filter(trigger="schedule").count() == 4
