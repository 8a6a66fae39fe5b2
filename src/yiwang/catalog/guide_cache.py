"""Guides rendered once per version: the key of a guide's renderings, their cache and the bump (ADR 0012).

A guide is the same for everyone until its data changes, so its renderings (the API's JSON, the page's
catalog sections) are kept under a key computed from one indexed query's row, the guide's stamp: the
implementation joined with its item, parent item, department, region and ``GuideVersion``.

- The catalog's write services bump ``GuideVersion`` inside the editing transaction (materials, fees,
  situations, steps, FAQs, bundles, completeness: everything that reaches a guide goes through them).
- What other apps edit (the department and region a guide names) is read in that same row and put into
  the key itself, so a rename there changes the key without the catalog being told.
- The code's fingerprint (sources, templates, translations) is in the key: after a deploy nothing rendered
  by the old code is served from a cache shared by nodes.

The key changes when the data does, so nothing is ever invalidated: a per-process LRU sits in front of
Django's cache (Redis when several nodes share it), and an old key's renderings simply age out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connections, router
from django.db.models import F
from django.urls import get_script_prefix

from yiwang.core.lru import LRU

from .models import BundleItem, GuideVersion, Implementation

# An implementation with what its guide's head shows (and the department's region, for supervision).
HEAD_RELATED = ("item", "item__parent", "region", "department", "department__region")
_BUMP_BATCH = 500
_FINGERPRINTED = {".py", ".html", ".mo"}


def bump_guide_versions(*, implementation_ids: Iterable[int] = (), bundle_ids: Iterable[int] = ()) -> None:
    """Give these implementations' guides (and those of the bundles' implementations) a new version.

    Call inside the editing transaction: the version rows stay locked until it commits, so concurrent edits
    are serialized, and a reader sees the new version exactly when it can see the new data.
    """
    ids = set(implementation_ids)
    bundle_ids = list(bundle_ids)
    if bundle_ids:  # a guide lists the bundles (一件事) it belongs to
        ids.update(
            BundleItem.objects.filter(bundle_id__in=bundle_ids).values_list("implementation_id", flat=True)
        )
    ordered = sorted(ids)  # overlapping bumps take their batches in the same order
    for start in range(0, len(ordered), _BUMP_BATCH):
        chunk = ordered[start : start + _BUMP_BATCH]
        # Rows are made on first bump; ids of implementations deleted in this transaction are skipped.
        without_row = Implementation.objects.filter(pk__in=chunk, guide_version__isnull=True)
        GuideVersion.objects.bulk_create(
            [GuideVersion(implementation_id=pk) for pk in without_row.values_list("pk", flat=True)],
            ignore_conflicts=True,  # a concurrent first bump made it: the update below still counts ours
        )
        GuideVersion.objects.filter(implementation_id__in=chunk).update(version=F("version") + 1)


@dataclass(frozen=True)
class GuideStamp:
    """What a guide's renderings depend on, read in one indexed query: the key of each rendering."""

    implementation_id: int
    code: str
    values: tuple

    def key(self, *, variant: str, language: str) -> str:
        """The key of one rendering (``variant``: "api", "page"…) in one language."""
        parts = (code_fingerprint(), get_script_prefix(), variant, language, self.values)
        return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


# The implementation's row and version, its item's and parent item's change times, and the department's
# and region's fields a guide shows (the regions app edits those without telling the catalog).
_STAMP_FIELDS = (
    "pk",
    "code",
    "updated_at",
    "guide_version__version",
    "item_id",
    "item__updated_at",
    "item__parent_id",
    "item__parent__updated_at",
    "department_id",
    "department__credit_code",
    "department__name",
    "department__short_name",
    "department__phone",
    "department__address",
    "region_id",
    "region__name",
    "region__full_name",
    "region__level",
)
_PROBE = "\x00guide-stamp-probe"


@cache
def _stamp_query(alias: str) -> tuple[str, tuple, int]:
    """The stamp's SQL, compiled by the ORM once per process and database: compiling it (joins, select,
    converters) cost several times more CPU than running it, on every request."""
    active = Implementation.objects.filter(is_active=True, code=_PROBE).order_by()
    sql, params = active.values_list(*_STAMP_FIELDS)[:1].query.get_compiler(using=alias).as_sql()
    return sql, tuple(params), list(params).index(_PROBE)


def get_guide_stamp(*, code: str) -> GuideStamp | None:
    """The stamp of the active implementation of this code, or None (one indexed query)."""
    alias = router.db_for_read(Implementation)
    sql, params, position = _stamp_query(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, (*params[:position], code, *params[position + 1 :]))
        row = cursor.fetchone()
    if row is None:
        return None
    return GuideStamp(implementation_id=row[0], code=row[1], values=tuple(row))


@cache
def code_fingerprint() -> str:
    """A digest of the code, templates and translations that shape a rendering (once per process)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(root.rglob("*")):
        if path.suffix in _FINGERPRINTED and "tests" not in path.parts and path.is_file():
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


_local = LRU(max_entries=256)  # renderings in this process; the limit is the setting at each put


def cached_rendering(*, key: str, render: Callable[[], Any]) -> Any:
    """The rendering stored under ``key``, else ``render()`` stored there (in this process and shared)."""
    value = _local.get(key)
    if value is not None:
        return value
    shared = caches[settings.CATALOG_GUIDE_SHARED_CACHE] if settings.CATALOG_GUIDE_SHARED_CACHE else None
    value = shared.get(f"guide:{key}") if shared is not None else None
    if value is None:
        value = render()
        if shared is not None:
            shared.set(f"guide:{key}", value, timeout=settings.CATALOG_GUIDE_CACHE_SECONDS)
    _local.put(key, value, limit=settings.CATALOG_GUIDE_RENDERINGS_PER_PROCESS)
    return value


def forget_local_renderings() -> None:
    """Empty this process's LRU (what a freshly started worker has): for tests and the benchmark."""
    _local.clear()
