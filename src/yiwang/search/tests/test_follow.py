"""Several nodes agree: each node's index follows the search change log (ADR 0013).

Two index holders run in this process: node A and node B, each with its own index directory (what two
machines have), against one database. An edit made through A reaches B's search results when B applies
the log, without a rebuild.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from yiwang.catalog.services import delete_catalog_records, record_view, save_catalog_record
from yiwang.search.backends import get_backend
from yiwang.search.backends.tantivy_backend import TantivyBackend
from yiwang.search.constants import IndexChangeKind
from yiwang.search.learned import learned_synonyms_path
from yiwang.search.models import LearnedSynonym, SearchChange
from yiwang.search.selectors import search_catalog, suggest
from yiwang.search.services import follow, rebuild_search_index

from .conftest import implementation

pytestmark = pytest.mark.django_db


@pytest.fixture
def nodes(settings, tmp_path):
    """Switch this process between node A's and node B's index directory."""

    @contextmanager
    def on(name: str):
        previous = settings.SEARCH_INDEX_DIR
        settings.SEARCH_INDEX_DIR = tmp_path / f"node-{name}"
        try:
            yield get_backend()
        finally:
            settings.SEARCH_INDEX_DIR = previous

    return on


@pytest.fixture
def two_nodes(indexed_catalog, nodes):
    """Both nodes built their index from the catalog (each records its log position with it)."""
    for name in ("a", "b"):
        with nodes(name):
            rebuild_search_index()
    return indexed_catalog


def codes(query: str) -> set[str]:
    return {hit.code for hit in search_catalog(query=query).results}


def rename(record, name: str, django_capture_on_commit_callbacks) -> None:
    """A staff edit through the catalog's service (it announces; the log entry commits with it)."""
    record.name = name
    with django_capture_on_commit_callbacks(execute=True):
        save_catalog_record(record=record, changed=["name"])


def test_an_edit_on_one_node_is_found_on_the_other_after_it_applies_the_log(
    two_nodes, nodes, django_capture_on_commit_callbacks, monkeypatch
):
    food = two_nodes["food_change"]
    with nodes("b"):
        assert codes("小餐饮") == set()  # and the page is now in node B's result cache
    with nodes("a"):
        rename(food, "小餐饮登记变更", django_capture_on_commit_callbacks)
        assert codes("小餐饮") == {food.code}  # the editing node applied it after the commit
    with nodes("b"):
        assert codes("小餐饮") == set()  # B has not looked at the log yet
        monkeypatch.setattr(TantivyBackend, "rebuild", lambda *a, **k: pytest.fail("no rebuild"))
        result = follow.apply_pending()
        assert result.applied == 1 and not result.rebuilt
        assert codes("小餐饮") == {food.code}  # the cached page of the same query did not hide it
        assert "小餐饮登记变更" in suggest(query="xcy")


def test_an_unpublished_or_deleted_implementation_leaves_the_other_node(
    two_nodes, nodes, django_capture_on_commit_callbacks
):
    hukou, fund = two_nodes["hukou"], two_nodes["fund"]
    with nodes("a"):
        hukou.is_active = False
        with django_capture_on_commit_callbacks(execute=True):
            save_catalog_record(record=hukou, changed=["is_active"])
            delete_catalog_records(records=[fund])
    with nodes("b"):
        assert hukou.code in codes("户口迁移") and fund.code in codes("公积金")
        follow.apply_pending()
        assert hukou.code not in codes("户口迁移")
        assert fund.code not in codes("公积金")
        assert "户口迁移" not in suggest(query="hkqy")
        assert "birth-bundle" in codes("出生")  # the bundle holding it was re-indexed, still found


def test_a_node_that_missed_several_changes_catches_up_and_applying_again_changes_nothing(
    two_nodes, nodes, django_capture_on_commit_callbacks
):
    with nodes("b"):
        before = follow.node_log_position()
    created = []
    with nodes("a"):
        for number, name in enumerate(["烟花爆竹零售经营许可", "犬只登记", "渔船检验"]):
            created.append(implementation(name, department=f"部门{number}"))
            with django_capture_on_commit_callbacks(execute=True):
                save_catalog_record(record=created[-1], changed=["name"])
        rename(two_nodes["food_change"], "小餐饮登记变更", django_capture_on_commit_callbacks)
    with nodes("b"):
        assert follow.is_behind()
        assert follow.apply_pending().applied == 4
        assert not follow.is_behind()
        found = {query: codes(query) for query in ("烟花爆竹", "犬只", "渔船", "小餐饮")}
        assert found == {
            "烟花爆竹": {created[0].code},
            "犬只": {created[1].code},
            "渔船": {created[2].code},
            "小餐饮": {two_nodes["food_change"].code},
        }
        # applying again changes nothing: nothing pending, and replaying every entry gives the same index
        assert follow.apply_pending().applied == 0
        get_backend().record_log_position(before.as_dict())
        assert follow.apply_pending().applied == 4
        assert {query: codes(query) for query in found} == found
        assert search_catalog(query="犬只登记").count == 1  # replaced, not added twice


