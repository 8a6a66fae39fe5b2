"""A submission takes its case number last (the serial's row lock is held only from there to COMMIT):
everything it wrote before carries the real number once it commits, serials stay gap-free in commit
order, and a process whose start runs a handler before its first user task is started again (the first
start undone with everything it wrote) once the number is taken, so what the handler keeps has the real
number."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiwang.applications.constants import CASE_SUBMITTED
from yiwang.applications.models import Case, CaseSerial
from yiwang.applications.services import numbers, processes, runtime
from yiwang.applications.services.cases import recording, submission
from yiwang.applications.tests.workflow_fixtures import linear
from yiwang.applications.workflow.handlers import temporary_handlers
from yiwang.notifications.models import OutboxEvent

from .cases_world import make_world, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world():
    return make_world()


def test_the_workflow_state_and_the_event_carry_the_number_taken_last(world):
    case, _created = submit(world, key="k-1")
    stored = Case.objects.get(pk=case.pk)
    assert numbers.is_valid_case_number(stored.number) and stored.number == case.number
    state = json.dumps(stored.state_json)
    assert submission.PROVISIONAL_PREFIX not in state and stored.number in state
    assert all(
        task["data"].get("case_number") == stored.number
        for task in stored.state_json["tasks"].values()
        if "case_number" in task["data"]
    )
    event = OutboxEvent.objects.get(topic=CASE_SUBMITTED)
    expected_id = uuid.uuid5(
        recording._EVENT_NAMESPACE, f"{stored.number}/{stored.revision}/{CASE_SUBMITTED}"
    )
    assert event.event_id == expected_id and event.payload["number"] == stored.number


def test_serials_of_a_region_and_day_follow_one_another_without_gaps(world):
    first, _ = submit(world, key="k-1")
    second, _ = submit(world, key="k-2")
    serial = CaseSerial.objects.get(region_code=first.region_id)
    assert int(first.number[20:26]) + 1 == int(second.number[20:26]) == serial.last


def test_a_handler_run_at_the_start_sees_the_real_number(world):
    seen = []

    def stamp(context, data):
        seen.append((context.number, data.get("case_number")))
        return {"stamped": True}

    xml = linear(
        '<bpmn:serviceTask id="stamp_number" name="登记编号"/>',
        '<bpmn:userTask id="accept" name="受理"><bpmn:extensionElements/></bpmn:userTask>',
    )
    with temporary_handlers(stamp_number=stamp):
        version = processes.import_process(actor=None, xml=xml, file_name="stamp.bpmn", activate=True).version
        processes.bind_process(
            actor=None, definition=version.definition, implementations=[world.implementation]
        )
        case, _created = submit(world, key="k-1")
    stored = Case.objects.get(pk=case.pk)
    # the first start (provisional number) was undone with all it wrote; the kept one saw the real number
    assert len(seen) == 2 and seen[0][0].startswith(submission.PROVISIONAL_PREFIX)
    assert seen[-1] == (stored.number, stored.number)
    assert numbers.is_valid_case_number(stored.number)
    assert stored.process_version == version and stored.state_json is not None
    assert submission.PROVISIONAL_PREFIX not in json.dumps(stored.state_json)


def _version_of(world, xml: bytes, name: str):
    version = processes.import_process(actor=None, xml=xml, file_name=name, activate=True).version
    processes.bind_process(actor=None, definition=version.definition, implementations=[world.implementation])
    return version


def test_a_start_that_waits_for_a_person_before_any_handler_takes_no_savepoint(world):
    """Only a start that can reach a service task before its first user task is undone and made again;
    the others (the 办件 processes: 受理 first) start once, with no savepoint around them."""
    user_first = linear(
        '<bpmn:userTask id="accept" name="受理"><bpmn:extensionElements/></bpmn:userTask>',
        '<bpmn:serviceTask id="stamp_number" name="登记编号"/>',
    )
    handler_first = linear(
        '<bpmn:serviceTask id="stamp_number" name="登记编号"/>',
        '<bpmn:userTask id="accept" name="受理"><bpmn:extensionElements/></bpmn:userTask>',
    )
    seen = []
    with temporary_handlers(stamp_number=lambda context, data: seen.append(context.number) or {}):
        assert runtime.start_may_run_handlers(_version_of(world, handler_first, "first.bpmn")) is True
        version = _version_of(world, user_first, "later.bpmn")
        assert runtime.start_may_run_handlers(version) is False
        submit(world, key="k-0")  # the region's serial of the day is made (once a day, in a savepoint)
        with CaptureQueriesContext(connection) as queries:
            case, _created = submit(world, key="k-1")

    savepoints = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == 1  # submit's own (this test runs in a transaction): none for the start
    stored = Case.objects.get(pk=case.pk)
    assert stored.process_version == version and seen == []
    assert [task.bpmn_id for task in stored.tasks.all()] == ["accept"]
    assert submission.PROVISIONAL_PREFIX not in json.dumps(stored.state_json)
