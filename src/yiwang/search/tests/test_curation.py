"""A search curator turns a missed query into a synonym or an implementation's keyword in one step."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.audit.models import AuditEntry
from yiwang.conftest import login_with_second_factor
from yiwang.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory
from yiwang.search import analysis, learned
from yiwang.search.backends.tantivy_backend import TantivyBackend
from yiwang.search.constants import AuditAction, Resolution
from yiwang.search.forms import KeywordForm, SynonymForm
from yiwang.search.models import LearnedKeyword, SearchMiss
from yiwang.search.selectors import list_keyword_candidates, list_misses_for_curator, search_catalog
from yiwang.search.services import rebuild_search_index
from yiwang.search.services.curation import add_keyword_for_miss, add_synonym_for_miss, checked_official

from .conftest import GUANGAN_DISTRICT, XIANGTAN_COUNTY, department_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(indexed_catalog):
    """The data administrator of 广安区's housing fund centre."""
    fund = indexed_catalog["fund"]
    return StaffAssignmentFactory(role=StaffRole.DATA_ADMIN, department=fund.department).user


@pytest.fixture
def index_writes(monkeypatch):
    """What reached the index: document keys written, and whether a full rebuild ran (it must not)."""
    written: list[str] = []
    original = TantivyBackend.index

    def spy(self, *, documents, suggestions=()):
        written.extend(document.key for document in documents)
        return original(self, documents=documents, suggestions=suggestions)

    def no_rebuild(self, **_kwargs):
        raise AssertionError("a full rebuild was called")

    monkeypatch.setattr(TantivyBackend, "index", spy)
    monkeypatch.setattr(TantivyBackend, "rebuild", no_rebuild)
    return written


def _missed(query: str) -> SearchMiss:
    assert search_catalog(query=query, region_code=GUANGAN_DISTRICT).count == 0
    return SearchMiss.objects.get(query=query, region_code=GUANGAN_DISTRICT)


def _top_codes(query: str) -> list[str]:
    return [hit.code for hit in search_catalog(query=query, region_code=GUANGAN_DISTRICT).results[:3]]


def test_a_keyword_makes_the_missed_query_find_the_item_without_a_rebuild(
    curator, indexed_catalog, index_writes, django_capture_on_commit_callbacks
):
    # given a query that found nothing
    fund = indexed_catalog["fund"]
    miss = _missed("储蓄罐")
    # when the curator adds it to the fund withdrawal's keywords
    with django_capture_on_commit_callbacks(execute=True):
        curated = add_keyword_for_miss(actor=curator, miss_id=miss.pk, implementation_id=fund.pk)
    # then only that implementation was re-indexed, and the query finds it at once
    assert index_writes == [f"implementation#{fund.pk}"]
    assert _top_codes("储蓄罐")[0] == fund.code
    # and the step is audited with the role it was done under, and the miss is resolved
    entry = AuditEntry.objects.get(action=AuditAction.KEYWORD_ADDED)
    assert (entry.actor, entry.actor_role, entry.department) == (
        curator,
        StaffRole.DATA_ADMIN,
        fund.department,
    )
    assert entry.details["implementation"] == fund.code
    curated.miss.refresh_from_db()
    assert curated.miss.resolution == Resolution.KEYWORD
    assert not list_misses_for_curator(actor=curator).filter(pk=miss.pk).exists()


def test_a_learned_keyword_survives_a_rebuild(curator, indexed_catalog, django_capture_on_commit_callbacks):
    fund = indexed_catalog["fund"]
    miss = _missed("储蓄罐")
    with django_capture_on_commit_callbacks(execute=True):
        add_keyword_for_miss(actor=curator, miss_id=miss.pk, implementation_id=fund.pk)
    rebuild_search_index()
    assert _top_codes("储蓄罐")[0] == fund.code


def test_a_synonym_makes_the_missed_query_search_the_official_words(
    curator, indexed_catalog, index_writes, django_capture_on_commit_callbacks
):
    fund = indexed_catalog["fund"]
    miss = _missed("猫咪罐罐")
    with django_capture_on_commit_callbacks(execute=True):
        add_synonym_for_miss(actor=curator, miss_id=miss.pk, official="公积金提取")
    # no document was re-indexed (only the phrase joined the suggestions), and the query finds the item
    assert index_writes == []
    page = search_catalog(query="猫咪罐罐", region_code=GUANGAN_DISTRICT)
    assert page.results[0].code == fund.code
    assert "公积金提取" in page.expanded_terms
    assert AuditEntry.objects.filter(action=AuditAction.SYNONYM_ADDED, actor=curator).exists()


def test_another_process_reads_the_synonym_from_the_nodes_file(
    curator, indexed_catalog, django_capture_on_commit_callbacks
):
    miss = _missed("猫咪罐罐")
    with django_capture_on_commit_callbacks(execute=True):
        add_synonym_for_miss(actor=curator, miss_id=miss.pk, official="公积金提取")
    # a process that has not seen the synonym yet (nothing loaded, nothing cached)
    analysis.use_learned_synonyms({})
    learned._loaded.clear()
    assert _top_codes("猫咪罐罐")[0] == indexed_catalog["fund"].code


