"""Followed search results are counted, and queries whose results nobody follows reach the curator."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.audit.models import AuditEntry
from yiwang.conftest import login_with_second_factor
from yiwang.core.errors import DomainError
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory
from yiwang.search.constants import UNCLICKED_DAYS, UNCLICKED_MIN_SEARCHES, AuditAction, MissKind
from yiwang.search.models import LearnedKeyword, SearchMiss, SearchQueryDay
from yiwang.search.selectors import list_unclicked_for_curator, search_catalog
from yiwang.search.services.clicks import record_search_click

from .conftest import GUANGAN_DISTRICT, XIANGTAN_COUNTY

pytestmark = pytest.mark.django_db

GO_LINK = re.compile(r'href="(/search/go\?[^"]+)"')


@pytest.fixture
def curator(indexed_catalog):
    """The data administrator of 广安区's housing fund centre."""
    fund = indexed_catalog["fund"]
    return StaffAssignmentFactory(role=StaffRole.DATA_ADMIN, department=fund.department).user


def _searched(query: str, *, region_code: str = GUANGAN_DISTRICT, searches: int, clicks: int = 0, days_ago=0):
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return SearchQueryDay.objects.create(
        query=query, region_code=region_code, day=day, searches=searches, clicks=clicks
    )


def test_a_followed_result_is_counted_and_leads_to_its_guide(client, indexed_catalog):
    fund = indexed_catalog["fund"]
    # given a portal search that shows results, twice
    client.get("/search", {"q": "住房公积金提取"})
    page = client.get("/search", {"q": "住房公积金提取"}).content.decode()
    row = SearchQueryDay.objects.get(query="住房公积金提取")
    assert (row.searches, row.clicks, row.day) == (2, 0, timezone.localdate())
    # when the first result is followed
    link = html.unescape(GO_LINK.search(page).group(1))
    assert f"to={fund.code}" in link
    response = client.get(link)
    # then the click is counted and the guide opens
    assert response.status_code == 302 and response["Location"] == f"/items/{fund.code}"
    assert SearchQueryDay.objects.get(pk=row.pk).clicks == 1


def test_a_bundle_result_leads_to_the_bundle(client, catalog):
    _searched("生孩子", region_code="", searches=1)
    response = client.get("/search/go", {"q": "生孩子", "k": "b", "to": "birth-bundle"})
    assert response.status_code == 302 and response["Location"] == "/bundles/birth-bundle"
    assert SearchQueryDay.objects.get(query="生孩子").clicks == 1


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"q": "公积金", "k": "i", "to": "https://evil.example/"}, 404),
        ({"q": "公积金", "k": "i", "to": "//evil.example"}, 404),
        ({"q": "公积金", "k": "i", "to": "no-such-code"}, 404),
        ({"q": "公积金", "k": "b", "to": "no-such-bundle"}, 404),
        ({"q": "公积金", "k": "url", "to": "birth-bundle"}, 400),
        ({"q": "公积金", "k": "i", "to": ""}, 400),
        ({"q": "公积金", "k": "i", "to": "x" * 101}, 400),
    ],
)
def test_an_unknown_or_external_target_is_refused_not_redirected(client, catalog, params, status):
    _searched("公积金", region_code="", searches=1)
    response = client.get("/search/go", params)
    assert response.status_code == status and "Location" not in response
    assert SearchQueryDay.objects.get(query="公积金").clicks == 0


def test_a_click_never_creates_a_row(client, catalog):
    fund = catalog["fund"]
    response = client.get("/search/go", {"q": "从未搜过", "k": "i", "to": fund.code})
    assert response.status_code == 302
    assert not SearchQueryDay.objects.exists()


def test_a_search_writes_its_count_once_and_the_api_not_at_all(indexed_catalog):
    search_catalog(query="公积金", count_shown=True)  # creates the day's row
    with CaptureQueriesContext(connection) as queries:
        search_catalog(query="公积金", count_shown=True)
    writes = [q["sql"] for q in queries if "search_searchqueryday" in q["sql"]]
    assert len(writes) == 1 and writes[0].startswith("UPDATE")
    search_catalog(query="公积金")  # the API: its clicks are not counted, so neither are its searches
    search_catalog(query="公积金", count_shown=True, offset=20)  # a later page is the same search
    assert SearchQueryDay.objects.get(query="公积金").searches == 2


