"""Every node's index follows the search change log (ADR 0013).

A catalog change, a learned synonym or keyword, or a batch of guide views writes one ``SearchChange`` row
in the transaction of the change. Each node keeps, with its index (``log-position.json`` in the published
generation), how far into the log its documents reach, and applies the newer rows: from the follower
loop (``manage.py follow_search_index --loop``, beside every web server and worker), right after a
commit on the node that made the change, and from ``catch_up_if_due`` (at most one cheap ``SELECT
max(id)`` per second per process), which the search request path may call.

Ids are handed out when a row is inserted, but transactions commit in any order on PostgreSQL: a bigger
id can be visible before a smaller one. A node therefore remembers the ids below its top it has not seen
("missing"), with the snapshot horizon of the moment it missed them, and keeps asking for them until
every transaction that was running then has ended (``pg_snapshot_xmin`` has passed the horizon): an id
still absent after that was rolled back and will never come. SQLite runs one writer at a time, so an id
missing there is already gone.

Applying a row re-reads the database (upsert what is live, remove what is gone): applying twice, or out
of order, gives the same index.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from ..backends import get_backend
from ..backends.base import SearchBackend, Suggestion
from ..constants import IndexChangeKind
from ..learned import write_learned_synonyms
from ..models import SearchChange

logger = logging.getLogger(__name__)

# A change naming more rows than this rebuilds the whole index instead (bulk imports), on every node.
MAX_ROWS_PER_REINDEX = 20_000
LOG_BATCH = 500  # log rows applied per round (one index commit each round)
MAX_MISSING = 10_000  # ids below the top awaited at most (each a rolled-back or still running transaction)
WAIT_WITHOUT_SNAPSHOTS = 60.0  # seconds a missing id is awaited where the database has no snapshot horizon
RETENTION = dt.timedelta(days=7)  # log rows older than this are pruned; a node further behind rebuilds
CHECK_INTERVAL = 1.0  # catch_up_if_due: at most one look at the log per second per process
POPULARITY_FLUSH_SECONDS = 60.0  # views are gathered in memory and logged at most once a minute per process
POSITION_VERSION = 1
ID_KEYS = ("implementation_ids", "item_ids", "bundle_ids")
CODE_KEYS = ("implementation_codes", "item_codes", "bundle_codes")


# Snapshot horizons -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Horizon:
    """Which transactions had ended when the log was read: every xid < ``xmin``; none from ``xmax`` on."""

    xmin: int
    xmax: int


def _horizon() -> Horizon | None:
    """The current snapshot's horizon on PostgreSQL; None where writers cannot overlap (SQLite)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # read who runs now, not at the transaction's start
        # The oldest transaction still running in this database, other than our own (a snapshot's xip
        # leaves ours out): only this database's transactions can write the log, and another database's
        # idle transaction must not hold the log back. xip holds 64-bit xids, pg_stat_activity 32-bit ones.
        cursor.execute(
            "SELECT pg_snapshot_xmax(s)::text::bigint,"
            " (SELECT min(x::text::bigint) FROM pg_snapshot_xip(s) AS x"
            "  WHERE x::text::bigint % 4294967296 IN (SELECT a.backend_xid::text::bigint"
            "   FROM pg_stat_activity AS a"
            "   WHERE a.datname = current_database() AND a.backend_xid IS NOT NULL))"
            " FROM pg_current_snapshot() AS s"
        )
        xmax, oldest_running = cursor.fetchone()
    return Horizon(xmin=int(oldest_running if oldest_running is not None else xmax), xmax=int(xmax))


def _awaited_until(horizon: Horizon | None) -> float | None:
    """What a newly missing id waits for: the horizon's xmax (PostgreSQL), nothing (SQLite), or a time."""
    if horizon is not None:
        return float(horizon.xmax)
    if connection.vendor == "sqlite":
        return None
    return -(time.time() + WAIT_WITHOUT_SNAPSHOTS)  # negative: a deadline in seconds, not an xid


def _still_awaited(until: float, horizon: Horizon | None) -> bool:
    if until < 0:
        return time.time() < -until
    return horizon is not None and horizon.xmin < until


# The position a node's index reaches ---------------------------------------------------------------------


