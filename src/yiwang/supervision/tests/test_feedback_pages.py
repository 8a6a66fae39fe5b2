"""Feedback pages: who sees which page, the anonymous follow-up, and the guide's published answers/FAQ."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.supervision.constants import FeedbackKind
from yiwang.supervision.services import feedback as services

from .feedback_world import file, log_in, make_world

pytestmark = pytest.mark.django_db
PEOPLE = [
    "filer",
    "other_citizen",
    "handler",
    "head",
    "other_head",
    "far_head",
    "supervisor",
    "far_supervisor",
    "editor",
]


@pytest.fixture
def world():
    return make_world()


def as_(world, who):
    return Client() if who == "anonymous" else log_in(Client(), world.people[who])


@pytest.mark.parametrize("who", ["anonymous", *PEOPLE])
def test_page_matrix(world, who):
    filed = file(world)
    number, client = filed.feedback.number, as_(world, who)
    citizen = client.get(f"/supervision/feedback/mine/{number}/")
    want = 200 if who == "filer" else (302 if who == "anonymous" else 404)
    assert citizen.status_code == want
    staff = client.get(f"/supervision/feedback/queue/{number}/")
    staff_want = {"head": 200, "supervisor": 200, "anonymous": 302}.get(
        who, 403 if who in {"filer", "other_citizen"} else 404
    )
    assert staff.status_code == staff_want, who
    for response in (citizen, staff):
        if response.status_code in (403, 404):
            assert (
                "13912345678" not in response.content.decode()
                and filed.feedback.title not in response.content.decode()
            )
    queue = client.get("/supervision/feedback/queue/")
    if queue.status_code == 200:
        assert (filed.feedback.title in queue.content.decode()) == (who in {"head", "supervisor"})


def test_a_citizen_files_on_the_page_and_reopens(world):
    client = log_in(Client(), world.filer)
    form = client.get(f"/supervision/feedback/new/?item={world.implementation.item.code}")
    assert world.implementation.item.code in form.content.decode()
    response = client.post(
        "/supervision/feedback/new/",
        {
            "kind": "complaint",
            "subject": "item",
            "title": "太慢",
            "body": "等了很久",
            "token": "t1",
            "item_code": world.implementation.item.code,
            "region_code": world.department.region_id,
        },
    )
    assert response.status_code == 200 and "feedback-query-code" in response.content.decode()
    feedback = services.Feedback.objects.get(title="太慢")
    services.answer_feedback(actor=world.head, feedback=feedback, answer="已处理")
    reopened = client.post(
        f"/supervision/feedback/mine/{feedback.number}/", {"action": "reopen", "reason": "没用"}
    )
    assert reopened.status_code == 200
    feedback.refresh_from_db()
    assert feedback.status == "reopened" and feedback.reopen_count == 1


def test_anonymous_follow_up_with_right_and_wrong_code(world):
    filed = file(world)
    client = Client()
    right = client.post(
        "/supervision/feedback/follow/", {"number": filed.feedback.number, "query_code": filed.query_code}
    )
    assert right.status_code == 200 and filed.feedback.title in right.content.decode()
    wrong = client.post("/supervision/feedback/follow/", {"number": filed.feedback.number, "query_code": "X"})
    assert wrong.status_code == 404 and filed.feedback.title not in wrong.content.decode()
    for _attempt in range(5):
        client.post("/supervision/feedback/follow/", {"number": filed.feedback.number, "query_code": "X"})
    throttled = client.post(
        "/supervision/feedback/follow/", {"number": filed.feedback.number, "query_code": filed.query_code}
    )
    assert throttled.status_code == 429


def test_the_guide_shows_published_answers_and_the_accepted_faq(world):
    feedback = file(
        world, kind=FeedbackKind.CONSULTATION, publish_allowed=True, contact_name="李四海"
    ).feedback
    services.answer_feedback(actor=world.head, feedback=feedback, answer="李四海您好，可以网上办理")
    feedback = services.publish_answer(actor=world.head, feedback=feedback)
    offer = services.offer_to_faq(actor=world.head, feedback=feedback)
    editor = log_in(Client(), world.editor)
    assert editor.post(f"/supervision/feedback/offers/{offer.pk}/", {"accept": "1"}).status_code == 302
    page = Client().get(f"/items/{world.implementation.code}").content.decode()
    assert 'data-testid="published-answers"' in page and "可以网上办理" in page and "李四海" not in page
    assert 'id="faq"' in page
