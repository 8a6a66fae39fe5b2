"""Yellow and red cards (效能监察): the sweep that raises them, and the recipients' acknowledgments.

The sweep is set-based so it keeps up with a million open cases: the working-day calendar becomes a
temporary table ``date → working-day ordinal`` (the ordinal counts the working days up to that date), so
the working days between two dates are a subtraction and the whole check is one INSERT … SELECT … ON
CONFLICT DO NOTHING per batch of case ids, the recipients one more from the cards the batch created, and
the audit log one entry per department and batch listing the cards (the Card rows are the kept record of
each card). The same SQL runs on SQLite and PostgreSQL (only the id list of the audit summary differs).
One card of a kind per case (per stage for an overrun): the unique constraints make the sweep
idempotent, so it may run any number of times a day.

Rules (docs/supervision-cards.md):

- A case counts while its clock runs: status submitted or accepted with a promised date. A case waiting
  for a supplement or in a special procedure (补正, 特别程序) is skipped: its clock stands still.
- days left = working days from today to the promised date (negative once a working day has passed it).
- red (overdue) when days left < 0, i.e. on the first working day after the promised date;
- yellow (nearly_due) when 0 ≤ days left ≤ the rule's days, or days left ≤ the rule's share of the promised
  limit (in working days; a calendar-day limit counts 5/7 of its days);
- yellow (stage_overrun) when an open stage's own date has passed (a working day after it) while the case
  is not overdue.

The rule is the department's ``CardRule``, else the default row (no department), else the constants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from yiwang.applications.constants import CaseStatus, TaskState
from yiwang.applications.models import Case, CaseTask
from yiwang.audit.services import record_event
from yiwang.core.errors import Conflict, InvalidInput, PermissionDenied
from yiwang.core.workdays import load_calendar
from yiwang.identity.models import User
from yiwang.identity.selectors import (
    assignment_with_permission,
    department_ids_with_permission,
    list_holders_of_permission,
)
from yiwang.notifications.constants import MessageTopic
from yiwang.notifications.services import notify
from yiwang.regions.models import Department
from yiwang.regions.selectors import region_prefix

from ..constants import (
    DEFAULT_YELLOW_DAYS_LEFT,
    DEFAULT_YELLOW_PERCENT_LEFT,
    AuditAction,
    CardColor,
    CardKind,
    RecipientRole,
)
from ..models import Card, CardRecipient, CardRule
from ..selectors.scope import OVERSEE, RESPOND, authority_for

# The statuses whose clock runs: 补正 (supplement) and 特别程序 (suspended) stop it.
RUNNING_STATUSES = (CaseStatus.SUBMITTED.value, CaseStatus.ACCEPTED.value)
OPEN_TASK_STATES = (TaskState.READY.value,)
BATCH_SIZE = 50_000
NOTE_MAX = 500

_WORKDAY_TABLE = "sv_card_workday"
_STAFF_TABLE = "sv_card_staff"


@dataclass
class SweepResult:
    today: dt.date
    raised: dict[str, int] = field(default_factory=dict)  # by kind
    recipients: int = 0  # reached by the new cards
    handlers_added: int = 0  # claimants added to earlier cards (stages claimed since)
    notices: int = 0
    batches: int = 0

    @property
    def cards(self) -> int:
        return sum(self.raised.values())


@dataclass(frozen=True)
class Rule:
    yellow_days_left: int
    yellow_percent_left: int


def default_rule() -> Rule:
    """The default row (no department), else the constants."""
    row = CardRule.objects.filter(department__isnull=True).first()
    if row is None:
        return Rule(DEFAULT_YELLOW_DAYS_LEFT, DEFAULT_YELLOW_PERCENT_LEFT)
    return Rule(row.yellow_days_left, row.yellow_percent_left)


def rule_for(*, department_id: int) -> Rule:
    row = CardRule.objects.filter(department_id=department_id).first()
    return Rule(row.yellow_days_left, row.yellow_percent_left) if row else default_rule()


# The working-day index ------------------------------------------------------------------------------


def workday_ordinals(first: dt.date, last: dt.date) -> dict[dt.date, int]:
    """date → the number of working days after ``first`` up to and including it, for first..last.

    ``ordinals[b] - ordinals[a]`` is ``WorkdayCalendar.working_days_between(a, b)`` for a ≤ b, and its
    negative the other way round: the days left to a date, negative once a working day has passed it.
    """
    calendar = load_calendar(range(first.year, last.year + 1))
    ordinals: dict[dt.date, int] = {}
    count, day = 0, first
    while day <= last:
        if day != first and calendar.is_working_day(day):
            count += 1
        ordinals[day] = count
        day += dt.timedelta(days=1)
    return ordinals


def _date_range(today: dt.date) -> tuple[dt.date, dt.date]:
    cases = Case.objects.filter(status__in=RUNNING_STATUSES, promised_due__isnull=False).aggregate(
        low=Min("promised_due"), high=Max("promised_due")
    )
    tasks = CaseTask.objects.filter(state__in=OPEN_TASK_STATES, due_on__isnull=False).aggregate(
        low=Min("due_on"), high=Max("due_on")
    )
    days = [day for day in (cases["low"], cases["high"], tasks["low"], tasks["high"]) if day] + [today]
    return min(days) - dt.timedelta(days=1), max(days)


def _db_date(day: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(day)


def _db_now() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _fill_workdays(cursor: Any, ordinals: dict[dt.date, int]) -> None:
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_WORKDAY_TABLE} (day date PRIMARY KEY, ord integer)"
    )
    cursor.execute(f"DELETE FROM {_WORKDAY_TABLE}")  # noqa: S608 (names are constants)
    cursor.executemany(
        f"INSERT INTO {_WORKDAY_TABLE} (day, ord) VALUES (%s, %s)",  # noqa: S608
        [(_db_date(day), ordinal) for day, ordinal in ordinals.items()],
    )


def _staff_rows() -> list[tuple[str, int, int, str, str]]:
    """(kind, user, department, role, region prefix) of the people cards reach besides the handler.

    kind "head": the holders of ``supervision.respond`` (department heads); "supervisor": the holders of
    ``supervision.oversee`` (region-wide).
    """
    rows: list[tuple[str, int, int, str, str]] = []
    for kind, permission in (("head", RESPOND), ("supervisor", OVERSEE)):
        for assignment in list_holders_of_permission(permission=permission):
            prefix = region_prefix(code=assignment.region.code, level=assignment.region.level)
            rows.append((kind, assignment.user_id, assignment.department_id, assignment.role, prefix))
    return rows


def _fill_staff(cursor: Any) -> None:
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAFF_TABLE} "
        "(kind varchar(12), user_id bigint, department_id bigint, role varchar(30), prefix varchar(12))"
    )
    cursor.execute(f"DELETE FROM {_STAFF_TABLE}")  # noqa: S608
    rows = _staff_rows()
    if rows:
        cursor.executemany(
            f"INSERT INTO {_STAFF_TABLE} (kind, user_id, department_id, role, prefix) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s)",
            rows,
        )


# The statements of one batch -------------------------------------------------------------------------

_CARD_COLUMNS = (
    "case_id, task_id, color, kind, reason, due_on, raised_on, days_left, department_id, region_id, "
    "created_at, acknowledged_at"
)

# Case cards: red when a working day has passed the promised date, else yellow when little is left.
_CASE_CARDS = f"""
INSERT INTO supervision_card ({_CARD_COLUMNS})
SELECT c.id, NULL,
       CASE WHEN w.ord - %s < 0 THEN 'red' ELSE 'yellow' END,
       CASE WHEN w.ord - %s < 0 THEN 'overdue' ELSE 'nearly_due' END,
       CASE WHEN w.ord - %s < 0
            THEN '已超过承诺办结日期（' || CAST(c.promised_due AS varchar(10)) || '）'
                 || CAST(%s - w.ord AS varchar(10)) || ' 个工作日'
            ELSE '距承诺办结日期（' || CAST(c.promised_due AS varchar(10)) || '）仅剩 '
                 || CAST(w.ord - %s AS varchar(10)) || ' 个工作日' END,
       c.promised_due, %s, w.ord - %s, c.department_id, c.region_id, %s, NULL