@dataclass
class LogPosition:
    """Every log id ≤ ``top`` is in the index, except ``missing`` ones (id → what it waits for)."""

    top: int = 0
    missing: dict[int, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "version": POSITION_VERSION,
            "top": self.top,
            "missing": [[pk, until] for pk, until in sorted(self.missing.items())],
        }

    @classmethod
    def from_dict(cls, value: dict | None) -> LogPosition | None:
        if not value or value.get("version") != POSITION_VERSION:
            return None
        return cls(top=int(value["top"]), missing={int(pk): float(until) for pk, until in value["missing"]})

    @property
    def through(self) -> int:
        """Every id up to this one is settled (applied or never coming)."""
        return min(self.missing) - 1 if self.missing else self.top


def current_log_position() -> LogPosition:
    """Where the log stands now: what a rebuild that starts reading the catalog now will reach."""
    horizon = _horizon()
    top = SearchChange.objects.aggregate(top=Max("pk"))["top"] or 0
    position = LogPosition(top=top)
    until = _awaited_until(horizon)
    if until is not None and top:
        window = range(max(1, top - LOG_BATCH), top)
        seen = set(SearchChange.objects.filter(pk__in=list(window)).values_list("pk", flat=True))
        position.missing = {pk: until for pk in window if pk not in seen}
    return position


def node_log_position(backend: SearchBackend | None = None) -> LogPosition | None:
    return LogPosition.from_dict((backend or get_backend()).log_position())


# Writing the log (inside the change's transaction) --------------------------------------------------------


