"""Sending messages to people: claim due SMS/email copies (``Dispatch``) and daily digests, send each in the
person's language through its channel, record how it went (docs/notifications-people.md).

The claim is the webhooks' (``leasing.claim``: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, a lease
so a crashed worker's rows come back). Each outcome is written as soon as the channel answers, by a
conditional UPDATE that only matches the row in the state this worker claimed it in (due status, same
attempt number): a worker whose lease ran out cannot overwrite what the next one recorded, and a sent row
is never due again. No send is started after the lease's last safe moment (one send timeout before it
ends), so a slow provider cannot make two workers hold the same row. What remains is the crash between a
provider's acceptance and the UPDATE: the row goes again after its lease, with the same ``reference``
(``dispatch-<id>``) a provider that deduplicates by client reference drops.

Failures back off (``backoff.message_retry_delay``) and end ``dead`` after
``NOTIFICATIONS_MESSAGE_MAX_ATTEMPTS`` tries, audited. The status is the person's to see
(``Notice.delivery_summary``) and the department's in the admin.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_noop

from yiwang.audit.services import record_event

from .. import backoff
from ..channels import channel_senders
from ..constants import DUE_DISPATCH_STATUSES, AuditAction, Channel, DispatchStatus
from ..models import Digest, Dispatch, Notice, NotificationPreference
from . import leasing
from .messages import DEFAULT_LANGUAGE, render

LINK_LINE = gettext_noop("查看详情：{link}")
DIGEST_SUBJECT = gettext_noop("一网通办每日消息汇总（{day}）")
DIGEST_INTRO = gettext_noop("您好，以下是您 {day} 的 {count} 条消息：")
DIGEST_OUTRO = gettext_noop("全部消息请登录一网通办“我的空间”查看。")


@dataclass
class DispatchRun:
    """What one pass did: copies claimed, sent, to be retried, given up (dead)."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0

    def add(self, other: DispatchRun) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retrying += other.retrying
        self.dead += other.dead


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "NOTIFICATIONS_MESSAGE_LEASE", 60)))


def _deadline() -> float:
    timeout = float(getattr(settings, "NOTIFICATIONS_MESSAGE_SEND_TIMEOUT", 10))
    return leasing.sending_deadline(lease=_lease(), timeout=timeout)


def _link(path: str) -> str:
    if path.startswith("/"):
        return f"{settings.SITE_URL}{path}"
    return path


def rendered(notice: Notice, *, language: str) -> tuple[str, str]:
    """The message's subject and text in ``language`` (a notice written without templates: as stored)."""
    context = notice.context or {}
    subject = render(notice.title_template, context, language=language) if notice.title_template else ""
    text = render(notice.body_template, context, language=language) if notice.body_template else ""
    return subject or notice.title, text or notice.body


def _link_line(notice: Notice, *, language: str) -> str:
    return render(LINK_LINE, {"link": _link(notice.link)}, language=language) if notice.link else ""


def _languages(user_ids: set[int]) -> dict[int, str]:
    return dict(
        NotificationPreference.objects.filter(user_id__in=user_ids).values_list("user_id", "language")
    )


def _mark_sent(model: type[Model], *, row_id: int, attempts: int) -> bool:
    """sent, only if the row is still as this worker claimed it (not re-claimed after a lost lease)."""
    return bool(
        model._default_manager.filter(id=row_id, status__in=DUE_DISPATCH_STATUSES, attempts=attempts).update(
            status=DispatchStatus.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
        )
    )


def _mark_failed(model: type[Model], *, row_id: int, attempts: int, error: str, now: dt.datetime) -> str:
    """failed (due again after the backoff) or dead (after the last try); '' if the row moved on."""
    if attempts >= backoff.message_max_attempts():
        status, next_attempt_at = DispatchStatus.DEAD, None
    else:
        status = DispatchStatus.FAILED
        next_attempt_at = now + dt.timedelta(seconds=backoff.message_retry_delay(attempts))
    with transaction.atomic():
        changed = model._default_manager.filter(
            id=row_id, status__in=DUE_DISPATCH_STATUSES, attempts=attempts
        ).update(status=status, next_attempt_at=next_attempt_at, last_error=error[:500])
        if changed and status == DispatchStatus.DEAD:
            _audit_dead(model, row_id=row_id)
    return status if changed else ""


def _audit_dead(model: type[Model], *, row_id: int) -> None:
    row: Any = model._default_manager.get(id=row_id)
    if isinstance(row, Dispatch):
        notice = row.notice
        department, topic, user = notice.department, notice.topic, notice.recipient
    else:
        department, topic, user = None, "digest", row.recipient
    record_event(
        action=AuditAction.MESSAGE_DEAD,
        target=row,
        department=department,
        details={
            "channel": getattr(row, "channel", Channel.EMAIL),
            "topic": topic,
            "recipient_id": getattr(user, "pk", None),
            "attempts": row.attempts,
            "last_error": row.last_error,
        },
    )


def _send(channel: str, *, address: str, subject: str, text: str, link: str = "", reference: str) -> str:
    """'' when the channel took it, else why not (a sender's exception never wedges the batch)."""
    try:
        channel_senders.get(channel).send(
            address=address, subject=subject, text=text, link=link, reference=reference
        )
    except Exception as error:
        return f"{type(error).__name__}: {error}"[:500]
    return ""