FROM applications_case c
JOIN {_WORKDAY_TABLE} w ON w.day = c.promised_due
LEFT JOIN supervision_cardrule r ON r.department_id = c.department_id
WHERE c.id >= %s AND c.id < %s
  AND c.status IN (%s, %s)
  AND c.promised_due IS NOT NULL
  AND (w.ord - %s < 0
       OR w.ord - %s <= COALESCE(r.yellow_days_left, %s)
       OR (w.ord - %s) * 100 <= COALESCE(r.yellow_percent_left, %s)
          * (CASE WHEN c.promised_limit_unit = 'calendar' THEN c.promised_limit_days * 5 / 7
                  ELSE c.promised_limit_days END))
ON CONFLICT DO NOTHING
"""  # noqa: S608 (table names are constants)

# Stage cards: an open stage a working day past its own date while the case is not overdue.
_STAGE_CARDS = f"""
INSERT INTO supervision_card ({_CARD_COLUMNS})
SELECT c.id, t.id, 'yellow', 'stage_overrun',
       '环节“' || t.name || '”已超过环节期限（' || CAST(t.due_on AS varchar(10)) || '）'
         || CAST(%s - tw.ord AS varchar(10)) || ' 个工作日，总时限尚未超期',
       t.due_on, %s, tw.ord - %s, t.department_id, t.region_id, %s, NULL
