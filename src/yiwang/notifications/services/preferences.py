"""A person's notification choices: SMS and email on or off, email as a daily digest, muted topics, the
language of SMS and email. The inbox always keeps everything."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import transaction

from yiwang.audit.services import record_event
from yiwang.core.errors import InvalidInput

from ..constants import AuditAction
from ..models import NotificationPreference

TOPIC = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
MAX_TOPIC_CHARS = 100
MUTED_FIELD_CHARS = 1000  # NotificationPreference.muted_topics


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name}的取值无效", code="invalid_preference")
    return value


def _check_topics(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise InvalidInput("不接收的类别应为列表", code="invalid_muted_topics")
    topics: list[str] = []
    for topic in value:
        if not isinstance(topic, str) or len(topic) > MAX_TOPIC_CHARS or not TOPIC.match(topic):
            raise InvalidInput("不接收的类别无效", code="invalid_muted_topics")
        if topic not in topics:
            topics.append(topic)
    if len(" ".join(topics)) > MUTED_FIELD_CHARS:
        raise InvalidInput("不接收的类别过多", code="invalid_muted_topics")
    return sorted(topics)


@transaction.atomic
def set_preferences(
    *,
    user: Any,
    sms: bool,
    email: bool,
    daily_digest: bool,
    muted_topics: list[str],
    language: str,
) -> NotificationPreference:
    """Save ``user``'s choices (validated; a change is audited). Only later messages follow them: copies
    already written keep their status. A daily digest needs email on."""
    if user is None or not getattr(user, "pk", None):
        raise InvalidInput("请先登录", code="login_required")
    values = {
        "sms": _check_flag(sms, "短信通知"),
        "email": _check_flag(email, "邮件通知"),
        "daily_digest": _check_flag(daily_digest, "每日汇总"),
        "muted_topics": " ".join(_check_topics(muted_topics)),
        "language": language,
    }
    if language not in languages():
        raise InvalidInput("不支持该通知语言", code="invalid_language")
    if daily_digest and not email:
        raise InvalidInput("开启每日汇总需要先开启邮件通知", code="digest_needs_email")
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    changed = {name: value for name, value in values.items() if getattr(preference, name) != value}
    if changed or _created:
        for name, value in values.items():
            setattr(preference, name, value)
        preference.save()
        record_event(
            action=AuditAction.PREFERENCES_CHANGED,
            actor=user,
            target=preference,
            details={"changed": sorted(changed), **{name: values[name] for name in sorted(changed)}},
        )
    return preference
