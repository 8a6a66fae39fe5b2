"""The evaluation invitation reaches the applicant's inbox: the logged-in rating page, never the token,
and no second SMS beside the invitation's own text."""

from __future__ import annotations

import pytest

from yiwang.applications.services import cases
from yiwang.applications.tests.cases_world import make_world, submit
from yiwang.notifications.constants import Channel, MessageTopic
from yiwang.notifications.models import Dispatch, Notice, NotificationPreference
from yiwang.supervision.services import evaluations

from .evaluations_world import make_eval_world

pytestmark = pytest.mark.django_db


def _stored_texts(notice: Notice) -> str:
    return " ".join(
        str(value)
        for value in (
            notice.title,
            notice.body,
            notice.title_template,
            notice.body_template,
            notice.context,
            notice.link,
        )
    )


def test_closing_a_case_puts_the_invitation_in_the_inbox_with_the_rating_page_and_no_token(
    monkeypatch, django_capture_on_commit_callbacks
):
    texts = []
    monkeypatch.setattr(evaluations.identity_services, "send_text", lambda **kw: texts.append(kw))
    world = make_world()
    case, _created = submit(world, key="invite-inbox")
    with django_capture_on_commit_callbacks(execute=True):
        cases.refuse_to_accept(
            actor=world.clerk,
            case=case,
            reason="不属于本部门职权范围",
            legal_basis="《行政许可法》第三十二条",
        )
    [notice] = Notice.objects.filter(recipient=world.applicant, topic=MessageTopic.EVALUATION_INVITED)
    assert notice.link == f"/supervision/evaluate/{case.number}/"
    assert case.number in notice.title
    [text] = texts  # the invitation's own SMS, once
    token = text["message"].split("/supervision/e/")[1].rstrip("/")
    assert all(token not in _stored_texts(row) for row in Notice.objects.all())
    assert not Dispatch.objects.filter(notice=notice).exists()  # SMS is on by default: no copy of it


def test_an_applicant_who_chose_email_gets_it_by_email_not_sms_and_the_link_opens_the_rating_page(
    monkeypatch,
):
    monkeypatch.setattr(evaluations.identity_services, "send_text", lambda **kw: None)
    world = make_eval_world()
    applicant = world.people["applicant"]
    applicant.email = "li@example.cn"
    applicant.save(update_fields=["email"])
    NotificationPreference.objects.create(user=applicant, sms=True, email=True)
    evaluations.invite(case=world.case)
    notice = Notice.objects.get(recipient=applicant, topic=MessageTopic.EVALUATION_INVITED)
    assert list(notice.dispatches.values_list("channel", flat=True)) == [Channel.EMAIL]
    assert world.client("applicant").get(notice.link).status_code == 200
