"""The catalog data a submission's materials' plan reads, kept per process across submissions.

A submission needs its implementation's materials, fees, situation questions, their options and the
options' material and fee lists (``material_plan.PLAN_PREFETCH``: 7 queries and a few hundred model
instances). They are the same for every submission until the guide is edited, so they are kept here
under a key read in the row the submission loads anyway (``submission._target``, no extra statement):

- ``catalog.GuideVersion.version``: every catalog write service (materials, fees, situations, options
  and their lists, the guide files, the admin) bumps it inside the editing transaction (ADR 0012), so
  the first submission after the edit commits, on any process of any node, reads a new key;
- ``Implementation.updated_at`` and its id: an edit of the implementation's own row.

Nothing is invalidated: an old key's entry ages out of the LRU. The entries are shared read-only by the
submissions of the process (threads included): nothing on the submission path writes to catalog
instances. ``clear()`` is for tests.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BigIntegerField, prefetch_related_objects
from django.db.models.expressions import RawSQL

from yiwang.catalog.models import Implementation
from yiwang.core.lru import LRU

from .material_plan import PLAN_PREFETCH

MAX_ENTRIES = 512  # implementations; a few hundred model instances each at most
GUIDE_VERSION = "submission_guide_version"

_entries = LRU(max_entries=MAX_ENTRIES)


def key_annotations() -> dict[str, RawSQL]:
    """What ``submission._target`` reads with the implementation's row so that the key costs no statement:
    its guide version (``catalog.GuideVersion``; none yet: never edited since the table exists)."""
    return {
        GUIDE_VERSION: RawSQL(
            "SELECT g.version FROM catalog_guideversion g"
            " WHERE g.implementation_id = catalog_implementation.id",
            (),
            output_field=BigIntegerField(),
        )
    }


def plan_key(implementation: Implementation) -> tuple[Any, ...]:
    """The key of the implementation's catalog data, from a row loaded with ``key_annotations``."""
    version = getattr(implementation, GUIDE_VERSION, None) or 0
    return (implementation.pk, implementation.updated_at, version)


def attach_plan_data(implementation: Implementation) -> bool:
    """Give ``implementation`` (loaded with ``key_annotations``) its plan's catalog data, as if prefetched
    with ``PLAN_PREFETCH``: from this process's cache, or read now and kept. Returns whether it was a hit."""
    key = plan_key(implementation)
    cached = _entries.get(key)
    if cached is not None:
        # A copy of the dict (a later prefetch on this row adds its own names), the same shared lists.
        implementation._prefetched_objects_cache = dict(cached)  # type: ignore[attr-defined]
        return True
    prefetch_related_objects([implementation], *PLAN_PREFETCH)
    loaded = dict(implementation._prefetched_objects_cache)  # type: ignore[attr-defined]
    _entries.put(key, loaded)
    return False


def clear() -> None:
    _entries.clear()
