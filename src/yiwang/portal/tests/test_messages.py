"""我的消息: the inbox pages, the header badge and /api/v1/messages. A person reads and marks only their own
messages: another's is "not found" by page, session API, bearer token and for an administrator alike; a
token without the messages scope is refused."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_noop

from yiwang.conftest import bearer_token
from yiwang.identity.tests.factories import UserFactory
from yiwang.notifications.constants import DispatchStatus, MessageTopic
from yiwang.notifications.models import Dispatch, Notice, NotificationPreference
from yiwang.notifications.services import notify

pytestmark = pytest.mark.django_db

TITLE = gettext_noop("办件 {number} 需要补正材料")


def _message(user, number: str = "SQ-1", **extra) -> Notice:
    return notify(
        recipient=user,
        topic=MessageTopic.CASE_SUPPLEMENT_REQUESTED,
        title=TITLE,
        context={"number": number},
        link=f"/cases/mine/{number}/",
        **extra,
    )


@pytest.fixture
def people():
    return UserFactory(level3=True), UserFactory(level3=True)


def test_the_inbox_lists_newest_first_with_unread_marked(client, people):
    owner, other = people
    _message(owner, "SQ-1")
    _message(owner, "SQ-2")
    _message(other, "SQ-9")
    client.force_login(owner)
    html = client.get("/me/messages").content.decode()
    assert html.index("SQ-2") < html.index("SQ-1") and "SQ-9" not in html
    assert html.count('data-testid="message"') == 2 and "未读" in html
    assert 'data-testid="header-unread">2<' in html


def test_the_header_counts_unread_messages_with_one_query(client, people):
    owner, _other = people
    _message(owner)
    client.force_login(owner)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/").content.decode()
    assert 'data-testid="header-unread">1<' in html
    assert sum('"notifications_notice"' in query["sql"] for query in queries.captured_queries) == 1


def test_opening_a_message_marks_it_read_and_shows_each_channel(client, people):
    owner, _other = people
    NotificationPreference.objects.create(user=owner, sms=True, email=True)
    owner.email = ""
    owner.save()
    notice = _message(owner)
    Dispatch.objects.filter(notice=notice, channel="sms").update(status=DispatchStatus.DEAD)
    client.force_login(owner)
    html = client.get(f"/me/messages/{notice.pk}").content.decode()
    assert "办件 SQ-1 需要补正材料" in html and 'href="/cases/mine/SQ-1/"' in html
    assert "发送失败" in html and "未发送（无地址）" in html  # SMS gave up; no email address
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert 'data-testid="header-unread"' not in html


def test_mark_all_read_marks_only_ones_own(client, people):
    owner, other = people
    mine, theirs = _message(owner), _message(other)
    client.force_login(owner)
    assert client.post("/me/messages/read-all").status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None


@pytest.mark.parametrize("who", ["other", "admin"])
def test_another_persons_message_is_not_found_by_page(client, people, admin_user, who):
    owner, other = people
    notice = _message(owner)
    client.force_login(other if who == "other" else admin_user)
    assert client.get(f"/me/messages/{notice.pk}").status_code == 404
    assert client.get("/me/messages").content.decode().count('data-testid="message"') == 0
    notice.refresh_from_db()
    assert notice.read_at is None


def test_the_api_by_session_lists_reads_and_marks_ones_own_only(client, people):
    owner, other = people
    notice, theirs = _message(owner), _message(other)
    client.force_login(owner)
    page = client.get("/api/v1/messages?limit=1").json()
    assert [item["id"] for item in page["items"]] == [notice.pk] and page["next_cursor"] is None
    assert page["items"][0]["title"] == "办件 SQ-1 需要补正材料"
    assert page["items"][0]["topic"] == "case.supplement_requested"
    assert client.get(f"/api/v1/messages/{theirs.pk}").status_code == 404
    assert client.post(f"/api/v1/messages/{theirs.pk}/read").status_code == 404
    body = client.post(f"/api/v1/messages/{notice.pk}/read").json()
    assert body["read_at"] is not None
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_api_pages_by_cursor(client, people):
    owner, _other = people
    for number in ("SQ-1", "SQ-2", "SQ-3"):
        _message(owner, number)
    client.force_login(owner)
    first = client.get("/api/v1/messages?limit=2").json()
    second = client.get(f"/api/v1/messages?limit=2&cursor={first['next_cursor']}").json()
    titles = [item["title"] for item in first["items"] + second["items"]]
    assert titles == [f"办件 SQ-{n} 需要补正材料" for n in (3, 2, 1)] and second["next_cursor"] is None
    assert client.get("/api/v1/messages?cursor=forged").json()["error"]["code"] == "invalid_cursor"


def test_bearer_tokens_need_the_messages_scopes_and_reach_only_their_person(client, people):
    owner, other = people
    notice = _message(owner)
    read = bearer_token(owner, "messages:read", "token-read")
    assert client.get("/api/v1/messages", **read).json()["items"][0]["id"] == notice.pk
    assert client.post(f"/api/v1/messages/{notice.pk}/read", **read).status_code == 403  # no messages:write
    wrong = bearer_token(owner, "feedback:read", "token-wrong")
    assert client.get("/api/v1/messages", **wrong).json()["error"]["code"] == "insufficient_scope"
    others = bearer_token(other, "messages:read messages:write", "token-other")
    assert client.get(f"/api/v1/messages/{notice.pk}", **others).status_code == 404
    assert client.post(f"/api/v1/messages/{notice.pk}/read", **others).status_code == 404
    assert client.post("/api/v1/messages/read-all", **others).json() == {"marked": 0}
    notice.refresh_from_db()
    assert notice.read_at is None
    assert client.get("/api/v1/messages").status_code == 401


def test_settings_save_the_persons_choices_and_muted_topics_skip_sms(client, people):
    owner, _other = people
    client.force_login(owner)
    response = client.post(
        "/me/messages/settings",
        {"sms": "on", "muted_topics": [MessageTopic.CASE_SUPPLEMENT_REQUESTED], "language": "en"},
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=owner)
    assert (preference.sms, preference.email, preference.muted_topics) == (
        True,
        False,
        "case.supplement_requested",
    )
    assert not _message(owner).dispatches.exists()  # the inbox keeps it; no SMS for a muted topic
    refused = client.post("/me/messages/settings", {"daily_digest": "on", "language": "en"})
    assert refused.status_code == 200 and "邮件" in refused.content.decode()


def test_a_citizens_settings_offer_only_the_topics_a_citizen_is_sent(client, people):
    owner, _other = people
    client.force_login(owner)
    page = client.get("/me/messages/settings").content.decode()
    assert MessageTopic.CASE_SUPPLEMENT_REQUESTED.value in page
    assert MessageTopic.CARD_ISSUED.value not in page and MessageTopic.RECTIFICATION_DUE.value not in page


def test_my_space_links_to_the_messages_with_the_unread_count(client, people):
    owner, _other = people
    _message(owner)
    client.force_login(owner)
    html = client.get("/me/").content.decode()
    assert (
        'href="/me/messages" data-testid="me-link-messages"' in html and 'data-testid="me-unread">1<' in html
    )
