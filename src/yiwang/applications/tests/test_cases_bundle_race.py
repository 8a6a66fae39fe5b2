"""A withdrawal of a bundle and a decision on one of its parts at the same moment (PostgreSQL, real
transactions): both lock the parent before the part, so they take turns instead of deadlocking. Either
both finish, or the one that comes second is refused with a clear reason."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from yiwang.applications.constants import CaseStatus, Decision, TaskState
from yiwang.applications.models import Case, CaseTask
from yiwang.applications.services import bundles, cases
from yiwang.applications.services.cases import handling
from yiwang.applications.services.processes import load_default_processes
from yiwang.catalog.tests.factories import BundleFactory, ImplementationFactory
from yiwang.core.errors import DomainError
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory

from .factories import CaseFactory

pytestmark = [pytest.mark.pg, pytest.mark.django_db(transaction=True)]

HOLD = 1.5  # seconds the first action keeps its locks, long enough for the second to wait on them


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def bundle_at_decision() -> tuple[Case, Case, Any]:
    """A bundle of two parts; the first accepted and reviewed, waiting for its approver's decision."""
    load_default_processes()
    bundle = BundleFactory(implementations=[ImplementationFactory(), ImplementationFactory()])
    parent = CaseFactory(
        implementation=None, bundle=bundle, department=bundle.lead_department, region=bundle.region
    )
    part = bundles.fan_out(parent=parent)[0]
    clerk = StaffAssignmentFactory(department=part.department, role=StaffRole.WINDOW_CLERK).user
    approver = StaffAssignmentFactory(department=part.department, role=StaffRole.APPROVER).user
    cases.accept(actor=clerk, case=part)
    review = CaseTask.objects.get(case=part, bpmn_id="review", state=TaskState.READY)
    cases.complete_task(actor=approver, case=part, task=review, data={})
    return parent, Case.objects.get(pk=part.pk), approver


def race(first: Callable[[], Any], second: Callable[[], Any], holding: threading.Event) -> dict[str, Any]:
    """Run ``first``; once it holds its locks (``holding`` set), run ``second``; each one's outcome."""
    outcomes: dict[str, Any] = {}

    def run(name: str, action: Callable[[], Any]) -> None:
        try:
            action()
            outcomes[name] = "done"
        except Exception as error:  # kept to be asserted on: a deadlock would surface here
            outcomes[name] = error
        finally:
            connection.close()

    def run_second() -> None:
        assert holding.wait(timeout=30)
        run("second", second)

    threads = [
        threading.Thread(target=run, args=("first", first)),
        threading.Thread(target=run_second),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def hold_inside(monkeypatch, module: Any, name: str, holding: threading.Event, thread_name: str) -> None:
    """Make ``module.name`` (called with the locks held) signal ``holding`` and wait, in one thread only."""
    real = getattr(module, name)

    def slow(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == thread_name:
            holding.set()
            time.sleep(HOLD)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, slow)


def decide(part: Case, approver: Any) -> Callable[[], Any]:
    return lambda: cases.decide(
        actor=approver,
        case=part,
        decision=Decision.APPROVE,
        reason="符合条件",
        legal_basis="《中华人民共和国行政许可法》第三十八条第一款",
    )


def withdraw(parent: Case) -> Callable[[], Any]:
    return lambda: cases.withdraw(actor=parent.applicant, case=parent, reason="不再需要")


def test_a_decision_holding_its_part_and_a_withdrawal_of_the_parent_both_finish(monkeypatch):
    # given a part waiting for its decision, and the approver deciding it: while the decision runs the
    # workflow (its part locked), the applicant withdraws the whole application
    parent, part, approver = bundle_at_decision()
    holding = threading.Event()
    hold_inside(monkeypatch, handling.runtime, "complete", holding, "decider")

    def first() -> None:
        threading.current_thread().name = "decider"
        decide(part, approver)()

    outcomes = race(first, withdraw(parent), holding)
    # then neither fails with a deadlock: the decision finished first, then the withdrawal
    assert outcomes == {"first": "done", "second": "done"}, outcomes
    statuses = dict(Case.objects.filter(parent=parent).values_list("pk", "status"))
    assert statuses.pop(part.pk) == CaseStatus.APPROVED
    assert set(statuses.values()) == {CaseStatus.WITHDRAWN}
    assert Case.objects.get(pk=parent.pk).status == CaseStatus.WITHDRAWN


def test_a_withdrawal_holding_the_parent_and_a_decision_on_a_part_refused_cleanly(monkeypatch):
    # given the applicant withdrawing the whole application (parent and parts locked), while the
    # approver decides one part
    parent, part, approver = bundle_at_decision()
    holding = threading.Event()
    hold_inside(monkeypatch, handling, "refund", holding, "withdrawer")

    def first() -> None:
        threading.current_thread().name = "withdrawer"
        withdraw(parent)()

    outcomes = race(first, decide(part, approver), holding)
    # then the withdrawal finished and the decision, which waited for it, is refused with its reason
    assert outcomes["first"] == "done", outcomes
    refused = outcomes["second"]
    assert isinstance(refused, DomainError) and refused.code == "invalid_status", refused
    assert set(Case.objects.filter(parent=parent).values_list("status", flat=True)) == {CaseStatus.WITHDRAWN}
    assert Case.objects.get(pk=part.pk).decision == ""