def _record(model: type[Model], run: DispatchRun, *, row_id: int, attempts: int, error: str, now) -> None:
    if not error:
        run.sent += _mark_sent(model, row_id=row_id, attempts=attempts)
        return
    status = _mark_failed(model, row_id=row_id, attempts=attempts, error=error, now=now)
    run.retrying += status == DispatchStatus.FAILED
    run.dead += status == DispatchStatus.DEAD


def deliver_dispatches(*, limit: int = 100, now: dt.datetime | None = None) -> DispatchRun:
    """Claim up to ``limit`` due SMS/email copies and send each once (safe to run in several workers)."""
    now = now or timezone.now()
    due = Dispatch.objects.filter(status__in=DUE_DISPATCH_STATUSES, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )
    ids = leasing.claim(due, limit=limit, now=now, lease=_lease())
    run = DispatchRun(claimed=len(ids))
    if not ids:
        return run
    rows = list(Dispatch.objects.select_related("notice").filter(id__in=ids).order_by("id"))
    languages = _languages({row.notice.recipient_id for row in rows if row.notice.recipient_id})
    deadline = _deadline()
    for position, row in enumerate(rows):
        if time.monotonic() > deadline:  # a slow provider: the rest go back, untried
            leasing.release(Dispatch, [later.id for later in rows[position:]])
            run.claimed = position
            break
        language = languages.get(row.notice.recipient_id or 0, DEFAULT_LANGUAGE)
        subject, text = rendered(row.notice, language=language)
        error = _send(
            row.channel,
            address=row.address,
            subject=subject,
            text=text,
            link=_link_line(row.notice, language=language),
            reference=f"dispatch-{row.id}",
        )
        _record(Dispatch, run, row_id=row.id, attempts=row.attempts, error=error, now=now)
    return run


# --- The daily digest ----------------------------------------------------------------------------------


def _digest_hour() -> int:
    return int(getattr(settings, "NOTIFICATIONS_DIGEST_HOUR", 8))


def collect_digests(*, now: dt.datetime | None = None) -> int:
    """Gather each person's waiting digest emails (status digested, not yet in a digest) into today's
    ``Digest``, once the local hour reaches ``NOTIFICATIONS_DIGEST_HOUR``. At most one digest per person and
    day (a unique row): a second run, or a second worker, collects nothing twice; messages arriving after
    today's digest wait for tomorrow's. Returns the digests made."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < _digest_hour():
        return 0
    waiting = Dispatch.objects.filter(
        channel=Channel.EMAIL, status=DispatchStatus.DIGESTED, digest__isnull=True, created_at__lte=now
    )
    made = 0
    for user_id in sorted(set(waiting.values_list("notice__recipient_id", flat=True)) - {None}):
        with transaction.atomic():
            mine = waiting.filter(notice__recipient_id=user_id)
            address = mine.order_by("-id").values_list("address", flat=True).first()
            if not address:
                continue
            digest, created = Digest.objects.get_or_create(
                recipient_id=user_id,
                day=local.date(),
                defaults={"address": address, "next_attempt_at": now},
            )
            if not created:
                continue
            Dispatch.objects.filter(id__in=list(mine.values_list("id", flat=True))).update(digest=digest)
            made += 1
    return made


def digest_text(digest: Digest, *, language: str) -> tuple[str, str]:
    """The digest email's subject and text in ``language``: every message's title, text and link."""
    notices = [
        dispatch.notice
        for dispatch in digest.dispatches.select_related("notice").order_by("notice__created_at", "id")
    ]
    day = digest.day.isoformat()
    lines = [render(DIGEST_INTRO, {"day": day, "count": len(notices)}, language=language), ""]
    for notice in notices:
        title, text = rendered(notice, language=language)
        lines.append(f"· {title}")
        if text:
            lines.append(f"  {text}")
        if notice.link:
            lines.append(f"  {_link(notice.link)}")
    lines += ["", render(DIGEST_OUTRO, {}, language=language)]
    return render(DIGEST_SUBJECT, {"day": day}, language=language), "\n".join(lines)


def deliver_digests(*, limit: int = 100, now: dt.datetime | None = None) -> DispatchRun:
    """Claim up to ``limit`` due digests and send each once, as ``deliver_dispatches`` does copies."""
    now = now or timezone.now()
    due = Digest.objects.filter(status__in=DUE_DISPATCH_STATUSES, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )
    ids = leasing.claim(due, limit=limit, now=now, lease=_lease())
    run = DispatchRun(claimed=len(ids))
    if not ids:
        return run
    rows = list(Digest.objects.filter(id__in=ids).order_by("id"))
    languages = _languages({row.recipient_id for row in rows})
    deadline = _deadline()
    for position, row in enumerate(rows):
        if time.monotonic() > deadline:
            leasing.release(Digest, [later.id for later in rows[position:]])
            run.claimed = position
            break
        subject, text = digest_text(row, language=languages.get(row.recipient_id, DEFAULT_LANGUAGE))
        error = _send(
            Channel.EMAIL, address=row.address, subject=subject, text=text, reference=f"digest-{row.id}"
        )
        _record(Digest, run, row_id=row.id, attempts=row.attempts, error=error, now=now)
    return run
