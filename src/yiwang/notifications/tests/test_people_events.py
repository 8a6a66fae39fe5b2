"""Every event the earlier issues raise for a person reaches their inbox through ``notify``, linked to where
they act: a case's submission, acceptance and supplement request; a license issued and revoked; a card
to the staff it names; a rectification due to the department head; a complaint answered; a suspicious read
of one's data and the answer to one's report about it."""

from __future__ import annotations

import datetime as dt

import pytest

from yiwang.applications.services import cases
from yiwang.applications.tests.cases_world import make_world, submit
from yiwang.audit.constants import GroundKind, ReportStatus
from yiwang.audit.scope import AuditScope
from yiwang.audit.services import handle_suspicion_report, report_suspicious_use
from yiwang.audit.tests.tracker_world import build_world, clerk_read
from yiwang.identity.selectors.audit_scope import audit_scope_for
from yiwang.identity.tests.factories import UserFactory
from yiwang.licenses.constants import LicenseStatus
from yiwang.licenses.services import change_license_status
from yiwang.licenses.tests.factories import make_license
from yiwang.notifications.constants import MessageTopic, NoticeKind
from yiwang.notifications.models import Notice
from yiwang.notifications.services import render
from yiwang.supervision.services import cards
from yiwang.supervision.services import feedback as feedback_services
from yiwang.supervision.tests.cards_world import make_cards_world
from yiwang.supervision.tests.feedback_world import file
from yiwang.supervision.tests.feedback_world import make_world as make_feedback_world

pytestmark = pytest.mark.django_db


def inbox(user) -> dict[str, Notice]:
    return {n.topic: n for n in Notice.objects.filter(recipient=user, kind=NoticeKind.MESSAGE)}


def test_a_supplement_request_reaches_the_applicant_with_a_link_to_the_case(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = make_world()
    case, _created = submit(world)
    cases.accept(actor=world.clerk, case=case)
    items = [{"kind": "field", "key": "phone", "problem": "联系电话无法接通，请更正"}]
    cases.request_supplement(actor=world.clerk, case=case, items=items)
    messages = inbox(world.applicant)
    assert {MessageTopic.CASE_SUBMITTED, MessageTopic.CASE_ACCEPTED} <= set(messages)
    message = messages[MessageTopic.CASE_SUPPLEMENT_REQUESTED]
    assert message.title == f"办件 {case.number} 需要补正材料"
    assert "联系电话无法接通" in message.body and message.link == f"/cases/mine/{case.number}/"
    assert message.department == case.department
    # rendered again for each reader from the msgid and its context (the English catalog comes later)
    assert render(message.title_template, message.context, language="zh-hans") == message.title


def test_a_license_issued_and_revoked_reaches_its_holder():
    holder = UserFactory(level3=True)
    license = make_license(holder=holder)
    change_license_status(license=license, to_status=LicenseStatus.REVOKED, reason="以欺骗手段取得")
    messages = inbox(holder)
    assert messages[MessageTopic.LICENSE_ISSUED].link == "/licenses/"
    revoked = messages[MessageTopic.LICENSE_REVOKED]
    assert license.identifier in revoked.body and "以欺骗手段取得" in revoked.body
    assert revoked.link == "/licenses/"


def test_an_unverified_account_is_not_told_about_licenses_under_its_number():
    holder = UserFactory()  # level 2: may not see licenses, so is not told about them either
    make_license(holder=holder)
    assert not inbox(holder)


def test_a_card_reaches_each_staff_member_it_names():
    world = make_cards_world()
    cards.sweep(today=dt.date(2026, 9, 30))
    message = inbox(world.people["handler"])[MessageTopic.CARD_ISSUED]
    assert "1 张新的黄红牌" in message.title and message.link == "/supervision/cards/"


def test_a_bad_review_tells_the_department_head_the_rectification_due_date():
    from yiwang.supervision.services import evaluations
    from yiwang.supervision.tests.evaluations_world import make_eval_world

    world = make_eval_world()
    evaluation, _created = evaluations.evaluate(
        actor=world.people["applicant"], case=world.case, level=1, comment="窗口态度差"
    )
    message = inbox(world.people["head"])[MessageTopic.RECTIFICATION_DUE]
    ticket = evaluation.rectification
    assert ticket.due_on.isoformat() in message.title
    assert message.link == f"/supervision/rectifications/{ticket.pk}/"


def test_an_answered_complaint_reaches_its_filer():
    world = make_feedback_world()
    feedback = file(world).feedback
    feedback_services.answer_feedback(actor=world.head, feedback=feedback, answer="已加派窗口人员")
    message = inbox(world.filer)[MessageTopic.FEEDBACK_ANSWERED]
    assert feedback.title in message.title
    assert message.link == f"/supervision/feedback/mine/{feedback.number}/"


def test_a_suspicious_read_and_the_answer_to_a_report_reach_the_citizen(django_capture_on_commit_callbacks):
    world = build_world()
    with django_capture_on_commit_callbacks(execute=True):
        entry = clerk_read(
            world.clerk, world.department, world.citizen.id_number, "随便看看", ground=GroundKind.NONE
        )
    alert = inbox(world.citizen)[MessageTopic.DATA_USE_SUSPICIOUS]
    assert alert.link == f"/me/data-uses/{entry.pk}"
    assert not inbox(world.other)
    report, _created = report_suspicious_use(
        reporter=world.citizen, scope=audit_scope_for(actor=world.citizen), entry_id=entry.pk
    )
    handle_suspicion_report(
        handler=world.auditor,
        scope=AuditScope(department_ids=frozenset({world.department.pk})),
        report_id=report.pk,
        status=ReportStatus.CONFIRMED,
    )
    answered = inbox(world.citizen)[MessageTopic.DATA_USE_REPORT_ANSWERED]
    assert "确属违规" in answered.body and answered.link == f"/me/data-uses/{entry.pk}"
