"""Regional demand: decayed views and applications order the portal's hot services and topics."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from yiwang.applications.constants import CASE_SUBMITTED
from yiwang.applications.tests.factories import CaseFactory
from yiwang.catalog.tests.factories import (
    ImplementationFactory,
    ServiceItemFactory,
    TopicFactory,
    region_by_code,
)

from ..models import DemandScore
from ..selectors.stats import hot_items, order_topics_by_demand
from ..services.demand import count_submission, decayed_score, record_view

pytestmark = pytest.mark.django_db
COUNTY = "511602000000"


def _implementations(count: int, **fields):
    return [ImplementationFactory(region=region_by_code(COUNTY), **fields) for _ in range(count)]


def test_a_recent_view_outranks_an_old_burst():
    old, recent = _implementations(2)
    now = timezone.now()
    for _ in range(5):
        record_view(item_id=old.item_id, region_code=COUNTY, at=now - dt.timedelta(days=30))
    record_view(item_id=recent.item_id, region_code=COUNTY, at=now)
    assert [i.pk for i in hot_items(region_code=COUNTY, limit=2)] == [recent.pk, old.pk]
    row = DemandScore.objects.get(item_id=old.item_id)
    assert row.views == 5
    # five views 30 days ago at a 7-day half-life weigh 5 · 2^(-30/7)
    assert decayed_score(log_score=row.log_score, at=now) == pytest.approx(5 * 2 ** (-30 / 7), rel=1e-6)


def test_views_add_up_and_a_submitted_case_weighs_five_views():
    viewed, applied = _implementations(2)
    now = timezone.now()
    for _ in range(4):
        record_view(item_id=viewed.item_id, region_code=COUNTY, at=now)
    case = CaseFactory(implementation=applied)
    count_submission(case_id=case.pk, event=CASE_SUBMITTED, actor_id=None, occurred_at=now.isoformat())
    count_submission(case_id=case.pk, event="case.accepted", actor_id=None, occurred_at=now.isoformat())
    scores = {row.item_id: row for row in DemandScore.objects.all()}
    assert decayed_score(log_score=scores[viewed.item_id].log_score, at=now) == pytest.approx(4)
    assert decayed_score(log_score=scores[applied.item_id].log_score, at=now) == pytest.approx(5)
    assert scores[applied.item_id].applications == 1
    assert hot_items(region_code=COUNTY, limit=1)[0].pk == applied.pk


def test_without_demand_the_current_order_stays():
    quiet, popular = (
        _implementations(1)[0],
        ImplementationFactory(region=region_by_code(COUNTY), popular=True),
    )
    assert [i.pk for i in hot_items(region_code=COUNTY, limit=2)] == [popular.pk, quiet.pk]


def test_demand_in_another_county_does_not_count_here():
    here, there = _implementations(2)
    record_view(item_id=there.item_id, region_code="511621000000")
    ids = hot_item_ids_for(COUNTY)
    assert there.item_id not in ids and here.item_id not in ids


def hot_item_ids_for(code):
    from ..selectors.stats import hot_item_ids

    return hot_item_ids(region_code=code)


def test_topics_in_demand_come_first():
    first, second = TopicFactory(), TopicFactory()
    implementation = ImplementationFactory(
        region=region_by_code(COUNTY), item=ServiceItemFactory(topics=[second])
    )
    assert order_topics_by_demand(topics=[first, second], region_code=COUNTY) == [first, second]
    record_view(item_id=implementation.item_id, region_code=COUNTY)
    assert order_topics_by_demand(topics=[first, second], region_code=COUNTY) == [second, first]


def test_the_guide_page_records_demand_and_the_home_page_follows_it():
    quiet, popular = (
        _implementations(1)[0],
        ImplementationFactory(region=region_by_code(COUNTY), popular=True),
    )
    client = Client()
    assert client.get(reverse("portal:guide", args=[quiet.code])).status_code == 200
    assert DemandScore.objects.get(item_id=quiet.item_id).views == 1
    home = client.get(reverse("portal:home"))
    ids = [item.pk for item in home.context["popular_items"]]
    assert ids.index(quiet.pk) < ids.index(popular.pk)
    assert math.isfinite(DemandScore.objects.get(item_id=quiet.item_id).log_score)
