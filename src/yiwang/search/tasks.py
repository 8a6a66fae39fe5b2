"""Background work of the search app (Django Tasks): keep the index in step with the catalog."""

from __future__ import annotations

from django_tasks import task

from . import services

# A change notice naming more rows than this rebuilds the whole index instead (bulk imports).
MAX_ROWS_PER_REINDEX = 20_000
_ID_KEYS = ("implementation_ids", "item_ids", "bundle_ids")
_CODE_KEYS = ("implementation_codes", "item_codes", "bundle_codes")


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
    """Subscriber of CATALOG_CHANGED (after commit): queue a re-index of just what changed."""
    arguments: dict[str, list] = {}
    for key in _ID_KEYS:
        arguments[key] = sorted({int(value) for value in payload.get(key) or ()})
    for key in _CODE_KEYS:
        arguments[key] = sorted({str(value) for value in payload.get(key) or ()})
    arguments = {key: values for key, values in arguments.items() if values}
    if sum(len(values) for values in arguments.values()) > MAX_ROWS_PER_REINDEX:
        rebuild_index.enqueue()
    elif arguments:
        reindex_catalog.enqueue(**arguments)