def _ensure_transaction_id() -> None:
    """Give the transaction its xid before the row takes its id, so the horizon covers every smaller id."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")


def record_change(*, kind: str, payload: dict) -> SearchChange:
    """Append one entry to the change log (call inside the change's transaction)."""
    _ensure_transaction_id()
    return SearchChange.objects.create(kind=kind, payload=payload)


def catalog_arguments(payload: dict) -> dict[str, list]:
    """The ids and codes a change notice names, sorted and without duplicates (empty lists dropped)."""
    arguments: dict[str, list] = {}
    for key in ID_KEYS:
        arguments[key] = sorted({int(value) for value in payload.get(key) or ()})
    for key in CODE_KEYS:
        arguments[key] = sorted({str(value) for value in payload.get(key) or ()})
    return {key: values for key, values in arguments.items() if values}


def record_catalog_change(**payload) -> None:
    """Subscriber of CATALOG_CHANGED inside the transaction: the entry commits (or not) with the edit."""
    arguments = catalog_arguments(payload)
    if not arguments:
        return
    rows = sum(len(values) for values in arguments.values())
    if rows > MAX_ROWS_PER_REINDEX:
        record_change(kind=IndexChangeKind.REBUILD, payload={"rows": rows})
    else:
        record_change(kind=IndexChangeKind.CATALOG, payload=arguments)


# Views: gathered per process, logged in batches -----------------------------------------------------------


class _ViewBatch:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.implementation_ids: set[int] = set()
        self.bundle_ids: set[int] = set()
        self.since = time.monotonic()

    def add(self, implementation_ids: Iterable[int], bundle_ids: Iterable[int]) -> dict | None:
        """Add viewed ids; the batch to log when the interval has passed (or it grew large), else None."""
        with self.lock:
            self.implementation_ids.update(int(pk) for pk in implementation_ids)
            self.bundle_ids.update(int(pk) for pk in bundle_ids)
            size = len(self.implementation_ids) + len(self.bundle_ids)
            due = time.monotonic() - self.since >= POPULARITY_FLUSH_SECONDS or size >= LOG_BATCH
            return self._take() if due and size else None

    def _take(self) -> dict:
        batch = {"implementation_ids": sorted(self.implementation_ids), "bundle_ids": sorted(self.bundle_ids)}
        self.implementation_ids, self.bundle_ids, self.since = set(), set(), time.monotonic()
        return {key: values for key, values in batch.items() if values}

    def take(self) -> dict | None:
        with self.lock:
            return self._take() or None


_views = _ViewBatch()


def record_views(*, implementation_ids: Iterable[int] = (), bundle_ids: Iterable[int] = ()) -> None:
    """Subscriber of CATALOG_VIEWED: remember the viewed ids; once a minute, log them as one entry.

    Views are counted in the catalog's rows already; the entry only tells every node to re-read their
    popularity. A process that stops loses at most a minute of these hints (the next rebuild has them).
    """
    batch = _views.add(implementation_ids, bundle_ids)
    if batch:
        flush_views(batch)


def flush_views(batch: dict | None = None) -> bool:
    """Log the gathered views now (also what the follower does at its interval); True if one was written."""
    batch = batch if batch is not None else _views.take()
    if not batch:
        return False
    try:
        record_change(kind=IndexChangeKind.POPULARITY, payload=batch)
    except Exception:  # a view must never fail a page: the counts are in the catalog, a rebuild has them
        logger.warning("could not log guide views for the search index", exc_info=True)
        return False
    return True


# Applying the log ----------------------------------------------------------------------------------------


@dataclass
class FollowResult:
    applied: int = 0  # log entries applied
    indexed: int = 0
    removed: int = 0
    rebuilt: bool = False
    needs_rebuild: bool = False  # a rebuild was due but not allowed here (the follower loop will)
    position: LogPosition | None = None


class _RebuildNeeded(Exception):
    pass


def _apply_entries(entries: list[tuple[int, str, dict]], result: FollowResult) -> None:
    from . import reindex_catalog_entries  # the package imports this module

    arguments: dict[str, set] = {key: set() for key in (*ID_KEYS, *CODE_KEYS)}
    phrases: list[str] = []
    synonyms = False
    for _pk, kind, payload in entries:
        if kind == IndexChangeKind.REBUILD:
            raise _RebuildNeeded
        if kind in (IndexChangeKind.CATALOG, IndexChangeKind.POPULARITY):
            for key, values in catalog_arguments(payload).items():
                arguments[key].update(values)
        elif kind == IndexChangeKind.SYNONYMS:
            synonyms = True
            phrases += [str(phrase) for phrase in payload.get("phrases") or ()]
    if sum(len(values) for values in arguments.values()) > MAX_ROWS_PER_REINDEX:
        raise _RebuildNeeded
    if synonyms:
        write_learned_synonyms()  # this node's file, which every web process on the node watches
    if any(arguments.values()):
        summary = reindex_catalog_entries(**{key: sorted(values) for key, values in arguments.items()})
        result.indexed += summary.indexed
        result.removed += summary.removed
    if phrases:
        suggestions = [Suggestion(text=phrase, is_catalog_name=False) for phrase in dict.fromkeys(phrases)]
        get_backend().index(documents=[], suggestions=suggestions)
    result.applied += len(entries)


def _missed_beyond_retention(position: LogPosition) -> bool:
    """True when log entries this node never applied were pruned (it was off longer than the retention)."""
    pruned = (
        SearchChange.objects.filter(kind=IndexChangeKind.PRUNED)
        .order_by("-pk")
        .values_list("payload", flat=True)
        .first()
    )
    return pruned is not None and position.through < int(pruned.get("through") or 0)


def _rebuild(result: FollowResult) -> LogPosition | None:
    from . import rebuild_search_index

    rebuild_search_index()
    result.rebuilt = True
    return node_log_position()


def apply_pending(
    *, allow_rebuild: bool = True, blocking: bool = True, max_rounds: int = 1000
) -> FollowResult:
    """Apply the log entries this node's index has not applied yet (idempotent).

    ``allow_rebuild``: a node without a position, too far behind, or given a rebuild entry rebuilds (the
    follower loop); otherwise it stops there and says so (a request must not rebuild a million documents).
    ``blocking=False``: give up at once when another process of the node is writing its index.
    """
    backend = get_backend()
    result = FollowResult()
    with backend.writing(blocking=blocking) as holding:
        if not holding:
            return result
        position = node_log_position(backend)
        if position is None or _missed_beyond_retention(position):
            if not allow_rebuild:
                result.needs_rebuild = True
                return result
            position = _rebuild(result)
        for _round in range(max_rounds):
            assert position is not None
            horizon = _horizon()  # before the read: what it shows of the missing ids is final if so
            rows = list(
                SearchChange.objects.filter(Q(pk__gt=position.top) | Q(pk__in=list(position.missing)))
                .order_by("pk")
                .values_list("pk", "kind", "payload")[: LOG_BATCH + len(position.missing)]
            )
            if not rows:
                position.missing = {
                    pk: until for pk, until in position.missing.items() if _still_awaited(until, horizon)
                }
                backend.record_log_position(position.as_dict())
                break
            try:
                _apply_entries(rows, result)
            except _RebuildNeeded:
                if not allow_rebuild:
                    result.needs_rebuild = True
                    break
                position = _rebuild(result)
                continue
            fresh = sum(1 for row in rows if row[0] > position.top)
            position = _advanced(position, [row[0] for row in rows], horizon)
            backend.record_log_position(position.as_dict())
            if fresh < LOG_BATCH:
                break
        result.position = position
    return result


def _advanced(position: LogPosition, seen: list[int], horizon: Horizon | None) -> LogPosition:
    """The position after applying the ``seen`` ids: new gaps below the new top are awaited."""
    seen_set = set(seen)
    missing = {pk: until for pk, until in position.missing.items() if pk not in seen_set}
    top = max(position.top, *seen)
    until = _awaited_until(horizon)
    if until is not None:
        for pk in range(position.top + 1, top):
            if pk not in seen_set:
                missing[pk] = until
    # Drop what can no longer come: every transaction running when it was missed has ended.
    missing = {pk: value for pk, value in missing.items() if _still_awaited(value, horizon)}
    if len(missing) > MAX_MISSING:
        logger.warning("search change log: %d ids awaited, giving up the oldest", len(missing))
        missing = dict(sorted(missing.items())[-MAX_MISSING:])
    return LogPosition(top=top, missing=missing)


def follow_now() -> FollowResult | None:
    """After a commit on this node: apply what is pending at once (what the editor sees), never rebuild.

    A failure is logged, not raised: the change is committed and the follower applies it.
    """
    try:
        return apply_pending(allow_rebuild=False, blocking=False)
    except Exception:
        logger.warning("applying the search change log after a commit failed", exc_info=True)
        return None


_last_check: dict[object, float] = {}


def catch_up_if_due(*, interval: float = CHECK_INTERVAL) -> bool:
    """For the search request path: at most once per ``interval`` per process and index, one ``SELECT
    max(id)``; if this node is behind, apply (never waiting for another writer, never rebuilding).

    True if entries were applied. Safe to call on every request.
    """
    backend = get_backend()
    now = time.monotonic()
    if now - _last_check.get(backend.index_dir, float("-inf")) < interval:
        return False
    _last_check[backend.index_dir] = now
    try:
        latest = SearchChange.objects.aggregate(top=Max("pk"))["top"]
        position = node_log_position(backend)
        if latest is None or position is None or (latest <= position.top and not position.missing):
            return False
        return apply_pending(allow_rebuild=False, blocking=False).applied > 0
    except Exception:  # a search must not fail because the log could not be followed
        logger.warning("catching up with the search change log failed", exc_info=True)
        return False


def is_behind(backend: SearchBackend | None = None) -> bool:
    """True when the log holds entries this node has not applied (one ``SELECT max(id)``)."""
    position = node_log_position(backend)
    latest = SearchChange.objects.aggregate(top=Max("pk"))["top"] or 0
    return position is None or latest > position.top or bool(position.missing)


@transaction.atomic
def prune_change_log(*, retention: dt.timedelta = RETENTION) -> int:
    """Delete log entries older than ``retention``; an entry of kind PRUNED says up to which id, so a node
    that had not applied them knows to rebuild (the newest entry always stays)."""
    newest = SearchChange.objects.aggregate(top=Max("pk"))["top"]
    if newest is None:
        return 0
    old = SearchChange.objects.filter(created_at__lt=timezone.now() - retention, pk__lt=newest)
    through = old.aggregate(through=Max("pk"))["through"]
    if through is None:
        return 0
    deleted, _ = old.delete()
    record_change(kind=IndexChangeKind.PRUNED, payload={"through": through})
    return deleted


def after_commit_follow(fallback=None) -> None:
    """On commit, apply the log on this node; a node that never built with the log runs ``fallback``."""

    def run() -> None:
        if node_log_position() is None:
            if fallback is not None:
                fallback()
            return
        follow_now()

    transaction.on_commit(run)
