"""The tantivy backend (BM25): a catalog index and a suggestion index per generation directory."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from yiwang.core.lru import LRU

from . import register
from .base import BackendPage, IndexStats, SearchBackend, SearchDocument, SearchRequest, Suggestion
from .generations import GenerationStore, Marker, file_marker
from .tantivy_documents import (
    CATALOG_ORIGIN,
    FIELD_SEPARATOR,
    MAX_PREFIX_LENGTH,
    PREFIX_TOKENIZER,
    catalog_schema,
    compact_key,
    hit_from_payload,
    payload_of,
    prefix_analyzer,
    suggestion_names_of,
    suggestion_schema,
    suggestion_to_tantivy,
    to_tantivy,
)
from .tantivy_queries import build_query

CATALOG_DIR, SUGGESTIONS_DIR = "catalog", "suggestions"
WRITER_HEAP_BYTES = 200_000_000
UPDATE_HEAP_BYTES = 50_000_000


def _any_of(queries: list[Query]) -> Query:
    return Query.boolean_query([(Occur.Should, query) for query in queries])


def _open_index(path: Path, schema: tantivy.Schema) -> tantivy.Index:
    path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(schema, path=str(path), reuse=True)
    index.register_tokenizer(PREFIX_TOKENIZER, prefix_analyzer())
    return index


@dataclass
class _ReaderIndex:
    """One opened index and the marker of the commit it shows."""

    index: tantivy.Index
    meta: Path
    marker: Marker | None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, path: Path, schema: tantivy.Schema) -> _ReaderIndex:
        index = _open_index(path, schema)
        index.config_reader(reload_policy="manual")
        return cls(index=index, meta=path / "meta.json", marker=file_marker(path / "meta.json"))

    def searcher(self) -> tantivy.Searcher:
        marker = file_marker(self.meta)
        if marker != self.marker:  # a writer committed (in this process or another): see it
            self.index.reload()
            self.marker = marker
        return self.index.searcher()

    def pinned_searcher(self) -> tuple[tantivy.Searcher, Marker | None]:
        """A searcher and the commit it shows, taken together (document addresses hold only there)."""
        with self.lock:
            return self.searcher(), self.marker


RESULT_CACHE_ENTRIES = 4096


SHOWN_CACHE_ENTRIES = 10_000  # one string of ~0.4 KB each: ~5 MB a process at most


class ShownCache:
    """Stored payloads of hits by (index state, document address): emptied when full, no LRU bookkeeping."""

    def __init__(self, *, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: dict = {}

    def get(self, key):
        return self._entries.get(key)

    def put(self, key, payload):
        if len(self._entries) >= self.max_entries:
            self._entries = {}  # also drops the entries of index states no longer shown
        self._entries[key] = payload
        return payload


@dataclass
class _Generation:
    marker: Marker | None
    catalog: _ReaderIndex
    suggestions: _ReaderIndex


@register("tantivy")
class TantivyBackend(SearchBackend):
    def __init__(self, *, index_dir: Path) -> None:
        super().__init__(index_dir=index_dir)
        self.store = GenerationStore(self.index_dir)
        self._generation: _Generation | None = None
        self._lock = threading.Lock()
        # Popular queries repeat: their pages are kept per process, derived from (and keyed by) the index.
        self._results = LRU(max_entries=RESULT_CACHE_ENTRIES)  # result pages (ADR 0004)
        self._shown = ShownCache(max_entries=SHOWN_CACHE_ENTRIES)

    # Reading -----------------------------------------------------------------------------------------

    def _current(self) -> _Generation:
        """The published generation, reopened when ``CURRENT`` changed (one stat per call)."""
        marker = self.store.marker()
        if marker is None:
            self._publish_empty()
            marker = self.store.marker()
        with self._lock:
            if self._generation is None or self._generation.marker != marker:
                path = self.store.current()
                self._generation = _Generation(
                    marker=marker,
                    catalog=_ReaderIndex.open(path / CATALOG_DIR, catalog_schema()),
                    suggestions=_ReaderIndex.open(path / SUGGESTIONS_DIR, suggestion_schema()),
                )
            return self._generation

    def _publish_empty(self) -> None:
        with self.store.writer_lock():
            if self.store.marker() is None:
                self._publish_empty_locked()

    def search(self, *, request: SearchRequest) -> BackendPage:
        if not request.clauses:
            return BackendPage(count=0, hits=[])
        current = self._current()
        searcher, commit = current.catalog.pinned_searcher()  # reloads first when a writer committed
        # The index state is part of the key: any commit or new generation makes old entries unreachable.
        state = (current.marker, commit)
        key = (state, request)
        cached = self._results.get(key)
        if cached is None:
            cached = self._search(searcher, state, request)
            self._results.put(key, cached)
        return cached

    def _search(self, searcher: tantivy.Searcher, state: tuple, request: SearchRequest) -> BackendPage:
        schema = catalog_schema()
        result = searcher.search(
            build_query(schema, request),
            limit=request.limit,
            offset=request.offset,
            count=True,
            weight_by_field="boost",
        )
        shown = self._shown
        hits = []
        for score, address in result.hits:
            # What a hit shows, by document address within this index state: popular services are on
            # many result pages, and reading a stored document (decompressing its block) costs ~15 µs.
            key = (state, address.segment_ord, address.doc)
            payload = shown.get(key)
            if payload is None:
                payload = shown.put(key, FIELD_SEPARATOR.join(payload_of(searcher.doc(address))))
            hits.append(hit_from_payload(payload.split(FIELD_SEPARATOR), score))
        return BackendPage(count=result.count or 0, hits=hits)

    def suggest(self, *, prefix: str, limit: int) -> list[str]:
        key = compact_key(prefix)
        if key.isascii():
            key = "".join(char for char in key if char.isalnum())
        if not key:
            return []
        searcher = self._current().suggestions.searcher()
        query = Query.term_query(suggestion_schema(), "keys", key[:MAX_PREFIX_LENGTH])
        candidates = []
        for popularity, address in searcher.search(query, limit=limit * 5, order_by_field="popularity").hits:
            stored = searcher.doc(address)
            forms = stored.get_all("forms")
            text = stored.get_first("text")
            starts = any(form.startswith(key) for form in forms)
            if len(key) > MAX_PREFIX_LENGTH and not starts:
                continue
            candidates.append((not starts, -int(popularity), len(text), text))
        return [text for *_, text in sorted(candidates)[:limit]]

    # Writing -----------------------------------------------------------------------------------------

    def rebuild(
        self,
        *,
        documents: Iterable[SearchDocument],
        suggestions: Callable[[], Iterable[Suggestion]],
        log_position: dict | None = None,
    ) -> IndexStats:
        started = time.perf_counter()
        with self.store.writer_lock():
            generation = self.store.new_generation()
            count = self._write_all(generation / CATALOG_DIR, catalog_schema(), map(to_tantivy, documents))
            suggestion_count = self._write_all(
                generation / SUGGESTIONS_DIR, suggestion_schema(), map(suggestion_to_tantivy, suggestions())
            )
            if log_position is not None:  # published with its documents: never one without the other
                self.store.write_log_position(generation, log_position)
            self.store.publish(generation)
        size = sum(path.stat().st_size for path in generation.rglob("*") if path.is_file())
        return IndexStats(
            documents=count,
            suggestions=suggestion_count,
            seconds=time.perf_counter() - started,
            size_bytes=size,
            location=str(generation),
        )

    @staticmethod
    def _write_all(path: Path, schema: tantivy.Schema, documents: Iterable[tantivy.Document]) -> int:
        writer = _open_index(path, schema).writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        count = 0
        for document in documents:
            writer.add_document(document)
            count += 1
        writer.commit()
        writer.wait_merging_threads()
        return count

    def writing(self, *, blocking: bool = True):
        return self.store.writer_lock(blocking=blocking)

    def log_position(self) -> dict | None:
        return self.store.read_log_position(self.store.current())

    def record_log_position(self, position: dict) -> None:
        with self.store.writer_lock():
            self.store.write_log_position(self._current_for_writing(), position)

    def index(self, *, documents: Sequence[SearchDocument], suggestions: Sequence[Suggestion] = ()) -> None:
        self._update(remove=[document.key for document in documents], add=documents, suggestions=suggestions)

    def delete(self, *, keys: Sequence[str]) -> None:
        self._update(remove=keys, add=(), suggestions=())

    def _update(
        self, *, remove: Sequence[str], add: Sequence[SearchDocument], suggestions: Sequence[Suggestion]
    ) -> None:
        if not remove and not add and not suggestions:
            return
        with self.store.writer_lock():
            generation = self._current_for_writing()
            catalog = _open_index(generation / CATALOG_DIR, catalog_schema())
            previous_names = self._suggestion_names(catalog, remove)
            writer = catalog.writer(heap_size=UPDATE_HEAP_BYTES, num_threads=1)
            for key in remove:
                writer.delete_documents_by_term("key", key)
                writer.delete_documents_by_term("code_key", key)
            for document in add:
                writer.add_document(to_tantivy(document))
            writer.commit()
            writer.wait_merging_threads()
            catalog.reload()
            orphans = [name for name in previous_names if not self._is_name_used(catalog, name)]
            self._update_suggestions(generation, orphans=orphans, suggestions=suggestions)

    def _current_for_writing(self) -> Path:
        if self.store.marker() is None:
            self._publish_empty_locked()
        return self.store.current()

    def _publish_empty_locked(self) -> None:
        generation = self.store.new_generation()
        _open_index(generation / CATALOG_DIR, catalog_schema())
        _open_index(generation / SUGGESTIONS_DIR, suggestion_schema())
        self.store.publish(generation)

    @staticmethod
    def _suggestion_names(catalog: tantivy.Index, keys: Sequence[str]) -> set[str]:
        """The names the documents about to be replaced lend to suggestions."""
        searcher = catalog.searcher()
        names: set[str] = set()
        schema = catalog_schema()
        for key in keys:
            query = _any_of([Query.term_query(schema, "key", key), Query.term_query(schema, "code_key", key)])
            for _score, address in searcher.search(query, limit=10, count=False).hits:
                names.update(suggestion_names_of(payload_of(searcher.doc(address))))
        return names

    @staticmethod
    def _is_name_used(catalog: tantivy.Index, name: str) -> bool:
        # A search, not doc_freq: term statistics still count deleted documents until segments merge.
        query = Query.term_query(catalog_schema(), "suggestion_name", name)
        return bool(catalog.searcher().search(query, limit=1, count=True).count)

    @staticmethod
    def _update_suggestions(
        generation: Path, *, orphans: Sequence[str], suggestions: Sequence[Suggestion]
    ) -> None:
        if not orphans and not suggestions:
            return
        schema = suggestion_schema()
        writer = _open_index(generation / SUGGESTIONS_DIR, schema).writer(
            heap_size=UPDATE_HEAP_BYTES, num_threads=1
        )
        for name in orphans:
            writer.delete_documents_by_query(
                Query.boolean_query(
                    [
                        (Occur.Must, Query.term_query(schema, "text", name)),
                        (Occur.Must, Query.term_query(schema, "origin", CATALOG_ORIGIN)),
                    ]
                )
            )
        for suggestion in suggestions:
            writer.delete_documents_by_term("text", suggestion.text)
            writer.add_document(suggestion_to_tantivy(suggestion))
        writer.commit()
        writer.wait_merging_threads()