FROM applications_casetask t
JOIN applications_case c ON c.id = t.case_id
JOIN {_WORKDAY_TABLE} tw ON tw.day = t.due_on
JOIN {_WORKDAY_TABLE} w ON w.day = c.promised_due
WHERE t.case_id >= %s AND t.case_id < %s
  AND t.state = %s
  AND t.due_on IS NOT NULL
  AND c.status IN (%s, %s)
  AND tw.ord < %s
  AND w.ord >= %s
ON CONFLICT DO NOTHING
"""  # noqa: S608 (table names are constants)

# Whom a new card reaches, in one statement: the handler (the claimant of the stage; a case card: the
# claimants of the case's open stages; an unclaimed stage has no handler yet: it reaches the heads, who
# assign the work, and the claimant is added by a later sweep, see _CLAIMED_HANDLERS), the department
# heads of the card's department and region, and the supervisors of the nearest region level covering the
# card that has any (the county's; the city's when the county has none; upper levels oversee the card
# through their scope: lists, counts, dashboards). The cards
# are this batch's own (one sweep at a time), so nobody else has reached them: no ON CONFLICT (a
# speculative insertion per row), UNION drops a person reached twice in the same role (overlapping regions).
_RECIPIENTS = f"""
INSERT INTO supervision_cardrecipient (card_id, user_id, role, note)
SELECT k.id, t.claimed_by_id, 'handler', ''
FROM supervision_card k JOIN applications_casetask t ON t.id = k.task_id
WHERE k.id > %s AND k.task_id IS NOT NULL AND t.claimed_by_id IS NOT NULL
UNION
SELECT k.id, t.claimed_by_id, 'handler', ''
FROM supervision_card k JOIN applications_casetask t ON t.case_id = k.case_id AND t.state = %s
WHERE k.id > %s AND k.task_id IS NULL AND t.claimed_by_id IS NOT NULL
UNION
SELECT k.id, st.user_id, 'head', ''
FROM supervision_card k
JOIN {_STAFF_TABLE} st ON st.kind = 'head' AND st.department_id = k.department_id
                      AND k.region_id LIKE st.prefix || '%%'
WHERE k.id > %s
UNION
SELECT k.id, st.user_id, 'supervisor', ''
FROM supervision_card k
JOIN {_STAFF_TABLE} st ON st.kind = 'supervisor' AND k.region_id LIKE st.prefix || '%%'
WHERE k.id > %s
  AND NOT EXISTS (SELECT 1 FROM {_STAFF_TABLE} nearer
                  WHERE nearer.kind = 'supervisor' AND k.region_id LIKE nearer.prefix || '%%'
                    AND LENGTH(nearer.prefix) > LENGTH(st.prefix))