def test_never_clicked_queries_reach_the_curator_and_become_a_keyword(
    client, curator, indexed_catalog, django_capture_on_commit_callbacks
):
    fund = indexed_catalog["fund"]
    # given queries of the curator's region: one never clicked, one clicked, one searched too rarely,
    # one whose searches are older than the period, and one never clicked in another province
    _searched("公积金 怎么取", searches=UNCLICKED_MIN_SEARCHES - 2, days_ago=1)
    never = _searched("公积金 怎么取", searches=2)
    _searched("营业执照", searches=40, clicks=1)
    _searched("社保卡", searches=UNCLICKED_MIN_SEARCHES - 1)
    _searched("户口", searches=50, days_ago=UNCLICKED_DAYS)
    _searched("公积金 提取", region_code=XIANGTAN_COUNTY, searches=50)
    login_with_second_factor(client, curator)
    # when the curator opens the search-miss screen
    page = client.get("/search-misses/").content.decode()
    # then only the never-clicked query of their region is listed, with the keyword picker
    unclicked = page.split('id="unclicked"', 1)[1]
    assert "公积金 怎么取" in unclicked and f"u{never.pk}-implementation" in unclicked
    for other in ("营业执照", "社保卡", "户口", "公积金 提取"):
        assert other not in unclicked
    assert fund.name in unclicked
    # when they add it to the fund withdrawal's keywords in one step
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/search-misses/unclicked/{never.pk}/keyword", {f"u{never.pk}-implementation": fund.pk}
        )
    # then the keyword is stored, audited as a never-clicked query's, and the row leaves the screen
    assert response.status_code == 302
    assert LearnedKeyword.objects.filter(implementation=fund, keyword="公积金 怎么取").exists()
    miss = SearchMiss.objects.get(query="公积金 怎么取", kind=MissKind.NO_CLICK)
    assert (miss.count, miss.resolution) == (UNCLICKED_MIN_SEARCHES, "keyword")
    entry = AuditEntry.objects.get(action=AuditAction.KEYWORD_ADDED)
    assert entry.details["kind"] == MissKind.NO_CLICK and entry.actor_role == StaffRole.DATA_ADMIN
    assert list_unclicked_for_curator(actor=curator) == []
    assert "公积金 怎么取" not in client.get("/search-misses/").content.decode().split('id="unclicked"', 1)[1]
    # and the zero-result list did not gain the resolved row
    assert not SearchMiss.objects.filter(kind=MissKind.NO_RESULT).exists()


def test_a_never_clicked_query_becomes_a_synonym(client, curator, indexed_catalog):
    never = _searched("取公积金的钱", searches=UNCLICKED_MIN_SEARCHES)
    login_with_second_factor(client, curator)
    response = client.post(
        f"/search-misses/unclicked/{never.pk}/synonym", {f"u{never.pk}-official": "公积金提取"}
    )
    assert response.status_code == 302
    assert SearchMiss.objects.get(query="取公积金的钱", kind=MissKind.NO_CLICK).resolution == "synonym"


def test_a_clicked_or_foreign_query_cannot_be_curated_as_never_clicked(client, curator, indexed_catalog):
    fund = indexed_catalog["fund"]
    clicked = _searched("公积金", searches=30, clicks=1)
    foreign = _searched("公积金", region_code=XIANGTAN_COUNTY, searches=30)
    login_with_second_factor(client, curator)
    for row in (clicked, foreign):
        client.post(f"/search-misses/unclicked/{row.pk}/keyword", {f"u{row.pk}-implementation": fund.pk})
    assert not LearnedKeyword.objects.exists() and not SearchMiss.objects.exists()


def test_the_never_clicked_list_is_closed_to_other_staff(client, indexed_catalog):
    never = _searched("公积金 怎么取", searches=UNCLICKED_MIN_SEARCHES)
    clerk = StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK, department=indexed_catalog["fund"].department)
    login_with_second_factor(client, clerk.user)
    assert client.get("/search-misses/").status_code == 403
    response = client.post(
        f"/search-misses/unclicked/{never.pk}/keyword",
        {f"u{never.pk}-implementation": indexed_catalog["fund"].pk},
    )
    assert response.status_code == 302 and not LearnedKeyword.objects.exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=40), kind=st.text(max_size=3), code=st.text(max_size=120))
def test_any_click_link_is_a_known_target_or_a_domain_error(db, query, kind, code):
    try:
        target = record_search_click(query=query, region_code="", kind=kind, code=code)
    except DomainError:
        return
    raise AssertionError(f"an unknown target was accepted: {target}")