def test_a_node_without_a_position_or_too_far_behind_rebuilds_only_where_allowed(
    two_nodes, nodes, django_capture_on_commit_callbacks
):
    with nodes("a"):
        rename(two_nodes["food_change"], "小餐饮登记变更", django_capture_on_commit_callbacks)
        rename(two_nodes["hukou"], "户籍迁移", django_capture_on_commit_callbacks)
    # node B was off longer than the retention: the entries it needs are pruned
    SearchChange.objects.update(created_at=timezone.now() - follow.RETENTION - dt.timedelta(hours=1))
    assert follow.prune_change_log() == 1  # the newest stays: it tells how far the log reached
    with nodes("b"):
        assert follow.apply_pending(allow_rebuild=False).needs_rebuild  # a request never rebuilds
        assert codes("小餐饮") == set()
        result = follow.apply_pending()
        assert result.rebuilt
        assert codes("小餐饮") == {two_nodes["food_change"].code}
        assert two_nodes["hukou"].code in codes("户籍迁移")
        assert not follow.is_behind()
    with nodes("c"):  # a new node: its first follow builds the index
        assert follow.node_log_position() is None
        assert follow.apply_pending().rebuilt
        assert two_nodes["hukou"].code in codes("户籍迁移")


def test_a_learned_synonym_reaches_the_other_nodes_analysis_and_suggestions(two_nodes, nodes):
    with nodes("a"), transaction.atomic():
        LearnedSynonym.objects.create(phrase="取公积金", official="住房公积金提取")
        follow.record_change(kind=IndexChangeKind.SYNONYMS, payload={"phrases": ["取公积金"]})
    with nodes("b"):
        follow.apply_pending()
        assert json.loads(learned_synonyms_path().read_text(encoding="utf-8")) == {
            "取公积金": "住房公积金提取"
        }
        assert two_nodes["fund"].code in codes("取公积金")
        assert "取公积金" in suggest(query="qgjj")


def test_guide_views_are_logged_in_batches_and_lift_popularity_on_the_other_node(
    two_nodes, nodes, monkeypatch
):
    hukou = two_nodes["hukou"]
    monkeypatch.setattr(follow, "POPULARITY_FLUSH_SECONDS", 3600.0)
    follow.flush_views()
    entries = SearchChange.objects.count()
    for _view in range(3):
        follow.record_views(implementation_ids=[hukou.pk])
    assert SearchChange.objects.count() == entries  # gathered in memory, not one row per view
    type(hukou).objects.filter(pk=hukou.pk).update(view_count=10_000)
    assert follow.flush_views()
    assert SearchChange.objects.latest("pk").payload == {"implementation_ids": [hukou.pk]}
    with nodes("b"):
        before = [hit.visits for hit in search_catalog(query="户口迁移").results]
        follow.apply_pending()
        # the suggestion's popularity follows the view count: first among names starting with 户
        assert suggest(query="户", limit=1) == ["户口迁移"]
        assert [hit.visits for hit in search_catalog(query="户口迁移").results] == before