"""  # noqa: S608 (table names are constants)

# The claimant of a stage claimed after its card was raised (or claimed anew) becomes a handler of the
# stage's card and of its case's cards, at the next sweep. Driven by the open claimed stages (not by the
# cards kept over the years); a card already answered by everyone is open again for the new handler.
_CLAIMED_HANDLERS = """
INSERT INTO supervision_cardrecipient (card_id, user_id, role, note)
SELECT k.id, t.claimed_by_id, 'handler', ''
FROM applications_casetask t
JOIN applications_case c ON c.id = t.case_id
JOIN supervision_card k ON k.task_id = t.id
WHERE t.state = %s AND t.claimed_by_id IS NOT NULL AND c.status IN (%s, %s)
  AND NOT EXISTS (SELECT 1 FROM supervision_cardrecipient r
                  WHERE r.card_id = k.id AND r.user_id = t.claimed_by_id AND r.role = 'handler')
UNION ALL
SELECT k.id, t.claimed_by_id, 'handler', ''
FROM applications_casetask t
JOIN applications_case c ON c.id = t.case_id
JOIN supervision_card k ON k.case_id = t.case_id AND k.task_id IS NULL
WHERE t.state = %s AND t.claimed_by_id IS NOT NULL AND c.status IN (%s, %s)
  AND NOT EXISTS (SELECT 1 FROM supervision_cardrecipient r
                  WHERE r.card_id = k.id AND r.user_id = t.claimed_by_id AND r.role = 'handler')
ON CONFLICT DO NOTHING
"""

_REOPEN_FOR_NEW_HANDLERS = """
UPDATE supervision_card SET acknowledged_at = NULL
WHERE acknowledged_at IS NOT NULL
  AND id IN (SELECT card_id FROM supervision_cardrecipient WHERE id > %s AND role = 'handler')
"""


def _batch_summary_sql() -> str:
    """The cards a batch raised, per department: counts by colour and kind and their ids (for the audit)."""
    ids = "array_agg(id ORDER BY id)" if connection.vendor == "postgresql" else "group_concat(id)"
    return f"""
SELECT department_id, COUNT(*),
       SUM(CASE WHEN color = 'red' THEN 1 ELSE 0 END),
       SUM(CASE WHEN kind = 'overdue' THEN 1 ELSE 0 END),
       SUM(CASE WHEN kind = 'nearly_due' THEN 1 ELSE 0 END),
       SUM(CASE WHEN kind = 'stage_overrun' THEN 1 ELSE 0 END),
       {ids}
FROM supervision_card WHERE id > %s GROUP BY department_id ORDER BY department_id
"""  # noqa: S608 (table names are constants)


def _ids(value: Any) -> list[int]:
    if isinstance(value, str):  # SQLite's group_concat
        return sorted(int(part) for part in value.split(","))
    return list(value)


def _audit_batch(cursor: Any, *, before: int, today: dt.date) -> int:
    """One ``supervision.card_raised`` entry per department the batch raised cards in (the auditors of a
    department see theirs): how many, by colour and kind, and every card id. Returns the cards counted."""
    cursor.execute(_batch_summary_sql(), [before])
    total = 0
    for department_id, count, red, overdue, nearly_due, overrun, ids in cursor.fetchall():
        card_ids = _ids(ids)
        total += count
        record_event(
            action=AuditAction.CARD_RAISED,
            object_type="supervision.card",
            object_id=f"{card_ids[0]}-{card_ids[-1]}",
            department=Department(pk=department_id),
            purpose="效能监察",
            details={
                "raised_on": today.isoformat(),
                "cards": count,
                "red": red,
                "yellow": count - red,
                "kinds": {
                    CardKind.OVERDUE.value: overdue,
                    CardKind.NEARLY_DUE.value: nearly_due,
                    CardKind.STAGE_OVERRUN.value: overrun,
                },
                "card_ids": card_ids,
            },
        )
    return total


def _max_card_id(cursor: Any) -> int:
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM supervision_card")
    return int(cursor.fetchone()[0])


@contextmanager
def _sweep_lock() -> Iterator[None]:
    """One sweep at a time (PostgreSQL advisory lock; SQLite serializes writers anyway)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext('yiwang.supervision.card_sweep'))")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext('yiwang.supervision.card_sweep'))")


