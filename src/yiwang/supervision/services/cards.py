"""Yellow and red cards (效能监察): the sweep that raises them, and the recipients' acknowledgments.

The sweep is set-based so it keeps up with a million open cases: the working-day calendar becomes a
temporary table ``date → working-day ordinal`` (the ordinal counts the working days up to that date), so
the working days between two dates are a subtraction and the whole check is one INSERT … SELECT … ON
CONFLICT DO NOTHING per batch of case ids, with the recipients and the audit entries inserted the same
way from the cards the batch created. The same SQL runs on SQLite and PostgreSQL (only the JSON of the
audit details differs). One card of a kind per case (per stage for an overrun): the unique constraints
make the sweep idempotent, so it may run any number of times a day.

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
from django.utils import timezone

from yiwang.applications.constants import CaseStatus, TaskState
from yiwang.applications.models import Case, CaseTask
from yiwang.audit.services import record_event, subject_hash
from yiwang.core import call_context as context
from yiwang.core.errors import Conflict, InvalidInput, PermissionDenied
from yiwang.core.workdays import load_calendar
from yiwang.identity.models import StaffAssignment, User
from yiwang.identity.selectors import list_holders_of_permission
from yiwang.notifications.services.notices import raise_notice
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
    recipients: int = 0
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
    """(kind, user, department, role, region prefix) of the people cards may reach.

    kind "staff": every active staff role (the handlers of an unclaimed stage hold its role in its
    department and region); "head": the holders of ``supervision.respond`` (department heads);
    "supervisor": the holders of ``supervision.oversee`` (region-wide).
    """
    rows: list[tuple[str, int, int, str, str]] = []
    staff = StaffAssignment.objects.filter(user__is_active=True, user__is_staff_member=True).select_related(
        "region"
    )
    for assignment in staff:
        prefix = region_prefix(code=assignment.region.code, level=assignment.region.level)
        rows.append(("staff", assignment.user_id, assignment.department_id, assignment.role, prefix))
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

# The handlers: the stage's claimant, else the staff holding its role in its department and region; a
# case card reaches the handlers of the case's open stages.
_HANDLERS = f"""
INSERT INTO supervision_cardrecipient (card_id, user_id, role, acknowledged_at, note)
SELECT kt.card_id, COALESCE(kt.claimed_by_id, st.user_id), 'handler', NULL, ''
FROM (
    SELECT k.id AS card_id, t.claimed_by_id, t.department_id, t.role, t.region_id
    FROM supervision_card k JOIN applications_casetask t ON t.id = k.task_id
    WHERE k.id > %s AND k.task_id IS NOT NULL
    UNION ALL
    SELECT k.id, t.claimed_by_id, t.department_id, t.role, t.region_id
    FROM supervision_card k JOIN applications_casetask t ON t.case_id = k.case_id AND t.state = %s
    WHERE k.id > %s AND k.task_id IS NULL
) kt
LEFT JOIN {_STAFF_TABLE} st
       ON kt.claimed_by_id IS NULL AND st.kind = 'staff' AND st.department_id = kt.department_id
          AND st.role = kt.role AND kt.region_id LIKE st.prefix || '%%'
WHERE COALESCE(kt.claimed_by_id, st.user_id) IS NOT NULL
ON CONFLICT DO NOTHING
"""  # noqa: S608 (table names are constants)

_HEADS = f"""
INSERT INTO supervision_cardrecipient (card_id, user_id, role, acknowledged_at, note)
SELECT k.id, st.user_id, 'head', NULL, ''
FROM supervision_card k
JOIN {_STAFF_TABLE} st ON st.kind = 'head' AND st.department_id = k.department_id
                      AND k.region_id LIKE st.prefix || '%%'
WHERE k.id > %s
ON CONFLICT DO NOTHING
"""  # noqa: S608 (table names are constants)

_SUPERVISORS = f"""
INSERT INTO supervision_cardrecipient (card_id, user_id, role, acknowledged_at, note)
SELECT k.id, st.user_id, 'supervisor', NULL, ''
FROM supervision_card k
JOIN {_STAFF_TABLE} st ON st.kind = 'supervisor' AND k.region_id LIKE st.prefix || '%%'
WHERE k.id > %s
ON CONFLICT DO NOTHING
"""  # noqa: S608 (table names are constants)


def _audit_details_sql() -> str:
    pairs = (
        "'case_id', k.case_id, 'task_id', k.task_id, 'color', k.color, 'kind', k.kind, "
        "'days_left', k.days_left, 'due_on', CAST(k.due_on AS varchar(10)), 'reason', k.reason"
    )
    if connection.vendor == "postgresql":
        return f"jsonb_build_object({pairs})"
    return f"json_object({pairs})"


def _audit_sql() -> str:
    """One audit entry per new card, as ``record_event`` writes it (channel task, object the card)."""
    return f"""
INSERT INTO audit_auditentry (seq, leaf_hash, occurred_at, kind, action, outcome, reason, actor_id,
    actor_role, actor_department_id, actor_region_code, system, mandate_id, on_behalf_of, object_type,
    object_id, department_id, subject_hash, subject_kind, fields, purpose, ground_kind, ground_ref, channel,
    request_id, ip_address, details)
SELECT NULL, '', %s, 'write', %s, 'allowed', '', NULL, '', NULL, '', %s, NULL, '', 'supervision.card',
    CAST(k.id AS varchar(20)), k.department_id, %s, '', '[]', %s, '', '', %s, %s, NULL, {_audit_details_sql()}
FROM supervision_card k
WHERE k.id > %s
"""  # noqa: S608 (table names are constants)


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
    recipients = 0
    cursor.execute(_HANDLERS, [before, TaskState.READY.value, before])
    recipients += max(cursor.rowcount, 0)
    cursor.execute(_HEADS, [before])
    recipients += max(cursor.rowcount, 0)
    cursor.execute(_SUPERVISORS, [before])
    recipients += max(cursor.rowcount, 0)
    call = context.current()
    cursor.execute(
        _audit_sql(),
        [
            now,
            AuditAction.CARD_RAISED.value,
            call.system,
            subject_hash(""),
            "效能监察",
            call.channel,
            call.request_id,
            before,
        ],
    )
    return cards, recipients


def sweep(*, today: dt.date | None = None, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Check every running case and open stage against its working-day limits and raise the cards due.

    Idempotent; each batch of case ids is one transaction (cards, recipients and audit entries together);
    at the end each recipient of new cards gets one in-app notice.
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
        result.notices = _notify(start=start)
        cursor.execute(f"DROP TABLE IF EXISTS {_WORKDAY_TABLE}")
        cursor.execute(f"DROP TABLE IF EXISTS {_STAFF_TABLE}")
    return result


@transaction.atomic
def _notify(*, start: int) -> int:
    """One in-app notice per recipient of the cards raised since ``start`` (in their first department)."""
    rows = list(
        CardRecipient.objects.filter(card_id__gt=start)
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
    for row in rows:
        raise_notice(
            department=departments[row["department_id"]],
            recipient=users[row["user_id"]],
            title=f"您有 {row['cards']} 张新的黄红牌待签收（其中红牌 {row['red']} 张）",
            body="请到“效能监察 · 我的黄红牌”查看并签收。",
        )
    return len(rows)


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
    "default_rule",
    "rule_for",
    "sweep",
    "workday_ordinals",
]
