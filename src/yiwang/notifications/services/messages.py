"""Messages to people: the one notification service every domain calls (docs/notifications-people.md).

``notify`` writes the inbox entry (a ``Notice`` with a recipient) and one ``Dispatch`` per channel the
person chose (SMS, email), in the caller's transaction: if the change rolls back, no message exists and
nothing is sent. A deliverer sends the dispatches later, with retries (``deliver_dispatches``).

Titles and bodies are Chinese msgids marked with ``gettext_noop`` and formatted with ``context``, so each
reader (and each SMS/email) gets them in the person's language::

    notify(recipient=case.applicant, topic="case.supplement_requested",
           title=gettext_noop("办件 {number} 需要补正材料"), body=gettext_noop("请于 {due} 前补正。"),
           context={"number": case.number, "due": due.isoformat()}, link=f"/cases/{case.pk}")
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone, translation

from yiwang.core import sql

from ..constants import Channel, DispatchStatus, NoticeKind
from ..models import Dispatch, Notice, NotificationPreference

# What a person who never chose gets their SMS and email in (the platform's language).
DEFAULT_LANGUAGE = "zh-hans"


def render(template: str, context: Mapping[str, Any], *, language: str | None = None) -> str:
    """``template`` (a Chinese msgid) translated into ``language`` (the active one by default), formatted."""
    if not template:
        return ""
    with translation.override(language or translation.get_language()):
        text = translation.gettext(template)
    for candidate in (text, template):  # a translation that lost a placeholder: the Chinese text
        try:
            return candidate.format(**context)
        except (KeyError, IndexError, ValueError, AttributeError):
            continue
    return template  # a template whose context went missing: shown unformatted rather than not at all


def preference_for(user: Any) -> NotificationPreference:
    """The person's channel choices (defaults when they never chose)."""
    found = sql.rows(NotificationPreference, "user_id = %s", [user.pk], order_by="id", limit=1)  # ADR 0014
    return found[0] if found else NotificationPreference(user=user)


def _allowed_channels(channels: Collection[str] | None) -> frozenset[str]:
    """The channels a message may be copied to: all when ``None``; a caller's mistake raises."""
    if channels is None:
        return frozenset(Channel.values)
    if isinstance(channels, str):  # "sms" would read as the letters s, m, s
        raise TypeError("channels is a collection of Channel values, not one string")
    allowed = frozenset(channels)
    unknown = allowed - set(Channel.values)
    if unknown:
        raise ValueError(f"unknown channels: {sorted(unknown)}")
    return allowed


def notify(
    *,
    recipient: Any,
    topic: str,
    title: str,
    body: str = "",
    context: Mapping[str, Any] | None = None,
    link: str = "",
    department: Any = None,
    channels: Collection[str] | None = None,
) -> Notice:
    """Tell ``recipient`` (a user) that ``topic`` happened: inbox entry now, SMS/email per their choices.

    ``channels`` limits the copies to those channels (still only where the person chose them):
    ``()`` writes the inbox entry alone, e.g. when the domain already texted the person itself.
    """
    allowed = _allowed_channels(channels)
    values = dict(context or {})
    # The caller's transaction (one of its own when there is none); no savepoint: a failed write here
    # fails the caller's change too, which is what "in the caller's transaction" means.
    with transaction.atomic(savepoint=False):
        return _write(recipient, topic, title, body, values, link, department, allowed)


def _write(
    recipient: Any,
    topic: str,
    title: str,
    body: str,
    values: dict[str, Any],
    link: str,
    department: Any,
    allowed: frozenset[str],
) -> Notice:
    notice = Notice(
        kind=NoticeKind.MESSAGE,
        department=department,
        recipient=recipient,
        topic=topic,
        title=render(title, values, language=DEFAULT_LANGUAGE)[:200],
        body=render(body, values, language=DEFAULT_LANGUAGE),
        title_template=title[:200],
        body_template=body,
        context=values,
        link=link,
    )
    sql.insert(notice)  # its text made once (core.sql, ADR 0014): most case actions write a message
    preference = preference_for(recipient)
    if topic in set(preference.muted_topics.split()):
        return notice
    rows = []
    now = timezone.now()  # due at once: the deliverer's next pass sends it
    if preference.sms and Channel.SMS in allowed:
        phone = getattr(recipient, "phone", "") or ""
        rows.append(
            Dispatch(
                notice=notice,
                channel=Channel.SMS,
                address=phone,
                status=DispatchStatus.PENDING if phone else DispatchStatus.SKIPPED,
                next_attempt_at=now if phone else None,
            )
        )
    if preference.email and Channel.EMAIL in allowed:
        address = getattr(recipient, "email", "") or ""
        status = DispatchStatus.PENDING if address else DispatchStatus.SKIPPED
        if address and preference.daily_digest:
            status = DispatchStatus.DIGESTED
        rows.append(
            Dispatch(
                notice=notice,
                channel=Channel.EMAIL,
                address=address,
                status=status,
                next_attempt_at=now if status == DispatchStatus.PENDING else None,
            )
        )
    sql.insert_many(rows)
    return notice