def _run_batch(
    cursor: Any, *, low: int, high: int, today: dt.date, today_ord: int, rule: Rule
) -> tuple[int, int]:
    """Raise the batch's cards and reach their recipients; (cards, recipients) inserted."""
    before = _max_card_id(cursor)
    day, now = _db_date(today), _db_now()
    t = today_ord
    cursor.execute(
        _CASE_CARDS,
        [
            t,
            t,
            t,
            t,
            t,
            day,
            t,
            now,
            low,
            high,
            *RUNNING_STATUSES,
            t,
            t,
            rule.yellow_days_left,
            t,
            rule.yellow_percent_left,
        ],
    )
    cards = max(cursor.rowcount, 0)
    cursor.execute(_STAGE_CARDS, [t, day, t, now, low, high, TaskState.READY.value, *RUNNING_STATUSES, t, t])
    cards += max(cursor.rowcount, 0)
    if not cards:
        return 0, 0
    cursor.execute(_RECIPIENTS, [before, TaskState.READY.value, before, before, before])
    recipients = max(cursor.rowcount, 0)
    _audit_batch(cursor, before=before, today=today)
    return cards, recipients


def _add_claimed_handlers(cursor: Any) -> int:
    """Reach the handlers who claimed a stage after its cards were raised; returns the rows added."""
    cursor.execute(_max_recipient_id_sql())
    before = int(cursor.fetchone()[0])
    ready = TaskState.READY.value
    cursor.execute(_CLAIMED_HANDLERS, [ready, *RUNNING_STATUSES, ready, *RUNNING_STATUSES])
    added = max(cursor.rowcount, 0)
    if added:
        cursor.execute(_REOPEN_FOR_NEW_HANDLERS, [before])
    return added


def _max_recipient_id_sql() -> str:
    return "SELECT COALESCE(MAX(id), 0) FROM supervision_cardrecipient"


