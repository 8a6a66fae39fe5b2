"""The 好差评 pages: rating, SMS link, window device, follow-up, the ticket queue and page, the guide's
scorecard; every page against every kind of visitor."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.audit.models import AuditEntry
from yiwang.supervision.constants import AuditAction, RectificationStatus
from yiwang.supervision.models import Evaluation, EvaluationInvitation, Rectification
from yiwang.supervision.services import evaluations, rectifications

from .evaluations_world import make_eval_world

pytestmark = pytest.mark.django_db
EVERYONE = (
    "anonymous",
    "applicant",
    "citizen",
    "clerk",
    "handler",
    "head",
    "head_other_department",
    "supervisor",
    "supervisor_other_region",
)


@pytest.fixture
def world():
    return make_eval_world()


def _ticket(world) -> Rectification:
    evaluation, _created = evaluations.evaluate(
        actor=world.people["applicant"], case=world.case, level=1, comment="跑了三趟"
    )
    return Rectification.objects.get(evaluation=evaluation)


EXPECTED_RATE_PAGE = {
    "anonymous": 302,
    "applicant": 200,
    "citizen": 404,
    "clerk": 403,
    "handler": 403,
    "head": 403,
    "head_other_department": 404,
    "supervisor": 404,
    "supervisor_other_region": 404,
}


@pytest.mark.parametrize("who", EVERYONE)
def test_the_rating_page_opens_for_the_applicant_only_and_refuses_handlers_clearly(world, who):
    response = world.client(who).get(reverse("supervision:evaluate", args=[world.case.number]))
    assert response.status_code == EXPECTED_RATE_PAGE[who]
    if response.status_code == 403:
        assert "不能评价" in response.content.decode()
        assert AuditEntry.objects.filter(action=AuditAction.EVALUATION_REFUSED).exists()
    if response.status_code in (403, 404):
        assert world.case.holder_name not in response.content.decode()


def test_a_bad_rating_on_the_page_opens_a_ticket_the_citizen_follows_and_a_double_click_is_one(world):
    client = world.client("applicant")
    url = reverse("supervision:evaluate", args=[world.case.number])
    body = {"level": "2", "indicator_efficiency": "1", "comment": "等太久", "form_token": "ft-1"}
    assert client.post(url, body).status_code == 302
    assert client.post(url, body).status_code == 302
    assert Evaluation.objects.count() == 1
    page = client.get(url).content.decode()
    assert "不满意" in page and "查看整改进展" in page
    ticket = Rectification.objects.get()
    follow = client.get(reverse("supervision:my_rectification", args=[ticket.pk]))
    assert follow.status_code == 200 and "待整改" in follow.content.decode()
    mine = client.get(reverse("supervision:my_evaluations")).content.decode()
    assert "待整改" in mine and world.case.implementation.name in mine
    assert (
        client.post(
            reverse("supervision:evaluation_add", args=[world.case.number]), {"comment": "补充"}
        ).status_code
        == 302
    )
    for who in ("citizen", "head", "supervisor"):
        assert (
            world.client(who).get(reverse("supervision:my_rectification", args=[ticket.pk])).status_code
            == 404
        )
        other = world.client(who).post(
            reverse("supervision:evaluation_add", args=[world.case.number]), {"comment": "x"}
        )
        assert other.status_code == 404


def test_a_bad_level_on_the_page_is_shown_not_raised(world):
    client = world.client("applicant")
    response = client.post(reverse("supervision:evaluate", args=[world.case.number]), {"level": "9"})
    assert response.status_code == 400 and "评价等级" in response.content.decode()


def test_the_sms_link_rates_without_logging_in_and_only_once(world):
    _web, sms = evaluations.invite(case=world.case)
    token = "sms-token-for-the-test-0001"
    EvaluationInvitation.objects.filter(pk=sms.pk).update(token_hash=evaluations.hash_token(token))
    client = world.client("anonymous")
    url = reverse("supervision:sms_evaluate", args=[token])
    assert client.get(url).status_code == 200
    assert client.post(url, {"level": "4"}).status_code == 200
    assert Evaluation.objects.get().channel == "sms"
    assert client.get(url).status_code == 404
    assert client.get(reverse("supervision:sms_evaluate", args=["nope"])).status_code == 404


def test_the_window_device_is_started_by_the_clerk_and_refuses_the_clerk_rating(world):
    start = reverse("supervision:window_start", args=[world.case.number])
    for who in ("citizen", "head_other_department", "supervisor_other_region"):
        assert world.client(who).post(start).status_code in (403, 404)
    assert world.client("anonymous").post(start).status_code == 302
    clerk = world.client("clerk")
    response = clerk.post(start)
    assert response.status_code == 200
    device_url = response.context["device_url"]
    path = device_url[device_url.index("/supervision/") :]
    refused = clerk.post(path, {"level": "5"})
    assert refused.status_code == 403 and not Evaluation.objects.exists()
    assert world.client("anonymous").post(path, {"level": "5"}).status_code == 200
    assert Evaluation.objects.get().stage == "window_visit"


EXPECTED_QUEUE = {
    "anonymous": 302,
    "applicant": 403,
    "citizen": 403,
    "clerk": 200,
    "handler": 200,
    "head": 200,
    "head_other_department": 200,
    "supervisor": 200,
    "supervisor_other_region": 200,
}
SEES_TICKET = {"head", "supervisor"}


@pytest.mark.parametrize("who", EVERYONE)
def test_the_ticket_queue_and_page_show_only_the_scope(world, who):
    ticket = _ticket(world)
    client = world.client(who)
    queue = client.get(reverse("supervision:rectification_list"))
    assert queue.status_code == EXPECTED_QUEUE[who]
    if queue.status_code == 200:
        assert (world.case.number in queue.content.decode()) == (who in SEES_TICKET)
    page = client.get(reverse("supervision:rectification", args=[ticket.pk]))
    expected = 200 if who in SEES_TICKET else EXPECTED_QUEUE[who] if EXPECTED_QUEUE[who] != 200 else 404
    assert page.status_code == expected
    for name, body in (
        ("rectification_measures", {"measures": "整改"}),
        ("rectification_revisit", {"result": "satisfied"}),
        ("rectification_appeal", {"reason": "申诉"}),
        ("rectification_decide", {"decision": "upheld", "reason": "成立"}),
    ):
        response = client.post(reverse(f"supervision:{name}", args=[ticket.pk]), body)
        if who not in SEES_TICKET:
            assert response.status_code in (302, 403, 404) and response.status_code != 200
            if who != "anonymous":
                assert response.status_code in (403, 404)
    ticket.refresh_from_db()
    if who not in SEES_TICKET:
        assert ticket.status == RectificationStatus.OPEN and not ticket.measures


def test_the_head_records_measures_and_the_supervisor_revisits_on_the_pages(world):
    ticket = _ticket(world)
    head, supervisor = world.client("head"), world.client("supervisor")
    page = head.get(reverse("supervision:rectification", args=[ticket.pk])).content.decode()
    assert "提交整改" in page and "保存回访" not in page
    wrong = supervisor.post(
        reverse("supervision:rectification_measures", args=[ticket.pk]), {"measures": "x"}
    )
    assert wrong.status_code == 403 and "部门负责人" in wrong.content.decode()
    head.post(reverse("supervision:rectification_measures", args=[ticket.pk]), {"measures": "窗口增设引导员"})
    page = supervisor.get(reverse("supervision:rectification", args=[ticket.pk])).content.decode()
    assert "保存回访" in page
    supervisor.post(
        reverse("supervision:rectification_revisit", args=[ticket.pk]),
        {"result": "satisfied", "note": "群众表示满意"},
    )
    ticket.refresh_from_db()
    assert ticket.status == RectificationStatus.CLOSED
    follow = (
        world.client("applicant")
        .get(reverse("supervision:my_rectification", args=[ticket.pk]))
        .content.decode()
    )
    assert "窗口增设引导员" in follow and "群众表示满意" in follow


def test_the_guide_page_shows_the_items_scorecard(world, client):
    ticket = _ticket(world)
    rectifications.record_measures(actor=world.people["head"], rectification=ticket, measures="整改")
    implementation = world.case.implementation
    response = client.get(reverse("portal:guide", args=[implementation.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="scorecard"' in page and "非常不满意" in page


def test_my_closed_case_links_to_its_rating_page(world):
    page = world.client("applicant").get(reverse("applications:case", args=[world.case.number]))
    assert page.status_code == 200
    assert f"/supervision/evaluate/{world.case.number}/" in page.content.decode()


@pytest.mark.parametrize("who", EVERYONE)
def test_my_evaluations_page_lists_only_the_visitors_own_ratings(world, who):
    _ticket(world)
    response = world.client(who).get(reverse("supervision:my_evaluations"))
    if who == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert (world.case.number in response.content.decode()) == (who == "applicant")


def test_a_handler_opening_the_sms_link_is_refused_and_audited(world):
    _web, sms = evaluations.invite(case=world.case)
    token = "sms-token-handler-0001"
    EvaluationInvitation.objects.filter(pk=sms.pk).update(token_hash=evaluations.hash_token(token))
    response = world.client("handler").post(reverse("supervision:sms_evaluate", args=[token]), {"level": "5"})
    assert response.status_code == 403 and not Evaluation.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.EVALUATION_REFUSED).count() == 1
