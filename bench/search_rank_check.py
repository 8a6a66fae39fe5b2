"""Do two rankings give the same pages? The checks behind bench/README.md "Popularity applied to the top N".

On the bench index (var/bench), for the searches ``search_catalog`` makes for the realistic bench queries:

- ``top-n``: today's ranking (tantivy weighs every match by popularity) against the best N by text score
  re-sorted in Python with the same factor (log2(2 + boost)): pages 1 identical, for several N;
- ``compound``: the compound-word query as it was ("whole word or all parts") against today's ("parts
  required, whole word optional"): pages 1 and 2 and counts identical.

    .venv/bin/python bench/search_rank_check.py [--queries 2000] [--check top-n|compound]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog_generator


def _requests(count: int) -> list:
    import search_bench

    from yiwang.search.backends import get_backend
    from yiwang.search.selectors import search_catalog

    backend, requests = get_backend(), []
    search = backend.search

    def capture(*, request):
        requests.append(request)
        return search(request=request)

    backend.search = capture
    try:
        for text, region in search_bench.realistic_queries(count):
            search_catalog(query=text, region_code=region)
    finally:
        backend.search = search
    return requests


def _addresses(hits) -> list[tuple[int, int]]:
    return [(address.segment_ord, address.doc) for _score, address in hits]


def top_n(searcher, queries, sizes=(100, 200, 400)) -> None:
    for size in sizes:
        same = 0
        for query in queries:
            today = searcher.search(query, limit=20, count=True, weight_by_field="boost")
            best = searcher.search(query, limit=size, count=True).hits
            boosts = searcher.fast_field_values("boost", [address for _score, address in best])
            weighed = sorted(
                (
                    (-score * math.log2(2.0 + (boost or 0.0)), address.segment_ord, address.doc)
                    for (score, address), boost in zip(best, boosts, strict=True)
                )
            )
            same += _addresses(today.hits) == [(ordinal, doc) for _s, ordinal, doc in weighed[:20]]
        print(f"top {size} by text score, re-sorted: page 1 identical for {same} of {len(queries)} searches")


def compound(searcher, requests) -> None:
    from tantivy import Occur, Query

    from yiwang.search.backends import tantivy_queries
    from yiwang.search.backends.tantivy_documents import catalog_schema

    schema = catalog_schema()
    today = [tantivy_queries.build_query(schema, request) for request in requests]
    word_query = tantivy_queries._word_query

    def whole_or_parts(schema, word):
        direct = tantivy_queries._token_query(schema, word.text)
        if not word.parts:
            return direct
        parts = [tantivy_queries._token_query(schema, part) for part in word.parts]
        every = Query.boolean_query([(Occur.Must, part) for part in parts]) if len(parts) > 1 else parts[0]
        return Query.boolean_query([(Occur.Should, direct), (Occur.Should, every)])

    tantivy_queries._word_query = whole_or_parts
    tantivy_queries._text_query.cache_clear()
    try:
        before = [tantivy_queries.build_query(schema, request) for request in requests]
    finally:
        tantivy_queries._word_query = word_query
        tantivy_queries._text_query.cache_clear()
    same = counts = pages = 0
    for old, new in zip(before, today, strict=True):
        for offset in (0, 20):
            first = searcher.search(old, limit=20, offset=offset, count=True, weight_by_field="boost")
            second = searcher.search(new, limit=20, offset=offset, count=True, weight_by_field="boost")
            pages += 1
            counts += first.count == second.count
            same += _addresses(first.hits) == _addresses(second.hits)
    print(f"compound words: {same} of {pages} pages identical, {counts} counts equal")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--check", choices=("top-n", "compound", "both"), default="both")
    arguments = parser.parse_args()
    catalog_generator.setup_django()
    from yiwang.search.backends import get_backend
    from yiwang.search.backends.tantivy_documents import catalog_schema
    from yiwang.search.backends.tantivy_queries import build_query

    requests = _requests(arguments.queries)
    searcher = get_backend()._current().catalog.searcher()
    if arguments.check in ("top-n", "both"):
        top_n(searcher, [build_query(catalog_schema(), request) for request in requests])
    if arguments.check in ("compound", "both"):
        compound(searcher, requests)


if __name__ == "__main__":
    main()
