"""Index maintenance: catalog changes reach the index through a task; rebuilds switch atomically."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from yiwang.catalog.constants import OnlineDepth
from yiwang.core.changes import CATALOG_CHANGED, announce, subscribers
from yiwang.search.backends import get_backend
from yiwang.search.backends.tantivy_backend import TantivyBackend
from yiwang.search.selectors import search_catalog, suggest
from yiwang.search.services import rebuild_search_index, reindex_catalog_entries
from yiwang.search.tasks import on_catalog_changed

from .conftest import implementation

pytestmark = pytest.mark.django_db


def codes(query: str) -> set[str]:
    return {hit.code for hit in search_catalog(query=query).results}


def test_search_subscribes_to_catalog_changes():
    assert on_catalog_changed in subscribers(CATALOG_CHANGED)


def test_an_announced_change_is_searchable_after_commit(indexed_catalog, django_capture_on_commit_callbacks):
    # given a new implementation the index does not know yet
    created = implementation("烟花爆竹零售经营许可", department="应急管理局")
    assert codes("烟花爆竹") == set()
    # when the catalog announces it and the transaction commits (the task runs in-process here)
    with django_capture_on_commit_callbacks(execute=True):
        announce(CATALOG_CHANGED, implementation_ids=[created.pk], bundle_ids=[])
    # then it is found, and suggested
    assert codes("烟花爆竹") == {created.code}
    assert "烟花爆竹零售经营许可" in suggest(query="yhbz")


def test_nothing_changes_before_the_commit(indexed_catalog, django_capture_on_commit_callbacks):
    created = implementation("烟花爆竹零售经营许可", department="应急管理局")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        announce(CATALOG_CHANGED, implementation_ids=[created.pk])
    assert len(callbacks) == 1
    assert codes("烟花爆竹") == set()


def test_a_deactivated_implementation_leaves_the_index_and_its_name_the_suggestions(indexed_catalog):
    hukou = indexed_catalog["hukou"]
    hukou.is_active = False
    hukou.save(update_fields=["is_active"])
    summary = reindex_catalog_entries(implementation_ids=[hukou.pk])
    assert summary.removed == 1
    assert hukou.code not in codes("户口迁移")
    assert "户口迁移" not in suggest(query="hkqy")
    # the bundle that contains it is re-indexed too and still found
    assert "birth-bundle" in codes("出生")


def test_a_renamed_implementation_is_found_by_its_new_name(indexed_catalog):
    food = indexed_catalog["food_change"]
    food.name = "小餐饮登记变更"
    food.save(update_fields=["name"])
    reindex_catalog_entries(implementation_codes=[food.code])
    assert food.code in codes("小餐饮")
    assert "小餐饮登记变更" in suggest(query="xcy")


def test_online_depth_changes_reach_the_filters(indexed_catalog):
    food = indexed_catalog["food_change"]
    food.online_depth = OnlineDepth.FULLY_ONLINE
    food.save(update_fields=["online_depth"])
    reindex_catalog_entries(implementation_ids=[food.pk])
    page = search_catalog(query="食品经营许可", online=True)
    assert food.code in {hit.code for hit in page.results}


def test_a_deleted_row_is_removed_by_id_or_code(indexed_catalog):
    bundle = indexed_catalog["bundle"]
    pk, code = bundle.pk, bundle.code
    bundle.delete()
    reindex_catalog_entries(bundle_ids=[pk])
    assert code not in codes("生孩子")
    reindex_catalog_entries(implementation_codes=["NO-SUCH-CODE"])  # unknown codes are harmless


def test_reindexing_is_idempotent(indexed_catalog):
    food = indexed_catalog["food"]
    for _ in range(3):
        reindex_catalog_entries(implementation_ids=[food.pk])
    assert search_catalog(query="食品经营许可证核发").count == 1


def test_another_process_sees_a_change_without_restarting(indexed_catalog):
    # given a reader in another process (its own backend instance) that has already searched
    other = TantivyBackend(index_dir=get_backend().index_dir)
    reader_request = _request("烟花爆竹")
    assert other.search(request=reader_request).count == 0
    # when this process indexes a change
    created = implementation("烟花爆竹零售经营许可", department="应急管理局")
    reindex_catalog_entries(implementation_ids=[created.pk])
    # then the other reader sees it on its next search
    assert other.search(request=reader_request).count == 1


def test_a_rebuild_switches_readers_to_a_new_generation(indexed_catalog):
    backend = get_backend()
    before = backend.store.current()
    created = implementation("烟花爆竹零售经营许可", department="应急管理局")
    stats = rebuild_search_index()
    assert backend.store.current() != before
    assert stats.documents == len(indexed_catalog) + 1
    assert codes("烟花爆竹") == {created.code}
    # the previous generation is kept for readers still on it; older ones are removed
    rebuild_search_index()
    generations = sorted(path.name for path in backend.index_dir.glob("generation-*"))
    assert len(generations) == 2


def test_the_rebuild_command(indexed_catalog, capsys):
    call_command("rebuild_search_index", "--no-progress")
    assert "indexed 13 documents" in capsys.readouterr().out


def _request(text: str):
    from yiwang.search.analysis import analyze_query
    from yiwang.search.backends.base import SearchRequest

    return SearchRequest(clauses=analyze_query(text).clauses)