def test_a_synonym_that_finds_nothing_or_already_exists_is_refused(curator, indexed_catalog):
    miss = _missed("猫咪罐罐")
    with pytest.raises(InvalidInput) as refused:
        add_synonym_for_miss(actor=curator, miss_id=miss.pk, official="量子纠缠")
    assert refused.value.code == "official_finds_nothing"
    written = SearchMiss.objects.create(query="开饭店", region_code=GUANGAN_DISTRICT, count=1)
    with pytest.raises(InvalidInput) as exists:
        add_synonym_for_miss(actor=curator, miss_id=written.pk, official="营业执照")
    assert exists.value.code == "synonym_exists"


def test_a_citizen_and_a_window_clerk_are_refused(indexed_catalog):
    miss = _missed("储蓄罐")
    clerk = StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK, department=indexed_catalog["fund"].department)
    for actor in (UserFactory(level3=True), clerk.user, None):
        with pytest.raises(PermissionDenied):
            add_synonym_for_miss(actor=actor, miss_id=miss.pk, official="公积金提取")
        with pytest.raises(PermissionDenied):
            add_keyword_for_miss(actor=actor, miss_id=miss.pk, implementation_id=indexed_catalog["fund"].pk)
    assert not LearnedKeyword.objects.exists()


def test_a_curator_of_another_region_or_department_is_refused(curator, indexed_catalog):
    miss = _missed("储蓄罐")
    # a data administrator in 湘潭县 does not see 广安区's misses
    elsewhere = StaffAssignmentFactory(
        role=StaffRole.DATA_ADMIN, department=department_in(XIANGTAN_COUNTY, "住房公积金管理中心")
    ).user
    assert not list_misses_for_curator(actor=elsewhere).exists()
    with pytest.raises(NotFound):
        add_keyword_for_miss(actor=elsewhere, miss_id=miss.pk, implementation_id=indexed_catalog["fund"].pk)
    with pytest.raises(NotFound):
        add_synonym_for_miss(actor=elsewhere, miss_id=miss.pk, official="公积金提取")
    # 广安区's fund curator may not add keywords to the police's implementation
    with pytest.raises(NotFound) as refused:
        add_keyword_for_miss(actor=curator, miss_id=miss.pk, implementation_id=indexed_catalog["id_card"].pk)
    assert refused.value.code == "implementation_not_found"
    assert not LearnedKeyword.objects.exists()


def test_the_keyword_picker_offers_only_the_curators_implementations(curator, indexed_catalog):
    miss = SearchMiss.objects.create(query="公积金 取钱", region_code=GUANGAN_DISTRICT, count=3)
    candidates = list_keyword_candidates(actor=curator, miss=miss)
    assert [implementation.pk for implementation in candidates] == [indexed_catalog["fund"].pk]


def test_the_miss_screen_turns_a_row_into_a_keyword(
    client, curator, indexed_catalog, django_capture_on_commit_callbacks
):
    fund = indexed_catalog["fund"]
    miss = _missed("储蓄罐")
    login_with_second_factor(client, curator)
    page = client.get("/search-misses/")
    assert page.status_code == 200 and "储蓄罐" in page.content.decode()
    detail = client.get(f"/search-misses/{miss.pk}")
    assert fund.name in detail.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/search-misses/{miss.pk}/keyword", {f"m{miss.pk}-implementation": fund.pk})
    assert response.status_code == 302
    assert _top_codes("储蓄罐")[0] == fund.code


def test_the_miss_screen_is_closed_to_citizens_and_other_staff(client, indexed_catalog):
    miss = _missed("储蓄罐")
    citizen = UserFactory(level3=True)
    client.force_login(citizen)
    assert client.get("/search-misses/").status_code == 403
    clerk = StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK, department=indexed_catalog["fund"].department)
    login_with_second_factor(client, clerk.user)
    assert client.get("/search-misses/").status_code == 403
    response = client.post(f"/search-misses/{miss.pk}/synonym", {f"m{miss.pk}-official": "公积金提取"})
    assert response.status_code == 302
    assert not SearchMiss.objects.get(pk=miss.pk).resolution


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=80))
def test_the_official_words_are_normalized_or_refused(text):
    try:
        official = checked_official(text)
    except InvalidInput as refused:
        assert refused.code in {"empty_official", "official_too_long"}
    else:
        assert official and official == analysis.normalize_text(official) and len(official) <= 60


@settings(max_examples=40, deadline=None)
@given(official=st.text(max_size=80), implementation=st.text(max_size=20))
def test_the_forms_accept_or_explain_any_input(official, implementation):
    synonym = SynonymForm({"official": official})
    assert synonym.is_valid() or "official" in synonym.errors
    keyword = KeywordForm({"implementation": implementation})
    if keyword.is_valid():
        assert 1 <= keyword.cleaned_data["implementation"] < 2**31
    else:
        assert "implementation" in keyword.errors


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(official=st.text(max_size=70))
def test_the_synonym_service_answers_any_official_words_with_a_domain_error_at_worst(curator, official):
    miss = SearchMiss.objects.get_or_create(query="猫咪罐罐", region_code=GUANGAN_DISTRICT)[0]
    try:
        add_synonym_for_miss(actor=curator, miss_id=miss.pk, official=official)
    except (DomainError, ValidationError) as error:
        assert isinstance(error, DomainError)
