"""Demo guides (办事指南), life-event bundles (一件事) and topics (主题) shipped as JSON data files.

The files in ``catalog/data/guides`` (format: README.md there) are validated as a whole before anything
is written; one transaction then upserts everything by code, so loading twice writes nothing.
Completeness is not computed here: the seed command calls the catalog's ``update_completeness`` after.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from yiwang.core.changes import CATALOG_CHANGED, announce

from ..guide_cache import bump_guide_versions
from .reading import GUIDES_DIR, GuideCatalog, GuideDataError, read_guide_files
from .writing import GuideLoadSummary, write_guide_catalog

__all__ = [
    "GUIDES_DIR",
    "GuideCatalog",
    "GuideDataError",
    "GuideLoadSummary",
    "load_demo_guides",
    "read_guide_files",
]


def load_demo_guides(*, directory: Path = GUIDES_DIR) -> GuideLoadSummary:
    """Validate every guide file, then upsert departments, topics, guides and bundles in one transaction."""
    catalog = read_guide_files(directory=directory)
    with transaction.atomic():
        summary = write_guide_catalog(catalog=catalog)
        bump_guide_versions(implementation_ids=summary.implementation_ids, bundle_ids=summary.bundle_ids)
        announce(
            CATALOG_CHANGED, implementation_ids=summary.implementation_ids, bundle_ids=summary.bundle_ids
        )
    return summary
