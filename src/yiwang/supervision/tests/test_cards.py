"""The card sweep: yellow and red on the right working days across a holiday, stage overruns, stopped
clocks, idempotence, the department's rule, recipients, notices and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.applications.constants import CaseStatus
from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory
from yiwang.notifications.models import Notice
from yiwang.supervision.constants import AuditAction, CardColor, CardKind
from yiwang.supervision.models import Card, CardRecipient, CardRule
from yiwang.supervision.services import cards

from .cards_world import ACCEPTED_ON, PROMISED_DUE, make_cards_world, open_case

pytestmark = pytest.mark.django_db


def _days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _case_cards(case):
    return {card.kind: card for card in Card.objects.filter(case=case, task__isnull=True)}


def test_a_case_run_through_national_day_turns_yellow_and_red_on_the_right_working_days():
    # given a case accepted Monday 28 September, promised in 5 working days: due Saturday 10 October
    # (a make-up working day), the National Day week (1–7 October) between; the stage has no date
    world = make_cards_world()
    world.task.due_on = None
    world.task.save()
    first_seen: dict[str, dt.date] = {}
    # when the sweep runs every day from acceptance to mid-October
    for day in _days(ACCEPTED_ON, dt.date(2026, 10, 14)):
        cards.sweep(today=day)
        for kind in _case_cards(world.case):
            first_seen.setdefault(kind, day)
    # then 3 working days are left all through the holiday (30 September counts none of 1–7 October);
    # the case turns yellow on Thursday 8 October, the first working day after the holiday, with 2 left
    assert first_seen[CardKind.NEARLY_DUE] == dt.date(2026, 10, 8)
    yellow = _case_cards(world.case)[CardKind.NEARLY_DUE]
    assert (yellow.color, yellow.days_left, yellow.due_on) == (CardColor.YELLOW, 2, PROMISED_DUE)
    assert yellow.raised_on == dt.date(2026, 10, 8)
    assert "仅剩 2 个工作日" in yellow.reason
    # and red on Monday 12 October: Sunday 11 October is no working day, so nothing has passed before
    assert first_seen[CardKind.OVERDUE] == dt.date(2026, 10, 12)
    red = _case_cards(world.case)[CardKind.OVERDUE]
    assert (red.color, red.days_left, red.raised_on) == (CardColor.RED, -1, dt.date(2026, 10, 12))
    assert "已超过承诺办结日期（2026-10-10）1 个工作日" in red.reason
    # and no more cards however often it runs
    assert Card.objects.filter(case=world.case).count() == 2


def test_a_long_limit_turns_yellow_when_its_share_is_left():
    # a 20-working-day promise: 20 % is 4 working days, more than the 2-day rule
    world = make_cards_world()
    world.task.due_on = None
    world.task.save()
    world.case.promised_limit_days = 20
    world.case.promised_due = dt.date(2026, 10, 30)  # a Friday
    world.case.save()
    cards.sweep(today=dt.date(2026, 10, 23))  # 5 working days left (26–30 October)
    assert not _case_cards(world.case)
    cards.sweep(today=dt.date(2026, 10, 26))  # 4 left
    assert _case_cards(world.case)[CardKind.NEARLY_DUE].days_left == 4


def test_the_departments_rule_overrides_the_default_row():
    world = make_cards_world()
    world.task.due_on = None
    world.task.save()
    CardRule.objects.create(department=None, yellow_days_left=1, yellow_percent_left=0)
    cards.sweep(today=dt.date(2026, 10, 8))  # 2 left: the default row says not yet
    assert not _case_cards(world.case)
    CardRule.objects.create(department=world.department, yellow_days_left=3, yellow_percent_left=0)
    cards.sweep(today=dt.date(2026, 10, 8))
    assert CardKind.NEARLY_DUE in _case_cards(world.case)
    assert cards.rule_for(department_id=world.department.pk) == cards.Rule(3, 0)


def test_a_stage_past_its_own_date_gets_a_yellow_card_while_the_total_is_fine():
    world = make_cards_world()  # the stage is due Tuesday 29 September
    cards.sweep(today=dt.date(2026, 9, 29))
    assert not Card.objects.filter(task=world.task).exists()
    cards.sweep(today=dt.date(2026, 9, 30))
    card = Card.objects.get(task=world.task)
    assert (card.kind, card.color, card.days_left) == (CardKind.STAGE_OVERRUN, CardColor.YELLOW, -1)
    assert "环节“审查”已超过环节期限（2026-09-29）1 个工作日" in card.reason
    assert not _case_cards(world.case)  # the total still has 3 working days


def test_an_overdue_case_gets_no_stage_card_only_the_red_one():
    world = make_cards_world()
    cards.sweep(today=dt.date(2026, 10, 12))
    assert not Card.objects.filter(task=world.task).exists()
    assert set(_case_cards(world.case)) == {CardKind.OVERDUE}


@pytest.mark.parametrize("status", [CaseStatus.SUPPLEMENT, CaseStatus.SUSPENDED, CaseStatus.APPROVED])
def test_a_stopped_or_closed_clock_raises_nothing(status):
    world = make_cards_world()
    world.case.status = status
    world.case.save()
    cards.sweep(today=dt.date(2026, 10, 20))
    assert not Card.objects.exists()


def test_the_sweep_is_idempotent_cards_recipients_and_audit_once():
    world = make_cards_world()
    first = cards.sweep(today=dt.date(2026, 10, 12), batch_size=1)
    counts = (
        Card.objects.count(),
        CardRecipient.objects.count(),
        AuditEntry.objects.filter(action=AuditAction.CARD_RAISED).count(),
        Notice.objects.count(),
    )
    second = cards.sweep(today=dt.date(2026, 10, 12), batch_size=1)
    again = (
        Card.objects.count(),
        CardRecipient.objects.count(),
        AuditEntry.objects.filter(action=AuditAction.CARD_RAISED).count(),
        Notice.objects.count(),
    )
    assert first.cards == 1 and second.cards == 0 and counts == again
    assert world.case.pk == Card.objects.get().case_id


def test_cards_reach_the_handler_the_head_and_the_supervisor_of_the_region_only():
    world = make_cards_world()
    result = cards.sweep(today=dt.date(2026, 9, 30))  # the stage's overrun
    card = Card.objects.get(task=world.task)
    reached = {(row.user_id, row.role) for row in CardRecipient.objects.filter(card=card)}
    people = world.people
    assert reached == {
        (people["handler"].pk, "handler"),
        (people["head"].pk, "head"),
        (people["supervisor"].pk, "supervisor"),
    }
    assert result.recipients == 3 and result.notices == 3
    notices = Notice.objects.filter(recipient__in=[people[who] for who in ("handler", "head", "supervisor")])
    assert notices.count() == 3
    assert "1 张新的黄红牌" in notices.first().title
    entry = AuditEntry.objects.get(action=AuditAction.CARD_RAISED)
    assert (entry.object_type, entry.object_id, entry.department_id) == (
        "supervision.card",
        f"{card.pk}-{card.pk}",
        world.department.pk,
    )
    assert entry.details["card_ids"] == [card.pk] and entry.details["cards"] == 1
    assert entry.details["kinds"][CardKind.STAGE_OVERRUN] == 1 and entry.details["yellow"] == 1


def test_a_card_reaches_the_supervisors_of_the_nearest_level_and_the_city_oversees_it_in_scope():
    from yiwang.catalog.tests.factories import region_by_code
    from yiwang.identity.models import StaffAssignment
    from yiwang.supervision.selectors.cards import access_card

    world = make_cards_world()
    city = region_by_code("511600000000")
    city_supervisor = _city_supervisor(world, city)
    cards.sweep(today=dt.date(2026, 9, 30))
    card = Card.objects.get(task=world.task)
    # the county has its own supervisor: the card reaches them, not the city's
    supervisors = set(
        CardRecipient.objects.filter(card=card, role="supervisor").values_list("user_id", flat=True)
    )
    assert supervisors == {world.people["supervisor"].pk}
    # the city's supervisor oversees it through their scope all the same
    assert access_card(actor=city_supervisor, card_id=card.pk) == card
    # a county without a supervisor of its own: the city's supervisors are the nearest
    StaffAssignment.objects.filter(user=world.people["supervisor"]).delete()
    cards.sweep(today=dt.date(2026, 10, 12))
    red = Card.objects.get(case=world.case, kind=CardKind.OVERDUE)
    supervisors = set(
        CardRecipient.objects.filter(card=red, role="supervisor").values_list("user_id", flat=True)
    )
    assert supervisors == {city_supervisor.pk}


def _city_supervisor(world, city):
    department = DepartmentFactory(region=city)
    return StaffAssignmentFactory(role=StaffRole.SUPERVISOR, department=department, region=city).user


def _reached(card) -> set[tuple[int, str]]:
    return {(row.user_id, row.role) for row in CardRecipient.objects.filter(card=card)}


def test_an_unclaimed_stage_reaches_the_head_and_supervisor_and_its_claimant_at_the_next_sweep():
    # given a stage nobody has claimed yet, two approvers of the department could take it
    world = make_cards_world(claimed=False)
    StaffAssignmentFactory(role=StaffRole.APPROVER, department=world.department)
    people = world.people
    cards.sweep(today=dt.date(2026, 9, 30))  # the stage's overrun
    card = Card.objects.get(task=world.task)
    # then it reaches who assigns the work (the head) and the supervisor, not every approver
    assert _reached(card) == {(people["head"].pk, "head"), (people["supervisor"].pk, "supervisor")}
    # when the head and the supervisor answer it, and then an approver claims the stage
    for who in ("head", "supervisor"):
        cards.acknowledge(actor=people[who], card_id=card.pk, note="已安排")
    card.refresh_from_db()
    assert card.acknowledged_at is not None
    world.task.claimed_by = people["handler"]
    world.task.save()
    # then the next sweep makes the claimant a handler of the stage's card and of the case's red card
    result = cards.sweep(today=dt.date(2026, 10, 12))
    red = Card.objects.get(case=world.case, kind=CardKind.OVERDUE)
    assert (people["handler"].pk, "handler") in _reached(card)
    assert (people["handler"].pk, "handler") in _reached(red)
    assert result.handlers_added == 1 and result.recipients == 3  # red: handler, head, supervisor
    # and the stage's card waits for the new handler's acknowledgment again
    card.refresh_from_db()
    assert card.acknowledged_at is None
    notice = Notice.objects.filter(recipient=people["handler"]).get()
    assert "2 张新的黄红牌待签收（其中红牌 1 张）" in notice.title
    # and sweeping again adds nobody twice
    again = cards.sweep(today=dt.date(2026, 10, 12))
    assert again.handlers_added == 0 and again.notices == 0


def test_a_claimant_of_a_closed_case_is_not_added():
    world = make_cards_world(claimed=False)
    cards.sweep(today=dt.date(2026, 9, 30))
    world.task.claimed_by = world.people["handler"]
    world.task.save()
    world.case.status = CaseStatus.APPROVED
    world.case.save()
    assert cards.sweep(today=dt.date(2026, 10, 1)).handlers_added == 0
    assert not CardRecipient.objects.filter(role="handler").exists()


def test_the_audit_log_names_every_card_a_sweep_raised_per_department_and_batch():
    world = make_cards_world()
    other = DepartmentFactory(region=world.department.region)
    for offset in range(3):
        open_case(world.department, promised_due=PROMISED_DUE + dt.timedelta(days=offset))
        open_case(other, promised_due=PROMISED_DUE + dt.timedelta(days=offset))
    result = cards.sweep(today=dt.date(2026, 10, 12), batch_size=3)
    entries = list(AuditEntry.objects.filter(action=AuditAction.CARD_RAISED))
    listed = sorted(card_id for entry in entries for card_id in entry.details["card_ids"])
    # every card raised appears exactly once, in an entry of its own department
    assert listed == sorted(Card.objects.values_list("pk", flat=True)) and len(listed) == result.cards
    departments = dict(Card.objects.values_list("pk", "department_id"))
    for entry in entries:
        assert {departments[pk] for pk in entry.details["card_ids"]} == {entry.department_id}
        assert entry.details["cards"] == len(entry.details["card_ids"])
        assert entry.details["red"] + entry.details["yellow"] == entry.details["cards"]
        assert sum(entry.details["kinds"].values()) == entry.details["cards"]
        assert entry.details["raised_on"] == "2026-10-12" and entry.actor_id is None
    # fewer entries than cards: one per department and batch that raised any
    assert {entry.department_id for entry in entries} == {world.department.pk, other.pk}
    assert len(entries) < len(listed)


def test_many_cases_in_small_batches_give_the_same_cards_as_one_batch():
    world = make_cards_world()
    for offset in range(6):
        open_case(world.department, promised_due=PROMISED_DUE + dt.timedelta(days=offset))
    cards.sweep(today=dt.date(2026, 10, 12), batch_size=2)

    def raised():
        return sorted(Card.objects.values_list("case_id", "task_id", "kind", "days_left"), key=str)

    small = raised()
    CardRecipient.objects.all().delete()
    Card.objects.all().delete()
    cards.sweep(today=dt.date(2026, 10, 12))
    assert raised() == small
    # due 10 (twice) and 11 October: red; 12–14 October: yellow (15 October has 3 left); the four not
    # overdue have their stage past 29 September
    kinds = [kind for _case, _task, kind, _left in small]
    assert kinds.count(CardKind.OVERDUE) == 3 and kinds.count(CardKind.NEARLY_DUE) == 3
    assert kinds.count(CardKind.STAGE_OVERRUN) == 4


def test_working_day_ordinals_agree_with_the_calendar():
    from yiwang.core.workdays import load_calendar

    first, last = dt.date(2026, 9, 20), dt.date(2027, 3, 1)
    ordinals = cards.workday_ordinals(first, last)
    calendar = load_calendar()
    for start in (dt.date(2026, 9, 30), dt.date(2027, 2, 5)):
        for end in (dt.date(2026, 10, 8), dt.date(2027, 2, 20)):
            if end >= start:
                assert ordinals[end] - ordinals[start] == calendar.working_days_between(start, end)
