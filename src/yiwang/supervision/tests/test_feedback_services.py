"""投诉、咨询、建议: routing, expected dates, transfer, reopen, reminders, publication and the FAQ."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.applications.services.numbers import query_code_matches
from yiwang.audit.models import AuditEntry
from yiwang.catalog.models import FAQ
from yiwang.core.errors import Conflict, InvalidInput, PermissionDenied
from yiwang.identity.constants import PhoneCodePurpose
from yiwang.identity.services import send_phone_code
from yiwang.notifications.models import Notice
from yiwang.notifications.sms import backends as sms
from yiwang.supervision.constants import (
    AuditAction,
    FaqOfferStatus,
    FeedbackEventKind,
    FeedbackKind,
    FeedbackStatus,
)
from yiwang.supervision.models import FeedbackEvent
from yiwang.supervision.selectors import feedback as selectors
from yiwang.supervision.services import feedback as services

from .feedback_world import file, make_world, set_today

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2026, 9, 21)  # 中秋 25–27 September, 国庆 1–7 October 2026


@pytest.fixture
def world():
    return make_world()


def test_a_complaint_about_an_item_goes_to_its_implementing_department_due_in_five_working_days(
    world, monkeypatch
):
    set_today(monkeypatch, MONDAY)
    filing = file(world)
    feedback = filing.feedback
    assert filing.created and filing.query_code
    assert feedback.department == world.department
    assert feedback.expected_on == dt.date(2026, 9, 29)  # Tue–Thu, 中秋 Fri 25, then Mon 28, Tue 29
    assert services.is_valid_number(feedback.number) and feedback.number.startswith(
        world.department.region_id + "20260921"
    )
    assert query_code_matches(code=filing.query_code, code_hash=feedback.query_code_hash)
    kinds = list(feedback.events.values_list("kind", flat=True))
    assert kinds == [FeedbackEventKind.FILED, FeedbackEventKind.ROUTED]
    assert AuditEntry.objects.filter(action=AuditAction.FEEDBACK_FILED, object_id=str(feedback.pk)).exists()


def test_filing_twice_with_one_key_gives_the_first_filing(world):
    first = file(world, idempotency_key="k-1")
    again = file(world, idempotency_key="k-1")
    assert again.feedback.pk == first.feedback.pk and not again.created and again.query_code is None


def test_numbers_of_one_region_and_day_count_up(world):
    numbers = [file(world).feedback.number for _ in range(3)]
    assert [int(n[20:25]) for n in numbers] == [1, 2, 3]


def test_anonymous_filing_needs_the_phone_verified_by_sms(world):
    with pytest.raises(InvalidInput) as refused:
        file(world, actor=None, phone="")
    assert refused.value.code == "phone_required"
    with pytest.raises(InvalidInput) as refused:
        file(world, actor=None, phone="13700000001", phone_code="000000")
    assert refused.value.code in {"code_missing", "code_mismatch"}
    send_phone_code(phone="13700000001", purpose=PhoneCodePurpose.VERIFY_PHONE)
    code = sms.outbox[-1]["message"].split("验证码为")[1][:6]
    filing = file(world, actor=None, phone="13700000001", phone_code=code)
    assert filing.created and filing.feedback.citizen is None and filing.feedback.phone == "13700000001"


def test_a_case_complaint_goes_to_the_case_department(world):
    from yiwang.applications.tests.factories import CaseFactory

    case = CaseFactory(applicant=world.filer, implementation=world.implementation)
    filing = file(world, subject="case", case_number=case.number, item_code="")
    assert filing.feedback.case == case and filing.feedback.department == case.department
    from yiwang.core.errors import NotFound

    with pytest.raises(NotFound):
        file(world, actor="other_citizen", subject="case", case_number=case.number, item_code="")


def test_a_department_complaint_without_a_department_goes_to_the_service_office(world):
    from yiwang.catalog.tests.factories import DepartmentFactory

    office = DepartmentFactory(name="广安市广安区政务服务和大数据管理局")
    filing = file(world, subject="department", item_code="")
    assert filing.feedback.department == office


def test_transfer_records_from_to_reason_and_a_new_date_visible_to_the_filer(world, monkeypatch):
    set_today(monkeypatch, MONDAY)
    feedback = file(world).feedback
    set_today(monkeypatch, dt.date(2026, 9, 22))
    with pytest.raises(PermissionDenied):
        services.transfer_feedback(
            actor=world.handler,
            feedback=feedback,
            to_department=world.other_department,
            reason="不是本部门职责",
        )
    with pytest.raises(InvalidInput):
        services.transfer_feedback(
            actor=world.head, feedback=feedback, to_department=world.other_department, reason="  "
        )
    feedback = services.transfer_feedback(
        actor=world.head, feedback=feedback, to_department=world.other_department, reason="属于市场监管职责"
    )
    assert feedback.department == world.other_department
    assert feedback.expected_on == dt.date(2026, 9, 30)
    event = FeedbackEvent.objects.get(feedback=feedback, kind=FeedbackEventKind.TRANSFERRED)
    assert (event.from_department, event.to_department, event.text, event.expected_on) == (
        world.department,
        world.other_department,
        "属于市场监管职责",
        dt.date(2026, 9, 30),
    )
    assert event in selectors.public_events(feedback)
    assert Notice.objects.filter(department=world.other_department, title__contains="转办").exists()
    # the old department's head no longer acts on it; the new one's does
    with pytest.raises(PermissionDenied):
        services.answer_feedback(actor=world.head, feedback=feedback, answer="好的")
    services.answer_feedback(actor=world.other_head, feedback=feedback, answer="已督促")


def test_a_supervisor_of_the_region_may_transfer_one_of_another_region_may_not(world):
    feedback = file(world).feedback
    with pytest.raises(PermissionDenied):
        services.transfer_feedback(
            actor=world.far_supervisor, feedback=feedback, to_department=world.other_department, reason="职责"
        )
    services.transfer_feedback(
        actor=world.supervisor, feedback=feedback, to_department=world.other_department, reason="职责"
    )


def test_a_reopened_complaint_returns_to_the_department_with_a_new_date(world, monkeypatch):
    set_today(monkeypatch, MONDAY)
    feedback = file(world).feedback
    services.answer_feedback(actor=world.head, feedback=feedback, answer="已加派窗口人员")
    set_today(monkeypatch, dt.date(2026, 9, 24))
    feedback = services.reopen_feedback(actor=world.filer, feedback=feedback, reason="还是要排队三小时")
    assert feedback.status == FeedbackStatus.REOPENED and feedback.reopen_count == 1
    assert feedback.department == world.department
    assert feedback.expected_on == dt.date(2026, 10, 9)  # Thu 24: 28, 29, 30, then 国庆, 8, 9
    event = FeedbackEvent.objects.get(feedback=feedback, kind=FeedbackEventKind.REOPENED)
    assert event.to_department == world.department and event.expected_on == feedback.expected_on
    assert Notice.objects.filter(department=world.department, title__contains="重新办理").exists()
    assert feedback.pk in [f.pk for f in selectors.list_department_queue(actor=world.head).items]
    with pytest.raises(Conflict):
        services.accept_answer(actor=world.filer, feedback=feedback)
    services.answer_feedback(actor=world.head, feedback=feedback, answer="已设立专窗")
    feedback = services.accept_answer(actor=world.filer, feedback=feedback)
    assert feedback.status == FeedbackStatus.CLOSED and feedback.closed_at


def test_late_feedback_is_reminded_once_a_working_day(world, monkeypatch):
    set_today(monkeypatch, MONDAY)
    feedback = file(world).feedback  # expected 29 September
    assert services.remind_late_feedback(today=dt.date(2026, 9, 29)) == 0  # due today: not late
    set_today(monkeypatch, dt.date(2026, 9, 30))
    assert services.remind_late_feedback() == 1
    assert services.remind_late_feedback() == 0  # the same day again: nothing
    notices = Notice.objects.filter(recipient=world.head, title__contains="超期")
    assert notices.count() == 1 and notices.get().department == world.department
    assert not Notice.objects.filter(recipient=world.handler, title__contains="超期").exists()
    set_today(monkeypatch, dt.date(2026, 10, 3))  # 国庆: no reminders on a rest day
    assert services.remind_late_feedback() == 0
    set_today(monkeypatch, dt.date(2026, 10, 8))
    assert services.remind_late_feedback() == 1
    reminded = FeedbackEvent.objects.filter(feedback=feedback, kind=FeedbackEventKind.REMINDED)
    assert reminded.count() == 2 and not reminded.filter(is_public=True).exists()
    assert AuditEntry.objects.filter(action=AuditAction.FEEDBACK_REMINDED).count() == 2


def test_the_reminder_task_runs_the_reminders(world, monkeypatch):
    from yiwang.supervision.tasks.feedback import remind_late_feedback

    set_today(monkeypatch, MONDAY)
    file(world)
    set_today(monkeypatch, dt.date(2026, 10, 8))
    result = remind_late_feedback.call()
    assert result["reminded"] == 1


def _answered_consultation(world, **overrides):
    feedback = file(
        world,
        kind=FeedbackKind.CONSULTATION,
        publish_allowed=True,
        contact_name="李四海",
        title="李四海问：外地户口能办吗",
        **overrides,
    ).feedback
    return services.answer_feedback(
        actor=world.head,
        feedback=feedback,
        answer="李四海您好：可以办理。如有疑问请致电 0826-2601301 或 13800001111，"
        "证件 51010219900101123X 无需提供。",
    )


def test_publishing_anonymizes_names_id_numbers_and_phones(world):
    feedback = services.publish_answer(actor=world.head, feedback=_answered_consultation(world))
    published = feedback.published_question + feedback.published_answer
    for secret in (
        "李四海",
        "510102199001011234",
        "13912345678",
        "13800001111",
        "51010219900101123X",
        "2601301",
    ):
        assert secret not in published
    assert "李**" in published and "139****5678" in published and feedback.published_at
    answers = selectors.list_published_answers(item_id=world.implementation.item_id)
    assert [a.pk for a in answers] == [feedback.pk]


def test_only_allowed_consultations_are_published_by_the_department(world):
    feedback = file(world, kind=FeedbackKind.CONSULTATION, publish_allowed=False).feedback
    services.answer_feedback(actor=world.head, feedback=feedback, answer="可以")
    with pytest.raises(Conflict):
        services.publish_answer(actor=world.head, feedback=feedback)
    allowed = _answered_consultation(world)
    with pytest.raises(PermissionDenied):
        services.publish_answer(actor=world.supervisor, feedback=allowed)
    complaint = file(world).feedback
    services.answer_feedback(actor=world.head, feedback=complaint, answer="已处理")
    with pytest.raises(Conflict):
        services.publish_answer(actor=world.head, feedback=complaint)


def test_an_accepted_faq_offer_appears_in_the_guide_faq(world, client):
    feedback = services.publish_answer(actor=world.head, feedback=_answered_consultation(world))
    offer = services.offer_to_faq(actor=world.head, feedback=feedback)
    assert Notice.objects.filter(
        department=world.department, recipient=None, title__contains="常见问题"
    ).exists()
    assert [o.pk for o in selectors.list_pending_faq_offers(actor=world.editor)] == [offer.pk]
    assert selectors.list_pending_faq_offers(actor=world.head) == []
    with pytest.raises(PermissionDenied):
        services.decide_faq_offer(actor=world.head, offer=offer, accept=True)
    offer = services.decide_faq_offer(actor=world.editor, offer=offer, accept=True)
    assert offer.status == FaqOfferStatus.ACCEPTED
    faq = FAQ.objects.get(implementation=world.implementation)
    assert faq.question == feedback.published_question[:300] and "李四海" not in faq.answer
    with pytest.raises(Conflict):
        services.decide_faq_offer(actor=world.editor, offer=offer, accept=False)


def test_topic_counts_by_kind_and_item_or_department(world):
    file(world)
    file(world)
    file(world, kind=FeedbackKind.SUGGESTION)
    rows = selectors.count_feedback_by_topic(scope=None, group_by="item")
    assert [(r.kind, r.key, r.count) for r in rows] == [
        ("complaint", world.implementation.item.code, 2),
        ("suggestion", world.implementation.item.code, 1),
    ]
    scoped = selectors.count_feedback_by_topic(
        scope=selectors.staff_scope(world.far_head), group_by="department"
    )
    assert scoped == []
