"""``notify(channels=…)``: a caller limits a message's copies; the person's own choices still decide."""

from __future__ import annotations

import pytest

from yiwang.identity.tests.factories import UserFactory
from yiwang.notifications.constants import Channel
from yiwang.notifications.models import Dispatch, Notice, NotificationPreference
from yiwang.notifications.services import notify

pytestmark = pytest.mark.django_db


def _copies(**kwargs) -> tuple[Notice, set[str]]:
    user = UserFactory(phone="13912345678", email="wang@example.cn")
    NotificationPreference.objects.create(user=user, sms=True, email=True)
    notice = notify(
        recipient=user, topic="evaluation.invited", title="请评价办件 {n}", context={"n": 1}, **kwargs
    )
    return notice, set(Dispatch.objects.filter(notice=notice).values_list("channel", flat=True))


@pytest.mark.parametrize(
    ("channels", "expected"),
    [
        (None, {Channel.SMS, Channel.EMAIL}),  # the person's choices
        ((), set()),  # the inbox alone
        ([Channel.EMAIL], {Channel.EMAIL}),
        ({Channel.INBOX, Channel.SMS}, {Channel.SMS}),
    ],
)
def test_channels_limit_the_copies_and_the_inbox_entry_is_always_written(channels, expected):
    notice, copies = _copies(channels=channels)
    assert copies == expected
    assert notice.recipient_id is not None and notice.title == "请评价办件 1"


def test_channels_do_not_add_a_copy_the_person_did_not_choose():
    user = UserFactory(phone="13912345678", email="wang@example.cn")
    NotificationPreference.objects.create(user=user, sms=False, email=False)
    notify(recipient=user, topic="evaluation.invited", title="t", channels=[Channel.SMS, Channel.EMAIL])
    assert not Dispatch.objects.exists()


@pytest.mark.parametrize("channels", ["sms", ["fax"]])
def test_a_mistaken_channels_argument_is_refused_before_anything_is_written(channels):
    with pytest.raises((TypeError, ValueError)):
        _copies(channels=channels)
    assert not Notice.objects.exists()
