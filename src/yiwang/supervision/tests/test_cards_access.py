"""Who may see and acknowledge a card, on the pages and through the API: the authorization matrix."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from yiwang.applications.tests.api_world import bearer, token_for
from yiwang.audit.models import AuditEntry
from yiwang.supervision.constants import AuditAction
from yiwang.supervision.models import Card, CardRecipient
from yiwang.supervision.services import cards

from .cards_world import make_cards_world

pytestmark = pytest.mark.django_db

SEES = ("handler", "head", "supervisor")
BLIND_STAFF = ("supervisor_other_region", "head_other_department", "approver_other_department")
NOT_STAFF = ("citizen", "applicant")
EVERYONE = ("anonymous", *NOT_STAFF, *SEES, *BLIND_STAFF)


@pytest.fixture
def world():
    world = make_cards_world()
    cards.sweep(today=dt.date(2026, 10, 12))  # red: overdue
    return world


def _card(world) -> Card:
    return Card.objects.get(case=world.case, kind="overdue")


@pytest.mark.parametrize("who", EVERYONE)
def test_who_may_open_the_card_pages(world, who):
    client = world.client(who)
    card = _card(world)
    pages = [
        reverse("supervision:card_list"),
        reverse("supervision:card_list") + "?tab=scope",
        reverse("supervision:card_detail", kwargs={"pk": card.pk}),
        reverse("supervision:predictions"),
        reverse("supervision:anomalies"),
    ]
    responses = [client.get(url) for url in pages]
    if who == "anonymous":
        assert all(r.status_code == 302 and "/login" in r["Location"] for r in responses)
        return
    if who in NOT_STAFF:
        assert [r.status_code for r in responses] == [403] * 5
        return
    number = world.case.number
    if who in SEES:
        assert [r.status_code for r in responses] == [200] * 5
        assert number in responses[0].content.decode()  # every one of them receives it
        assert number in responses[2].content.decode()
    else:
        assert [r.status_code for r in responses] == [200, 200, 404, 200, 200]
        assert all(number not in r.content.decode() for r in responses)


@pytest.mark.parametrize("who", EVERYONE)
def test_who_may_read_cards_through_the_api(world, who):
    client = world.client(who)
    card = _card(world)
    listing = client.get("/api/v1/supervision/cards")
    detail = client.get(f"/api/v1/supervision/cards/{card.pk}")
    predictions = client.get("/api/v1/supervision/predictions")
    if who == "anonymous":
        assert (listing.status_code, detail.status_code, predictions.status_code) == (401, 401, 401)
        return
    if who in SEES:
        assert listing.status_code == 200 and detail.status_code == 200
        assert [item["case_number"] for item in listing.json()["items"]] == [world.case.number]
        assert detail.json()["my_pending_roles"]
        return
    # citizens and staff beyond its reach: an empty list, and the card does not exist
    assert listing.status_code == 200 and listing.json()["items"] == []
    assert detail.status_code == 404 and detail.json()["error"]["code"] == "card_not_found"
    assert world.case.number not in detail.content.decode()


def test_bearer_tokens_need_the_supervision_scopes(world):
    card = _card(world)
    handler = world.people["handler"]
    client = world.client("anonymous")
    url = f"/api/v1/supervision/cards/{card.pk}"
    assert client.get(url, **bearer(token_for(handler, "openid supervision:read"))).status_code == 200
    refused = client.get(url, **bearer(token_for(handler, "openid workbench:read")))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    post = client.post(
        f"{url}/acknowledge",
        {"note": "材料补正延误"},
        content_type="application/json",
        **bearer(token_for(handler, "openid supervision:read")),
    )
    assert post.status_code == 403
    post = client.post(
        f"{url}/acknowledge",
        {"note": "材料补正延误"},
        content_type="application/json",
        **bearer(token_for(handler, "openid supervision:write")),
    )
    assert post.status_code == 200
    assert CardRecipient.objects.get(card=card, user=handler).note == "材料补正延误"


def test_a_red_card_is_acknowledged_with_its_reason_and_audited(world):
    card = _card(world)
    handler = world.client("handler")
    url = reverse("supervision:card_detail", kwargs={"pk": card.pk})
    refused = handler.post(url, {"note": "  "})
    assert refused.status_code == 400 and "须说明超期原因" in refused.content.decode()
    assert not CardRecipient.objects.filter(card=card, acknowledged_at__isnull=False).exists()
    done = handler.post(url, {"note": "专家评审未按时返回意见"})
    assert done.status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.CARD_ACKNOWLEDGED)
    assert entry.actor_id == world.people["handler"].pk
    assert entry.details["note"] == "专家评审未按时返回意见" and entry.object_id == str(card.pk)
    again = handler.post(url, {"note": "再次"})
    assert again.status_code == 409 and "已签收" in again.content.decode()
    # the card is answered once everyone has acknowledged
    for who in ("head", "supervisor"):
        world.client(who).post(url, {"note": "已督办"})
    card.refresh_from_db()
    assert card.acknowledged_at is not None


@pytest.mark.parametrize(
    "who", ["supervisor_other_region", "head_other_department", "approver_other_department"]
)
def test_staff_beyond_reach_cannot_acknowledge(world, who):
    card = _card(world)
    client = world.client(who)
    page = client.post(reverse("supervision:card_detail", kwargs={"pk": card.pk}), {"note": "x"})
    api = client.post(
        f"/api/v1/supervision/cards/{card.pk}/acknowledge", {"note": "x"}, content_type="application/json"
    )
    assert page.status_code == 404 and api.status_code == 404
    assert not CardRecipient.objects.filter(acknowledged_at__isnull=False).exists()


def test_bad_api_input_is_a_400_not_a_500(world):
    client = world.client("head")
    for query in ("color=green", "state=x", "limit=0", "cursor=garbage", "department_id=-1"):
        assert client.get(f"/api/v1/supervision/cards?{query}").status_code in (400, 422), query
    assert client.get("/api/v1/supervision/cards/0").status_code in (400, 422)
    assert client.get("/api/v1/supervision/cards/99999999999999999999").status_code in (400, 404, 422)


def test_card_counts_by_department_for_the_dashboard(world):
    from yiwang.supervision.selectors.cards import card_counts
    from yiwang.supervision.selectors.scope import supervision_scope_for

    counts = card_counts(scope=supervision_scope_for(world.people["head"]), since=dt.date(2026, 10, 1))
    assert [(row.department_id, row.yellow, row.red, row.unacknowledged) for row in counts] == [
        (world.department.pk, 0, 1, 1)
    ]
    assert card_counts(scope=supervision_scope_for(world.people["head_other_department"])) == []
