"""Ranking among equally matching documents, pages that continue each other, hits after an edit.

The same service is implemented in many regions with the same name: their text scores are equal, and
popularity alone orders them. These tests use the tantivy backend directly (no database).
"""

from __future__ import annotations

from yiwang.search.analysis import analyze_query
from yiwang.search.backends.base import SearchDocument, SearchRequest
from yiwang.search.backends.tantivy_backend import TantivyBackend


def implementation(number: int, *, popularity: int, name: str = "营业执照办理") -> SearchDocument:
    return SearchDocument(
        kind="implementation",
        pk=number,
        code=f"impl-{number:03d}",
        name=name,
        url=f"/items/impl-{number:03d}",
        department_name="市场监督管理局",
        region_name="某县",
        popularity=popularity,
    )


def request(query: str, *, limit: int = 20, offset: int = 0) -> SearchRequest:
    return SearchRequest(clauses=tuple(analyze_query(query).clauses), limit=limit, offset=offset)


def backend_with(tmp_path, documents: list[SearchDocument]) -> TantivyBackend:
    backend = TantivyBackend(index_dir=tmp_path / "ranking-index")
    backend.rebuild(documents=documents, suggestions=list)
    return backend


def test_a_popular_document_outranks_an_equally_matching_unpopular_one(tmp_path):
    # given two implementations with the same text, the popular one indexed last (document order favours
    # the first one when scores are equal)
    unpopular, popular = implementation(1, popularity=0), implementation(2, popularity=5_000)
    backend = backend_with(tmp_path, [unpopular, popular])
    # when someone searches for their name
    page = backend.search(request=request("营业执照"))
    # then the popular one comes first, lifted by at most 30 %
    assert [hit.code for hit in page.hits] == [popular.code, unpopular.code]
    assert page.hits[1].score < page.hits[0].score <= 1.3 * page.hits[1].score


def test_page_two_continues_page_one_without_duplicates(tmp_path):
    # given 45 equally matching implementations of distinct popularity, indexed in no particular order
    popularity = [(number * 37) % 45 * 100 for number in range(45)]
    documents = [implementation(number, popularity=popularity[number]) for number in range(45)]
    backend = backend_with(tmp_path, documents)
    # when the three pages of 20 are read
    pages = [backend.search(request=request("营业执照", offset=offset)) for offset in (0, 20, 40)]
    # then every page counts all 45, and together they list each one once, most popular first
    assert [page.count for page in pages] == [45, 45, 45]
    assert [len(page.hits) for page in pages] == [20, 20, 5]
    shown = [hit.code for page in pages for hit in page.hits]
    by_popularity = sorted(documents, key=lambda document: -document.popularity)
    assert shown == [document.code for document in by_popularity]
    # and a page asked on its own is the same slice of the one longer page
    assert [hit.code for hit in backend.search(request=request("营业执照", limit=40)).hits] == shown[:40]


def test_an_edited_document_shows_its_new_name_at_once(tmp_path):
    # given a hit already shown (what hits show is kept per index state)
    backend = backend_with(tmp_path, [implementation(1, popularity=10), implementation(2, popularity=0)])
    assert backend.search(request=request("营业执照")).hits[0].name == "营业执照办理"
    # when an administrator renames it and the change is indexed
    backend.index(documents=[implementation(1, popularity=10, name="营业执照办理（个体工商户）")])
    # then the next search shows the new name, not the one read before
    hits = backend.search(request=request("营业执照")).hits
    renamed = {"impl-001": "营业执照办理（个体工商户）", "impl-002": "营业执照办理"}
    assert {hit.code: hit.name for hit in hits} == renamed
    # and after a rebuild, where the same document addresses now hold other documents
    others = [implementation(3, popularity=10), implementation(4, popularity=0)]
    backend.rebuild(documents=others, suggestions=list)
    assert {hit.code for hit in backend.search(request=request("营业执照")).hits} == {"impl-003", "impl-004"}