def test_a_guide_view_is_gathered_for_the_log(
    indexed_catalog, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(follow, "_views", follow._ViewBatch())
    with django_capture_on_commit_callbacks(execute=True):
        record_view(implementation=indexed_catalog["hukou"], bundle=indexed_catalog["bundle"])
    assert follow.flush_views()
    assert SearchChange.objects.latest("pk").payload == {
        "implementation_ids": [indexed_catalog["hukou"].pk],
        "bundle_ids": [indexed_catalog["bundle"].pk],
    }


def test_the_follower_command_builds_a_new_node_then_applies_what_other_nodes_change(
    indexed_catalog, nodes, django_capture_on_commit_callbacks
):
    with nodes("b"):
        out = StringIO()
        call_command("follow_search_index", stdout=out)  # a new node: its first follow builds the index
        assert "rebuilt" in out.getvalue()
    with nodes("a"):
        rename(indexed_catalog["food_change"], "小餐饮登记变更", django_capture_on_commit_callbacks)
    with nodes("b"):
        out = StringIO()
        call_command("follow_search_index", stdout=out)
        assert out.getvalue().startswith("applied 1 entries (1 indexed")
        assert codes("小餐饮") == {indexed_catalog["food_change"].code}


def test_catch_up_if_due_looks_at_most_once_per_interval(
    two_nodes, nodes, django_capture_on_commit_callbacks, django_assert_num_queries
):
    with nodes("a"):
        rename(two_nodes["food_change"], "小餐饮登记变更", django_capture_on_commit_callbacks)
    with nodes("b"):
        assert follow.catch_up_if_due(interval=0.0)
        assert codes("小餐饮") == {two_nodes["food_change"].code}
        with django_assert_num_queries(0):
            assert not follow.catch_up_if_due(interval=3600.0)
        with django_assert_num_queries(1):  # up to date: one SELECT max(id)
            assert not follow.catch_up_if_due(interval=0.0)


# PostgreSQL: commits out of id order, real transactions -------------------------------------------------

# PostgreSQL-only: SQLite runs one writer at a time, so its ids commit in order (deselected on SQLite).
postgresql_only = pytest.mark.pg


def settled_position(timeout: float = 60.0):
    """Apply until no id is awaited: every transaction running when an id was missed (on the whole server,
    other test runs included) has ended."""
    deadline = time.monotonic() + timeout
    while True:
        follow.apply_pending()
        position = follow.node_log_position()
        if not position.missing or time.monotonic() > deadline:
            return position
        time.sleep(0.2)


@contextmanager
def change_held_open(*, then: str = "commit"):
    """Another connection inserts a log entry (a smaller id) and keeps its transaction open until asked."""
    inserted, finish = threading.Event(), threading.Event()
    holder: dict = {}

    def run() -> None:
        try:
            with transaction.atomic():
                holder["row"] = follow.record_change(kind=IndexChangeKind.CATALOG, payload=holder["payload"])
                inserted.set()
                finish.wait(30)
                if then == "rollback":
                    transaction.set_rollback(True)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    holder["start"] = lambda payload: (holder.update(payload=payload), thread.start(), inserted.wait(30))
    try:
        yield holder
    finally:
        finish.set()
        thread.join(30)


@pytest.mark.slow
@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_an_id_committed_after_a_bigger_one_is_not_skipped(catalog, nodes):
    hukou, food = catalog["hukou"], catalog["food_change"]
    with nodes("b"):
        rebuild_search_index()
    hukou.__class__.objects.filter(pk=hukou.pk).update(name="户籍迁入")
    type(food).objects.filter(pk=food.pk).update(name="小餐饮登记变更")
    with change_held_open() as held:
        held["start"]({"implementation_ids": [hukou.pk]})  # takes the smaller id, commits later
        with transaction.atomic():
            bigger = follow.record_change(
                kind=IndexChangeKind.CATALOG, payload={"implementation_ids": [food.pk]}
            )
        assert bigger.pk > held["row"].pk
        with nodes("b"):
            follow.apply_pending()
            assert codes("小餐饮") == {food.code}
            position = follow.node_log_position()
            assert position.top == bigger.pk and held["row"].pk in position.missing  # awaited, not skipped
            assert hukou.code not in codes("户籍迁入")
    # the smaller id has committed now
    with nodes("b"):
        follow.apply_pending()
        assert hukou.code in codes("户籍迁入")
        assert settled_position().missing == {}


@pytest.mark.slow
@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_rolled_back_id_stops_being_awaited(catalog, nodes):
    with nodes("b"):
        rebuild_search_index()
    with change_held_open(then="rollback") as held:
        held["start"]({"implementation_ids": [catalog["hukou"].pk]})
        with transaction.atomic():
            follow.record_change(
                kind=IndexChangeKind.CATALOG, payload={"implementation_ids": [catalog["fund"].pk]}
            )
        with nodes("b"):
            follow.apply_pending()
            assert held["row"].pk in follow.node_log_position().missing
    with nodes("b"):
        assert settled_position().missing == {}
        assert not follow.is_behind()


@pytest.mark.slow
@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_two_index_holders_agree_through_committed_edits(catalog, nodes):
    """The issue's test: two index directories, one PostgreSQL; an edit through A is found through B."""
    food = catalog["food_change"]
    for name in ("a", "b"):
        with nodes(name):
            rebuild_search_index()
    with nodes("a"):
        food.name = "小餐饮登记变更"
        save_catalog_record(record=food, changed=["name"])  # commits; node A applies after the commit
        assert codes("小餐饮") == {food.code}
    with nodes("b"):
        assert codes("小餐饮") == set()
        assert follow.apply_pending().applied == 1
        assert codes("小餐饮") == {food.code}
    with nodes("a"):
        delete_catalog_records(records=[food])
    with nodes("b"):
        follow.apply_pending()
        assert codes("小餐饮") == set()
        assert not follow.is_behind()
