"""我的消息 (/me/messages): the person's inbox, one message with how its SMS and email copies went, mark all
read, and their settings (channels, digest, muted topics, language)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.errors import DomainError, NotFound
from yiwang.notifications import selectors, services
from yiwang.notifications.constants import MessageTopic
from yiwang.notifications.models import Notice

from ..context import forget_unread_messages
from ..message_forms import MessageSettingsForm

PAGE_SIZE = 20


def message_row(notice: Notice) -> dict[str, Any]:
    """A message as its reader sees it: title and body in the reader's language, its topic's label."""
    title = services.render(notice.title_template, notice.context) if notice.title_template else notice.title
    body = services.render(notice.body_template, notice.context) if notice.body_template else notice.body
    topic = MessageTopic(notice.topic).label if notice.topic in MessageTopic.values else ""
    return {
        "notice": notice,
        "title": title,
        "body": body,
        "topic": topic,
        "is_unread": notice.read_at is None,
    }


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    try:
        page = selectors.list_inbox(
            user=request.user,
            unread_only=unread_only,
            cursor=request.GET.get("cursor") or None,
            limit=PAGE_SIZE,
        )
    except DomainError as error:
        flash.error(request, error.message)
        return redirect("portal:messages")
    return render(
        request,
        "portal/me/messages.html",
        {
            "rows": [message_row(notice) for notice in page.items],
            "next_cursor": page.next_cursor,
            "unread_only": unread_only,
        },
    )


@login_required
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        notice = selectors.access_message_by_id(user=request.user, message_id=message_id)
    except NotFound:
        raise Http404(_("未找到该消息")) from None
    if notice.read_at is None:
        services.mark_notices_read(notices=[notice])
        notice.read_at = timezone.now()
        forget_unread_messages(request)
    return render(
        request,
        "portal/me/messages_detail.html",
        {"row": message_row(notice), "deliveries": notice.delivery_summary},
    )


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.mark_notices_read(notices=selectors.list_unread_messages(user=request.user))
    forget_unread_messages(request)
    flash.success(request, _("已将 %(count)d 条消息标为已读") % {"count": count})
    return redirect("portal:messages")


def _initial(user: Any) -> dict[str, Any]:
    preference = services.preference_for(user)
    return {
        "sms": preference.sms,
        "email": preference.email,
        "daily_digest": preference.daily_digest,
        "muted_topics": preference.muted_topics.split(),
        "language": getattr(preference, "language", "") or get_language(),
    }


@login_required
def message_settings(request: HttpRequest) -> HttpResponse:
    form = MessageSettingsForm(
        request.POST or None,
        initial=_initial(request.user),
        staff=bool(getattr(request.user, "is_staff_member", False)),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_preferences(user=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            flash.success(request, _("消息设置已保存"))
            return redirect("portal:message_settings")
    return render(request, "portal/me/messages_settings.html", {"form": form})
