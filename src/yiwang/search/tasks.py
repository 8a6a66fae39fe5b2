"""Background work of the search app (Django Tasks): keep the index in step with the catalog."""

from __future__ import annotations

from django_tasks import task

from . import services
from .services import follow
from .services.follow import MAX_ROWS_PER_REINDEX, catalog_arguments

__all__ = ["MAX_ROWS_PER_REINDEX", "on_catalog_changed", "rebuild_index", "reindex_catalog"]


@task()
def reindex_catalog(
    *,
    implementation_ids: list[int] | None = None,
    implementation_codes: list[str] | None = None,
    item_ids: list[int] | None = None,
    item_codes: list[str] | None = None,
    bundle_ids: list[int] | None = None,
    bundle_codes: list[str] | None = None,
) -> dict:
    """Re-index the implementations and bundles a change notice named (idempotent: safe to retry)."""
    summary = services.reindex_catalog_entries(
        implementation_ids=implementation_ids or (),
        implementation_codes=implementation_codes or (),
        item_ids=item_ids or (),
        item_codes=item_codes or (),
        bundle_ids=bundle_ids or (),
        bundle_codes=bundle_codes or (),
    )
    return {"indexed": summary.indexed, "removed": summary.removed}


@task()
def rebuild_index() -> dict:
    """Rebuild the whole search index from the database."""
    stats = services.rebuild_search_index()
    return {"documents": stats.documents, "seconds": round(stats.seconds, 3)}


def on_catalog_changed(**payload) -> None:
    """Subscriber of CATALOG_CHANGED (after commit): this node applies the change log at once.

    The entry itself was written in the edit's transaction (``follow.record_catalog_change``); every other
    node applies it from its follower (ADR 0013). A node whose index was never built with the log (no
    position yet) re-indexes just what the notice names, as before the log.
    """
    if follow.node_log_position() is not None:
        follow.follow_now()
        return
    arguments = catalog_arguments(payload)
    if sum(len(values) for values in arguments.values()) > MAX_ROWS_PER_REINDEX:
        rebuild_index.enqueue()
    elif arguments:
        reindex_catalog.enqueue(**arguments)