def sweep(*, today: dt.date | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Check every running case and open stage against its working-day limits and raise the cards due.

    Idempotent; first the claimants of stages claimed since their cards were raised become handlers of
    those cards (one transaction), then each batch of case ids is one transaction (cards, recipients and
    the batch's audit entries together); at the end each person newly reached gets one in-app notice.
    """
    today = today or timezone.localdate()
    result = SweepResult(today=today)
    bounds = Case.objects.filter(status__in=RUNNING_STATUSES, promised_due__isnull=False).aggregate(
        low=Min("id"), high=Max("id")
    )
    if bounds["low"] is None:
        return result
    first, last = _date_range(today)
    ordinals = workday_ordinals(first, last)
    rule = default_rule()
    with _sweep_lock(), connection.cursor() as cursor:
        start = _max_card_id(cursor)
        cursor.execute(_max_recipient_id_sql())
        first_recipient = int(cursor.fetchone()[0])
        with transaction.atomic():
            result.handlers_added = _add_claimed_handlers(cursor)
        with transaction.atomic():
            _fill_workdays(cursor, ordinals)
            _fill_staff(cursor)
        low = bounds["low"]
        while low <= bounds["high"]:
            high = low + batch_size
            with transaction.atomic():
                _cards, recipients = _run_batch(
                    cursor, low=low, high=high, today=today, today_ord=ordinals[today], rule=rule
                )
            result.recipients += recipients
            result.batches += 1
            low = high
        raised = Card.objects.filter(pk__gt=start).values("kind").annotate(count=Count("pk")).order_by()
        result.raised = {row["kind"]: row["count"] for row in raised}
        result.notices = _notify(first_recipient=first_recipient)
        cursor.execute(f"DROP TABLE IF EXISTS {_WORKDAY_TABLE}")
        cursor.execute(f"DROP TABLE IF EXISTS {_STAFF_TABLE}")
    return result


@transaction.atomic
def _notify(*, first_recipient: int) -> int:
    """One in-app notice per person newly reached since the recipient row ``first_recipient`` (new cards,
    and earlier cards of a stage they have claimed since), in their cards' first department."""
    rows = list(
        CardRecipient.objects.filter(pk__gt=first_recipient)
        .values("user_id")
        .annotate(
            cards=Count("card_id", distinct=True),
            red=Count("card_id", distinct=True, filter=Q(card__color=CardColor.RED)),
            department_id=Min("card__department_id"),
        )
        .order_by("user_id")
    )
    departments = Department.objects.in_bulk({row["department_id"] for row in rows})
    users = User.objects.in_bulk({row["user_id"] for row in rows})
    link = reverse("supervision:card_list")
    for row in rows:
        notify(
            recipient=users[row["user_id"]],
            topic=MessageTopic.CARD_ISSUED,
            title=CARDS_TITLE,
            body=CARDS_BODY,
            context={"cards": row["cards"], "red": row["red"]},
            link=link,
            department=departments[row["department_id"]],
        )
    return len(rows)


CARDS_TITLE = gettext_noop("您有 {cards} 张新的黄红牌待签收（其中红牌 {red} 张）")
CARDS_BODY = gettext_noop("请到“效能监察 · 我的黄红牌”查看并签收。")


# The card rule ----------------------------------------------------------------------------------------

# The platform administrator is the one holder of staff.manage: they set the default rule and any
# department's; a supervisor sets the rule of a department within their region.
PLATFORM_PERMISSION = "staff.manage"
RULE_MAX_DAYS = 30


def _rule_authority(*, actor: Any, department: Department | None) -> Any:
    """The staff role on whose authority the actor sets this rule, or None when they may not."""
    if not (actor is not None and getattr(actor, "is_authenticated", False) and actor.is_staff_member):
        return None
    platform = sorted(department_ids_with_permission(actor, PLATFORM_PERMISSION))
    if platform:
        return assignment_with_permission(
            actor=actor, permission=PLATFORM_PERMISSION, department_id=platform[0]
        )
    if department is None:
        return None
    return authority_for(
        actor, permission=OVERSEE, department_id=department.pk, region_code=department.region_id
    )


def may_set_rule(*, actor: Any, department: Department | None) -> bool:
    """Whether the actor may set (or remove) this department's rule (None: the platform default)."""
    return _rule_authority(actor=actor, department=department) is not None


def _rule_values(rule: CardRule | None) -> dict[str, int] | None:
    if rule is None:
        return None
    return {"yellow_days_left": rule.yellow_days_left, "yellow_percent_left": rule.yellow_percent_left}


def check_rule(
    *, actor: Any, department: Department | None, yellow_days_left: int, yellow_percent_left: int
) -> Any:
    """Raise unless the actor may set these values; returns the authority to record."""
    authority = _rule_authority(actor=actor, department=department)
    if authority is None:
        raise PermissionDenied(
            "只有平台管理员或该部门所在区划的效能监察人员可以设置预警规则", code="rule_not_allowed"
        )
    if not 0 <= yellow_days_left <= RULE_MAX_DAYS:
        raise InvalidInput(f"剩余工作日须在 0 到 {RULE_MAX_DAYS} 之间", code="invalid_days_left")
    if not 0 <= yellow_percent_left <= 100:
        raise InvalidInput("剩余时限比例须在 0 到 100 之间", code="invalid_percent_left")
    return authority


@transaction.atomic
def set_card_rule(
    *, actor: Any, department: Department | None, yellow_days_left: int, yellow_percent_left: int
) -> CardRule:
    """Set a department's rule (None: the platform default); audited with the values before and after."""
    authority = check_rule(
        actor=actor,
        department=department,
        yellow_days_left=yellow_days_left,
        yellow_percent_left=yellow_percent_left,
    )
    rules = CardRule.objects.select_for_update()
    rule = (
        rules.filter(department=department).first() if department else rules.filter(department=None).first()
    )
    before = _rule_values(rule)
    if rule is None:
        rule = CardRule(department=department)
    rule.yellow_days_left, rule.yellow_percent_left = yellow_days_left, yellow_percent_left
    rule.save()
    _audit_rule(actor=actor, authority=authority, rule=rule, department=department, before=before)
    return rule


@transaction.atomic
def remove_card_rule(*, actor: Any, rule_id: int) -> None:
    """Remove a department's own rule (it falls back to the default); the default row stays (set it)."""
    rule = (
        CardRule.objects.select_for_update(of=("self",))
        .select_related("department")
        .filter(pk=rule_id)
        .first()
    )
    if rule is None or rule.department is None:
        raise InvalidInput("默认规则不能删除，可以修改", code="default_rule_kept")
    authority = _rule_authority(actor=actor, department=rule.department)
    if authority is None:
        raise PermissionDenied(
            "只有平台管理员或该部门所在区划的效能监察人员可以设置预警规则", code="rule_not_allowed"
        )
    before = _rule_values(rule)
    _audit_rule(
        actor=actor, authority=authority, rule=rule, department=rule.department, before=before, removed=True
    )
    rule.delete()


def _audit_rule(
    *,
    actor: Any,
    authority: Any,
    rule: CardRule,
    department: Department | None,
    before: dict[str, int] | None,
    removed: bool = False,
) -> None:
    record_event(
        action=AuditAction.CARD_RULE_CHANGED,
        actor=actor,
        target=rule,
        department=department,
        actor_role=authority.role,
        actor_department=authority.department,
        actor_region_code=authority.region_id,
        details={
            "department_id": department.pk if department else None,
            "before": before,
            "after": None if removed else _rule_values(rule),
        },
    )


# Acknowledgment -------------------------------------------------------------------------------------


@transaction.atomic
def acknowledge(*, actor: Any, card_id: int, note: str = "") -> Card:
    """The actor, a recipient of the card, acknowledges it with a note; a red card needs the reason.

    Every role the actor receives the card in is acknowledged at once; the card is answered when all its
    recipients have acknowledged it. Audited with the note.
    """
    card = Card.objects.select_for_update().select_related("department", "region").filter(pk=card_id).first()
    actor_id: int = getattr(actor, "pk", None) or 0
    rows = list(
        CardRecipient.objects.filter(card_id=card_id, user_id=actor_id).order_by("pk")
        if card is not None and getattr(actor, "is_authenticated", False)
        else []
    )
    if card is None or not rows:
        raise PermissionDenied("您不是该黄红牌的接收人，不能签收", code="not_a_recipient")
    pending = [row for row in rows if row.acknowledged_at is None]
    if not pending:
        raise Conflict("您已签收该黄红牌", code="already_acknowledged")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"签收说明不能超过 {NOTE_MAX} 个字", code="note_too_long")
    if card.color == CardColor.RED and not note:
        raise InvalidInput("红牌签收须说明超期原因", code="reason_required")
    now = timezone.now()
    CardRecipient.objects.filter(pk__in=[row.pk for row in pending]).update(acknowledged_at=now, note=note)
    if not CardRecipient.objects.filter(card_id=card.pk, acknowledged_at__isnull=True).exists():
        card.acknowledged_at = now
        card.save(update_fields=["acknowledged_at"])
    roles = sorted({row.role for row in pending})
    authority = authority_for(
        actor, permission="supervision.view", department_id=card.department_id, region_code=card.region_id
    )
    record_event(
        action=AuditAction.CARD_ACKNOWLEDGED,
        actor=actor,
        target=card,
        department=card.department,
        actor_role=authority.role if authority else ",".join(roles),
        actor_department=authority.department if authority else None,
        actor_region_code=authority.region_id if authority else "",
        reason="red_card_reason" if card.color == CardColor.RED else "",
        details={
            "case_id": card.case_id,
            "color": card.color,
            "kind": card.kind,
            "roles": roles,
            "note": note,
        },
    )
    return card


__all__ = [
    "BATCH_SIZE",
    "CardKind",
    "RecipientRole",
    "Rule",
    "SweepResult",
    "acknowledge",
    "check_rule",
    "default_rule",
    "may_set_rule",
    "remove_card_rule",
    "rule_for",
    "set_card_rule",
    "sweep",
    "workday_ordinals",
]
