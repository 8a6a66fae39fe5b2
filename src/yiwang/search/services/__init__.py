"""Writes of the search app: building the index from the catalog, counting queries that found nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from yiwang.catalog.models import BundleItem, ServiceItem

from ..analysis import normalize_text
from ..backends import get_backend
from ..backends.base import BUNDLE, IMPLEMENTATION, IndexStats, code_key, document_key
from ..constants import MissKind
from ..documents import (
    RegionDirectory,
    SuggestionTally,
    active_implementations,
    bundle_documents,
    bundles_matching,
    implementation_documents,
    implementations_matching,
    suggestions_for_items,
)
from ..learned import write_learned_synonyms
from ..models import SearchMiss

logger = logging.getLogger(__name__)
MAX_MISS_LENGTH = SearchMiss._meta.get_field("query").max_length
# Above this many implementations a rebuild loads every region at once rather than those it meets.
PRELOAD_REGIONS_ABOVE = 20_000


@dataclass(frozen=True)
class ReindexSummary:
    indexed: int
    removed: int


def rebuild_search_index(*, progress: bool = False) -> IndexStats:
    """Rebuild the whole index from the database into a new generation, then switch every reader to it.

    The change log's position is read first and published with the documents: every entry after it is
    applied later (again, if the documents already show it: applying is idempotent).
    """
    from .follow import current_log_position

    backend = get_backend()
    with backend.writing():
        position = current_log_position()
        write_learned_synonyms()  # the official terms and everyday words suggested include the learned ones
        total = active_implementations().count()
        regions = RegionDirectory(preload_all=total > PRELOAD_REGIONS_ABOVE)
        tally = SuggestionTally()
        documents = chain(implementation_documents(regions=regions), bundle_documents(regions=regions))
        if progress:
            from tqdm import tqdm

            documents = tqdm(documents, total=total, unit="doc", desc="索引", mininterval=1.0)
        return backend.rebuild(
            documents=tally.count(documents), suggestions=tally.suggestions, log_position=position.as_dict()
        )


def _as_list(values: Iterable | None) -> list:
    return list(dict.fromkeys(values or ()))


def reindex_catalog_entries(
    *,
    implementation_ids: Iterable[int] = (),
    implementation_codes: Iterable[str] = (),
    item_ids: Iterable[int] = (),
    item_codes: Iterable[str] = (),
    bundle_ids: Iterable[int] = (),
    bundle_codes: Iterable[str] = (),
) -> ReindexSummary:
    """Re-index just these implementations and bundles (and the bundles that contain them); drop the gone."""
    implementation_ids, implementation_codes = _as_list(implementation_ids), _as_list(implementation_codes)
    bundle_ids, bundle_codes = _as_list(bundle_ids), _as_list(bundle_codes)
    item_ids = _as_list(item_ids) + list(
        ServiceItem.objects.filter(code__in=_as_list(item_codes)).values_list("pk", flat=True)
    )
    implementations = implementations_matching(
        ids=implementation_ids, codes=implementation_codes, item_ids=item_ids
    )
    found = list(implementations.values_list("pk", "code", "item_id", "is_active", "item__is_active"))
    live_implementations = [pk for pk, _code, _item, active, item_active in found if active and item_active]
    removed = [
        document_key(kind=IMPLEMENTATION, pk=pk)
        for pk, _c, _i, active, item_active in found
        if not (active and item_active)
    ]
    removed += _missing_keys(IMPLEMENTATION, implementation_ids, implementation_codes, found)

    bundle_ids += list(
        BundleItem.objects.filter(implementation_id__in=[row[0] for row in found]).values_list(
            "bundle_id", flat=True
        )
    )
    bundles = list(
        bundles_matching(ids=bundle_ids, codes=bundle_codes).values_list("pk", "code", "is_active", "name")
    )
    live_bundles = [pk for pk, _code, active, _name in bundles if active]
    removed += [document_key(kind=BUNDLE, pk=pk) for pk, _code, active, _name in bundles if not active]
    removed += _missing_keys(BUNDLE, bundle_ids, bundle_codes, [(pk, code) for pk, code, *_ in bundles])

    regions = RegionDirectory()
    documents = list(
        implementation_documents(
            implementations=active_implementations().filter(pk__in=live_implementations), regions=regions
        )
    )
    documents += bundle_documents(bundles=bundles_matching(ids=live_bundles), regions=regions)
    suggestions = suggestions_for_items(
        item_ids={row[2] for row in found}, bundle_names=[name for *_, name in bundles]
    )
    backend = get_backend()
    backend.index(documents=documents, suggestions=suggestions)
    backend.delete(keys=removed)
    return ReindexSummary(indexed=len(documents), removed=len(removed))


def _missing_keys(kind: str, ids: list[int], codes: list[str], found: Iterable[tuple]) -> list[str]:
    """Keys of requested rows that no longer exist in the database."""
    found = list(found)
    found_ids = {row[0] for row in found}
    found_codes = {row[1] for row in found}
    return [document_key(kind=kind, pk=pk) for pk in ids if pk not in found_ids] + [
        code_key(kind=kind, code=code) for code in codes if code not in found_codes
    ]


def count_once(queryset: QuerySet, field: str, create: Callable[[], object], **also) -> None:
    """Add one to ``field`` (and set ``also``) of the row ``queryset`` selects, or create that row.

    One UPDATE once the row exists. Counting must never break a search: a database error is logged.
    """
    changes = {field: F(field) + 1, **also}
    try:
        if queryset.update(**changes):
            return
        try:
            with transaction.atomic():
                create()
        except IntegrityError:  # another request created it first
            queryset.update(**changes)
    except DatabaseError:
        logger.warning("could not count a search", exc_info=True)


def record_search_miss(*, query: str, region_code: str | None = None) -> None:
    """Count a query that found nothing (one UPDATE with F() once the query is known)."""
    normalized = normalize_text(query)[:MAX_MISS_LENGTH]
    if not normalized:
        return
    region_code = region_code or ""
    now = timezone.now()
    count_once(
        SearchMiss.objects.filter(query=normalized, region_code=region_code, kind=MissKind.NO_RESULT),
        "count",
        lambda: SearchMiss.objects.create(
            query=normalized, region_code=region_code, count=1, first_seen=now, last_seen=now
        ),
        last_seen=now,
    )
