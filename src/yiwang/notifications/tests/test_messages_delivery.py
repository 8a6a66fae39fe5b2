"""Messages to people leave by SMS and email: retried with backoff, final status visible, never sent twice,
rendered in the person's language, email gathered into one daily digest; the person's choices validated."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.conftest import login_with_second_factor
from yiwang.core.errors import InvalidInput
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory
from yiwang.notifications.constants import AuditAction, Channel, DispatchStatus
from yiwang.notifications.models import Digest, Dispatch, NotificationPreference
from yiwang.notifications.services import (
    collect_digests,
    deliver_digests,
    deliver_dispatches,
    notify,
    set_preferences,
)
from yiwang.notifications.sms import sms_backends
from yiwang.notifications.sms.backends import outbox
from yiwang.notifications.tasks import deliver_messages_until_idle

pytestmark = pytest.mark.django_db
TITLE = "办件 {number} 需要补正材料"


@pytest.fixture
def flaky(settings):
    settings.NOTIFICATIONS_SMS_BACKEND = "flaky"
    backend = sms_backends.get("flaky")
    backend.failures = 0
    backend.sent.clear()
    return backend


def _person(**preferences):
    user = UserFactory(phone="13912345678", email="wang@example.cn")
    if preferences:
        NotificationPreference.objects.create(user=user, **preferences)
    return user


def _notify(user, **kwargs):
    values = {"topic": "case.supplement_requested", "title": TITLE, "context": {"number": "A-1"}}
    return notify(recipient=user, **{**values, **kwargs})


def test_a_failing_provider_is_retried_with_backoff_then_sent_and_the_person_sees_it(settings, flaky):
    settings.NOTIFICATIONS_MESSAGE_BACKOFF_BASE = 60
    flaky.failures = 2
    notice = _notify(_person())
    now = timezone.now()
    assert deliver_dispatches(now=now).retrying == 1
    dispatch = Dispatch.objects.get()
    assert dispatch.status == DispatchStatus.FAILED and dispatch.attempts == 1
    assert 30 <= (dispatch.next_attempt_at - now).total_seconds() <= 60  # jittered in [base/2, base]
    assert deliver_dispatches(now=now).claimed == 0  # not due before its backoff ends
    later = dispatch.next_attempt_at + dt.timedelta(seconds=1)
    assert deliver_dispatches(now=later).retrying == 1
    dispatch.refresh_from_db()
    assert 60 <= (dispatch.next_attempt_at - later).total_seconds() <= 120  # doubled
    assert deliver_dispatches(now=dispatch.next_attempt_at).sent == 1
    dispatch.refresh_from_db()
    assert (dispatch.status, dispatch.attempts, dispatch.last_error) == (DispatchStatus.SENT, 3, "")
    assert [row["message"] for row in flaky.sent] == ["【一网通办】办件 A-1 需要补正材料"]
    [summary] = notice.delivery_summary
    assert summary["channel"] == Channel.SMS and summary["status"] == DispatchStatus.SENT and summary["final"]


def test_a_provider_that_never_answers_ends_dead_audited_and_visible_in_the_admin(settings, client):
    settings.NOTIFICATIONS_SMS_BACKEND = "failing"
    settings.NOTIFICATIONS_MESSAGE_MAX_ATTEMPTS = 3
    department = DepartmentFactory()
    notice = _notify(_person(), department=department)
    moment = timezone.now()
    for _try in range(3):
        deliver_dispatches(now=moment)
        moment = Dispatch.objects.get().next_attempt_at or moment
    dispatch = Dispatch.objects.get()
    assert (dispatch.status, dispatch.attempts) == (DispatchStatus.DEAD, 3)
    assert "SmsError" in dispatch.last_error
    assert deliver_dispatches(now=moment + dt.timedelta(days=1)).claimed == 0
    entry = AuditEntry.objects.get(action=AuditAction.MESSAGE_DEAD)
    assert entry.department == department and entry.details["attempts"] == 3
    assert notice.delivery_summary[0]["status_label"] == "发送失败"
    assignment = StaffAssignmentFactory(department=department, role=StaffRole.DATA_ADMIN, user__is_staff=True)
    login_with_second_factor(client, assignment.user)
    page = client.get(reverse("admin:notifications_dispatch_changelist")).content.decode()
    assert "case.supplement_requested" in page and "139****5678" in page and "13912345678" not in page
    other = StaffAssignmentFactory(role=StaffRole.DATA_ADMIN, user__is_staff=True)
    client.logout()
    login_with_second_factor(client, other.user)
    assert (
        "case.supplement_requested"
        not in client.get(reverse("admin:notifications_dispatch_changelist")).content.decode()
    )


def test_two_deliverers_in_a_row_send_each_copy_once(flaky):
    for _n in range(3):
        _notify(_person(email=True))
    now = timezone.now()
    first, second = deliver_dispatches(now=now), deliver_dispatches(now=now)
    assert (first.sent, second.claimed) == (6, 0)
    assert len(flaky.sent) == 3 and len(mail.outbox) == 3
    assert set(Dispatch.objects.values_list("status", "attempts")) == {(DispatchStatus.SENT, 1)}


def test_a_lost_lease_cannot_overwrite_what_the_next_worker_recorded(flaky):
    _notify(_person())
    from yiwang.notifications.services import dispatching

    dispatch = Dispatch.objects.get()
    Dispatch.objects.update(status=DispatchStatus.SENT, attempts=2)  # the next worker already sent it
    assert not dispatching._mark_sent(Dispatch, row_id=dispatch.id, attempts=1)
    assert (
        dispatching._mark_failed(Dispatch, row_id=dispatch.id, attempts=1, error="late", now=timezone.now())
        == ""
    )
    assert Dispatch.objects.get().status == DispatchStatus.SENT


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliverers_on_postgresql_send_each_copy_once(flaky):
    people = [_person() for _ in range(30)]
    for person in people:
        _notify(person)
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def deliverer() -> None:
        try:
            start.wait()
            while deliver_dispatches(limit=4).claimed:
                pass
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliverer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    references = [row["reference"] for row in flaky.sent]
    assert len(references) == len(set(references)) == 30
    assert set(Dispatch.objects.values_list("status", "attempts")) == {(DispatchStatus.SENT, 1)}


def test_sms_and_email_are_rendered_in_the_persons_language():
    english = _person(email=True, language="en")
    chinese = _person(email=True)
    for person in (english, chinese):
        notify(
            recipient=person, topic="license.issued", title="电子证照", body="我的空间", link="/me/licenses/"
        )
    outbox.clear()
    deliver_messages_until_idle()
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == ["Electronic licenses", "电子证照"]
    english_mail = next(message for message in mail.outbox if message.subject == "Electronic licenses")
    assert english_mail.body.startswith("My space") and "http" in english_mail.body
    messages = sorted(row["message"] for row in outbox)
    assert messages[0].startswith("【一网通办】Electronic licenses My space ")
    assert messages[1].startswith("【一网通办】电子证照 我的空间 ")
    assert all(message.endswith("/me/licenses/") for message in messages)


def test_a_broken_template_is_sent_as_written_rather_than_not_at_all():
    notice = notify(recipient=_person(), topic="x.y", title="缺少参数 {missing}", context={})
    assert notice.title == "缺少参数 {missing}"


def test_digested_email_goes_out_once_a_day_in_one_message(settings):
    settings.NOTIFICATIONS_DIGEST_HOUR = 8
    person = _person(email=True, daily_digest=True, sms=False)
    for number in ("A-1", "A-2", "A-3"):
        _notify(person, context={"number": number}, link="/me/")
    assert set(Dispatch.objects.values_list("status", flat=True)) == {DispatchStatus.DIGESTED}
    early = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(7, 0)))
    assert collect_digests(now=early) == 0
    morning = timezone.now() + dt.timedelta(minutes=1)
    if timezone.localtime(morning).hour < 8:
        morning = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(9, 0)))
    assert collect_digests(now=morning) == 1
    assert collect_digests(now=morning) == 0  # twice on the same day: nothing more
    assert deliver_digests(now=morning).sent == 1 and deliver_digests(now=morning).claimed == 0
    [message] = mail.outbox
    assert "每日消息汇总" in message.subject and all(f"A-{n}" in message.body for n in (1, 2, 3))
    assert Digest.objects.get().status == DispatchStatus.SENT
    _notify(person, context={"number": "A-4"})  # after today's digest: tomorrow's
    assert collect_digests(now=morning + dt.timedelta(hours=1)) == 0
    assert collect_digests(now=morning + dt.timedelta(days=1)) == 1
    assert Digest.objects.count() == 2 and Dispatch.objects.filter(digest__isnull=True).count() == 0


def test_preferences_are_validated_saved_and_audited():
    user = UserFactory()
    saved = set_preferences(
        user=user,
        sms=False,
        email=True,
        daily_digest=True,
        muted_topics=["card.issued", "card.issued"],
        language="en",
    )
    assert (saved.sms, saved.daily_digest, saved.muted_topics, saved.language) == (
        False,
        True,
        "card.issued",
        "en",
    )
    assert AuditEntry.objects.filter(action=AuditAction.PREFERENCES_CHANGED, actor=user).count() == 1
    set_preferences(
        user=user, sms=False, email=True, daily_digest=True, muted_topics=["card.issued"], language="en"
    )
    assert (
        AuditEntry.objects.filter(action=AuditAction.PREFERENCES_CHANGED).count() == 1
    )  # no change, no entry
    for bad in (
        {"language": "fr"},
        {"daily_digest": True, "email": False},
        {"muted_topics": ["Not A Topic"]},
        {"muted_topics": "card.issued"},
        {"sms": "yes"},
    ):
        values = {
            "sms": True,
            "email": True,
            "daily_digest": False,
            "muted_topics": [],
            "language": "zh-hans",
        }
        with pytest.raises(InvalidInput):
            set_preferences(user=user, **{**values, **bad})
    notify(recipient=user, topic="card.issued", title="红黄牌")
    assert not Dispatch.objects.exists()  # muted: inbox only


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sms=st.one_of(st.booleans(), st.none(), st.integers(), st.text(max_size=3)),
    email=st.booleans(),
    digest=st.booleans(),
    topics=st.one_of(
        st.lists(
            st.one_of(st.text(max_size=30), st.sampled_from(["case.accepted", "card.issued"])), max_size=5
        ),
        st.text(max_size=10),
        st.none(),
    ),
    language=st.one_of(st.sampled_from(["zh-hans", "en"]), st.text(max_size=8)),
)
def test_any_preference_input_is_saved_valid_or_refused_with_invalid_input(
    sms, email, digest, topics, language
):
    user = UserFactory()
    try:
        saved = set_preferences(
            user=user, sms=sms, email=email, daily_digest=digest, muted_topics=topics, language=language
        )
    except InvalidInput as error:
        assert error.code and not NotificationPreference.objects.filter(user=user).exists()
        return
    saved.refresh_from_db()
    assert isinstance(sms, bool) and saved.language in {"zh-hans", "en"}
    assert not saved.daily_digest or saved.email
    assert set(saved.muted_topics.split()) == set(topics)


def test_the_deliverer_beside_the_web_server_and_the_task_send_messages_too(settings):
    from django.core.management import call_command

    from yiwang.notifications.tasks import deliver_messages

    _notify(_person(email=True))
    outbox.clear()
    printed = io.StringIO()
    call_command("deliver_webhooks", stdout=printed)
    assert "messages sent 2" in printed.getvalue()
    assert len(outbox) == 1 and len(mail.outbox) == 1
    _notify(_person())
    result = deliver_messages.enqueue()  # the immediate backend in tests: runs now, cannot defer
    assert result.return_value["sent"] == 1 and result.return_value["scheduled"] is False
