"""Writes of the catalog. Every write refreshes guide completeness and announces CATALOG_CHANGED."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.core.changes import CATALOG_CHANGED, CATALOG_VIEWED, announce
from yiwang.core.errors import InvalidInput

from .bundle_guides import material_identity
from .citations import mark_citations_for_review
from .completeness import recompute_completeness, update_completeness
from .guide_cache import bump_guide_versions
from .models import (
    FAQ,
    Bundle,
    BundleItem,
    Citation,
    Fee,
    Implementation,
    LegalInstrument,
    Material,
    ProcessStep,
    ServiceItem,
    SituationOption,
    SituationQuestion,
    SpecialStep,
    Topic,
)

# Implementation fields a caller may set from a validated dict (the Excel import, seed data).
IMPLEMENTATION_FIELDS = (
    "name",
    "conditions",
    "process_description",
    "statutory_limit_days",
    "statutory_limit_unit",
    "promised_limit_days",
    "promised_limit_unit",
    "supplement_notice_days",
    "supplement_notice_unit",
    "is_free",
    "fee_basis",
    "place",
    "hours",
    "phone",
    "complaint_channel",
    "online_depth",
    "visits",
    "result_name",
    "result_license_type",
    "is_active",
)
MATERIAL_FIELDS = (
    "order",
    "key",
    "name",
    "form",
    "copies",
    "medium",
    "requirement",
    "source",
    "source_detail",
    "blank_form_url",
    "sample_url",
    "license_type_code",
    "license_type_name",
    "notes",
)
_GUIDE_PART_MODELS = (Material, Fee, ProcessStep, SpecialStep, FAQ, SituationQuestion, Citation)


def announce_catalog_change(
    *, implementation_ids: Iterable[int] = (), bundle_ids: Iterable[int] = ()
) -> None:
    """Give the changed guides a new version now (in the transaction), and tell subscribers (search) which
    implementations and bundles changed once it commits."""
    implementation_ids, bundle_ids = sorted(set(implementation_ids)), sorted(set(bundle_ids))
    if implementation_ids or bundle_ids:
        bump_guide_versions(implementation_ids=implementation_ids, bundle_ids=bundle_ids)
        announce(CATALOG_CHANGED, implementation_ids=implementation_ids, bundle_ids=bundle_ids)


def _sync_materials(*, implementation: Implementation, materials: Sequence[dict[str, Any]]) -> None:
    """Make the materials match ``materials``; same-identity ones are updated in place (keeps situations)."""
    existing = {material_identity(material): material for material in implementation.materials.all()}
    kept: set[int] = set()
    for position, values in enumerate(materials, start=1):
        values = {"order": position, **values}
        probe = Material(key=values.get("key", ""), name=values["name"])
        material = existing.pop(material_identity(probe), None) or Material(implementation=implementation)
        for name in MATERIAL_FIELDS:
            if name in values:
                setattr(material, name, values[name])
        material.save()
        kept.add(material.pk)
    implementation.materials.exclude(pk__in=kept).delete()


def _upsert_one(data: dict[str, Any]) -> tuple[Implementation, bool]:
    unknown = set(data) - {"code", "item", "region", "department", "materials", *IMPLEMENTATION_FIELDS}
    if unknown:
        raise InvalidInput(f"未知的实施清单字段：{'、'.join(sorted(unknown))}", code="unknown_field")
    defaults = {name: data[name] for name in IMPLEMENTATION_FIELDS if name in data}
    defaults.update(item=data["item"], region=data["region"], department=data["department"])
    defaults.setdefault("name", data["item"].name)
    implementation, created = Implementation.objects.update_or_create(code=data["code"], defaults=defaults)
    if data.get("materials") is not None:
        _sync_materials(implementation=implementation, materials=data["materials"])
    return implementation, created


@transaction.atomic
def upsert_implementations(*, rows: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """Create or update implementations (keyed by code) with their materials; return (created, updated).

    Each row holds ``code``, resolved ``item``, ``region`` and ``department`` objects, any of
    IMPLEMENTATION_FIELDS, and optionally ``materials`` (a list of dicts of MATERIAL_FIELDS) that
    replaces the implementation's materials.
    """
    ids, created = [], 0
    for data in rows:
        implementation, is_new = _upsert_one(data)
        ids.append(implementation.pk)
        created += is_new
    recompute_completeness(implementation_ids=ids)
    announce_catalog_change(implementation_ids=ids)
    return created, len(ids) - created


@transaction.atomic
def upsert_implementation(*, data: dict[str, Any]) -> Implementation:
    """Create or update one implementation with its materials from a validated dict."""
    implementation, _created = _upsert_one(data)
    update_completeness(implementation=implementation)
    announce_catalog_change(implementation_ids=[implementation.pk])
    return implementation


def record_view(*, implementation: Implementation | None = None, bundle: Bundle | None = None) -> None:
    """Count a guide view (popularity); search gathers the viewed ids and re-reads their counts in batches."""
    if implementation is not None:
        Implementation.objects.filter(pk=implementation.pk).update(view_count=F("view_count") + 1)
    if bundle is not None:
        Bundle.objects.filter(pk=bundle.pk).update(view_count=F("view_count") + 1)
    announce(
        CATALOG_VIEWED,
        implementation_ids=[implementation.pk] if implementation is not None else [],
        bundle_ids=[bundle.pk] if bundle is not None else [],
    )


def _affected(record: models.Model) -> tuple[list[int], list[int]]:
    """Implementation and bundle ids whose guide or search document depends on ``record``."""
    if isinstance(record, Implementation):
        return [record.pk], list(record.bundle_items.values_list("bundle_id", flat=True))
    if isinstance(record, SituationOption):
        record = record.question
    if isinstance(record, SituationQuestion) and record.implementation_id is None:
        return [], [record.bundle_id] if record.bundle_id else []  # a bundle's own question (一件事的情形)
    if isinstance(record, _GUIDE_PART_MODELS):
        return [pk for pk in [record.implementation_id] if pk is not None], []
    if isinstance(record, ServiceItem):
        return list(record.implementations.values_list("pk", flat=True)), []
    if isinstance(record, Bundle):
        return [], [record.pk]
    if isinstance(record, BundleItem):
        return [record.implementation_id], [record.bundle_id]
    if isinstance(record, Topic):
        implementation_ids = Implementation.objects.filter(item__topics=record).values_list("pk", flat=True)
        return list(implementation_ids), list(record.bundles.values_list("pk", flat=True))
    raise TypeError(f"not a catalog record: {type(record).__name__}")


@transaction.atomic
def settle_catalog_change(*, record: models.Model) -> None:
    """After a record and its parts were edited: refresh completeness of what it touches and announce."""
    implementation_ids, bundle_ids = _affected(record)
    recompute_completeness(implementation_ids=implementation_ids)
    announce_catalog_change(implementation_ids=implementation_ids, bundle_ids=bundle_ids)


def _record_catalog_event(*, record: models.Model, verb: str, actor, details: dict[str, Any]) -> None:
    """Log a staff edit of a catalog record: ``catalog.<model>_changed`` or ``_deleted``, with its actor."""
    department = getattr(record, "department", None) or getattr(record, "lead_department", None)
    record_event(
        action=f"catalog.{record._meta.model_name}_{verb}",
        actor=actor,
        target=record,
        department=department if isinstance(department, models.Model) else None,
        details=details,
    )


@transaction.atomic
def save_catalog_record(
    *, record: models.Model, changed_by=None, changed: Iterable[str] = (), settle: bool = True
) -> models.Model:
    """Save a catalog record edited by staff, logged with the fields changed; settle now or later."""
    created = record._state.adding
    if isinstance(record, Citation) and "checked_on" in changed and record.checked_on:
        record.needs_review, record.review_reason = False, ""  # checked again against the text
    record.save()
    _record_catalog_event(
        record=record,
        verb="changed",
        actor=changed_by,
        details={"changed": sorted(changed), "created": created},
    )
    if settle:
        settle_catalog_change(record=record)
    return record


@transaction.atomic
def save_catalog_parts(
    *, saved: Sequence[tuple[models.Model, Iterable[str]]], deleted: Iterable[models.Model], changed_by=None
) -> None:
    """Save and delete the parts of a record edited inline (materials, fees ...), each one logged.

    The caller settles the parent record afterwards (``settle_catalog_change``).
    """
    for record in deleted:
        _delete_one(record=record, deleted_by=changed_by)
    for record, changed in saved:
        save_catalog_record(record=record, changed_by=changed_by, changed=changed, settle=False)


def _delete_one(*, record: models.Model, deleted_by) -> None:
    details = {"name": str(record)[:200]}
    # Before the delete: afterwards a removed bundle membership no longer leads to the guide listing it.
    affected_implementations, affected_bundles = _affected(record)
    bump_guide_versions(implementation_ids=affected_implementations, bundle_ids=affected_bundles)
    _record_catalog_event(record=record, verb="deleted", actor=deleted_by, details=details)
    record.delete()


@transaction.atomic
def delete_catalog_records(*, records: Iterable[models.Model], deleted_by=None) -> int:
    """Delete catalog records edited away by staff, each logged; what they touched is refreshed, announced."""
    implementation_ids: set[int] = set()
    bundle_ids: set[int] = set()
    deleted = 0
    for record in records:
        affected_implementations, affected_bundles = _affected(record)
        implementation_ids.update(affected_implementations)
        bundle_ids.update(affected_bundles)
        _delete_one(record=record, deleted_by=deleted_by)
        deleted += 1
    recompute_completeness(implementation_ids=implementation_ids)
    # Ids of deleted implementations and bundles are announced too: subscribers drop what no longer exists.
    announce_catalog_change(implementation_ids=implementation_ids, bundle_ids=bundle_ids)
    return deleted


@transaction.atomic
def record_instrument_revision(
    *,
    instrument: LegalInstrument,
    revised_on: dt.date,
    actor: Any,
    document_number: str | None = None,
    source_url: str | None = None,
) -> int:
    """A law or document was revised: store its new revision date (and number, link) and mark every
    citation of it checked before that date for review. Returns how many citations were marked."""
    if instrument.revised_on is not None and revised_on < instrument.revised_on:
        raise InvalidInput(
            f"修订日期 {revised_on.isoformat()} 早于已登记的 {instrument.revised_on.isoformat()}",
            code="revision_older",
        )
    instrument.revised_on = revised_on
    if document_number is not None:
        instrument.document_number = document_number
    if source_url is not None:
        instrument.source_url = source_url
    instrument.save()
    marked = mark_citations_for_review(instrument=instrument, revised_on=revised_on)
    record_event(
        action="catalog.instrument_revised",
        actor=actor,
        target=instrument,
        fields=["revised_on", "document_number", "source_url"],
        details={"revised_on": revised_on.isoformat(), "citations_marked": marked},
    )
    return marked


@transaction.atomic
def record_citation_checked(
    *, citation: Citation, checked_on: dt.date, actor: Any, source_url: str = "", article: str = ""
) -> Citation:
    """A data administrator checked a citation against the instrument's text: clears its review mark."""
    if checked_on > timezone.localdate():
        raise InvalidInput("核对日期不能晚于今天", code="checked_in_future")
    citation.checked_on = checked_on
    citation.needs_review, citation.review_reason = False, ""
    if source_url:
        citation.source_url = source_url
    if article:
        citation.article = article
    citation.save()
    record_event(
        action="catalog.citation_checked",
        actor=actor,
        target=citation,
        department=citation.implementation.department,
        fields=["checked_on", "article", "source_url"],
        details={"checked_on": checked_on.isoformat(), "article": citation.article},
    )
    return citation
