"""Overdue requests: the working-day deadline across a public holiday, escalated once on the right day to
the platform administrator, flagged on the pages; the task and the command run the same service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.conftest import login_with_second_factor
from yiwang.exchange.constants import RequestStatus
from yiwang.exchange.services import decide_request, request_resource
from yiwang.exchange.services.escalation import REQUEST_ESCALATED, escalate_overdue_requests
from yiwang.exchange.tasks import escalate_overdue
from yiwang.notifications.models import Notice

from .factories import CONSUMER_ITEM, make_world

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def world():
    return make_world()


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def _ask(world, monkeypatch, submitted: dt.datetime):
    monkeypatch.setattr(timezone, "now", lambda: submitted)
    share = request_resource(
        actor=world.civil_admin,
        resource=world.population,
        consumer=world.civil,
        system=world.civil_system,
        purpose="最低生活保障审核",
        service_item_codes=[CONSUMER_ITEM],
        legal_basis="《社会救助暂行办法》第十一条",
        item_codes=["name", "is_deceased"],
        ends_on=dt.date(2027, 9, 30),
    )
    monkeypatch.undo()
    return share


def test_request_before_national_day_is_escalated_once_the_day_after_its_deadline(world, monkeypatch):
    # given a request submitted on Wednesday 30 September 2026, the eve of the National Day holiday
    share = _ask(world, monkeypatch, _at(dt.date(2026, 9, 30), 10))
    # then its deadline skips 1-7 October and counts Saturday 10 October (a make-up working day):
    # 8 Oct (1), 9 Oct (2), 10 Oct (3), 12 Oct (4), 13 Oct (5)
    assert share.decision_due == dt.date(2026, 10, 13)
    # when the escalator runs on 8 October (5 calendar-weekdays later) and on the deadline itself
    assert escalate_overdue_requests(now=_at(dt.date(2026, 10, 8))) == []
    assert escalate_overdue_requests(now=_at(dt.date(2026, 10, 13), 23)) == []
    # then nothing happened; on 14 October it is escalated
    escalated = escalate_overdue_requests(now=_at(dt.date(2026, 10, 14), 0))
    assert escalated == [share]
    share.refresh_from_db()
    assert timezone.localdate(share.escalated_at) == dt.date(2026, 10, 14)
    # and the platform administrator got one notice, addressed to them
    notice = Notice.objects.get()
    assert notice.recipient == world.platform_admin
    assert world.population.name in notice.title and "2026-10-13" in notice.body
    entry = AuditEntry.objects.get(action=REQUEST_ESCALATED)
    assert entry.object_id == str(share.pk) and entry.department == world.police
    # when it runs again the next day and the day after, nothing more happens
    assert escalate_overdue_requests(now=_at(dt.date(2026, 10, 15))) == []
    assert escalate_overdue_requests(now=_at(dt.date(2026, 10, 16))) == []
    share.refresh_from_db()
    assert timezone.localdate(share.escalated_at) == dt.date(2026, 10, 14)
    assert Notice.objects.count() == 1
    assert AuditEntry.objects.filter(action=REQUEST_ESCALATED).count() == 1


def test_a_decided_request_is_never_escalated(world, monkeypatch):
    share = _ask(world, monkeypatch, _at(dt.date(2026, 9, 30), 10))
    decide_request(actor=world.police_admin, request_id=share.pk, approve=False, reason="用途与职责不符")
    assert escalate_overdue_requests(now=_at(dt.date(2026, 11, 30))) == []
    assert not Notice.objects.exists()


def test_without_a_platform_administrator_the_provider_is_told(world, monkeypatch):
    world.platform_admin.staff_assignments.all().delete()
    share = _ask(world, monkeypatch, _at(dt.date(2026, 9, 30), 10))
    assert escalate_overdue_requests(now=_at(dt.date(2026, 10, 14))) == [share]
    notice = Notice.objects.get()
    assert notice.department == world.police and notice.recipient is None


def test_the_task_and_the_command_escalate_with_the_same_service(world):
    share = request_resource(
        actor=world.civil_admin,
        resource=world.population,
        consumer=world.civil,
        system=world.civil_system,
        purpose="最低生活保障审核",
        service_item_codes=[CONSUMER_ITEM],
        legal_basis="《社会救助暂行办法》第十一条",
        item_codes=["name"],
        ends_on=world.ends_on,
    )
    share.decision_due = timezone.localdate() - dt.timedelta(days=1)
    share.save(update_fields=["decision_due"])
    result = escalate_overdue.enqueue()
    assert result.return_value["escalated"] == [share.pk]
    call_command("escalate_overdue_requests")  # a second pass: nothing left to escalate
    assert Notice.objects.count() == 1


def test_overdue_and_escalated_requests_are_flagged_on_the_overview(client, world, monkeypatch):
    share = _ask(world, monkeypatch, _at(dt.date(2026, 9, 30), 10))
    escalate_overdue_requests(now=_at(dt.date(2026, 10, 14)))
    assert share.status == RequestStatus.PENDING
    for reader in (world.police_admin, world.civil_admin):
        login_with_second_factor(client, reader)
        row = client.get("/exchange/").content.decode()
        assert "已逾期" in row and "已上报平台管理员" in row
        client.logout()
