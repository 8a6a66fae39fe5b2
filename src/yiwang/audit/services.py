"""Recording into the one audit log: ``record_event`` for state changes, ``record_read`` for reads of data.

Both are plain inserts made inside the caller's transaction (so an entry exists exactly when its change
does); sealing into the Merkle tree happens later, in batches, without a lock per request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from yiwang.core import call_context as context
from yiwang.core import changes, sql
from yiwang.core.errors import InvalidInput, PermissionDenied

from . import selectors
from .alerts import raise_alerts
from .constants import EntryKind, GroundKind, Outcome, ReportStatus
from .models import AuditEntry, DataUseAlert, SuspicionReport
from .scope import AuditScope
from .subjects import subject_hash, subject_kind_of


def _clip(text: str | None, length: int) -> str:
    return (text or "")[:length]


def _object_of(target: models.Model | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    identifier = getattr(target, "public_id", None) or target.pk
    return target._meta.label_lower, str(identifier)


def record_event(
    *,
    action: str,
    actor: Any = None,
    outcome: str = Outcome.ALLOWED,
    reason: str = "",
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    department: Any = None,
    subject: str | None = "",
    subject_kind: str = "",
    fields: Iterable[str] = (),
    purpose: str = "",
    ground_kind: str = GroundKind.NONE,
    ground_ref: str = "",
    on_behalf_of: str = "",
    mandate_id: int | None = None,
    system: str = "",
    actor_role: str = "",
    actor_department: Any = None,
    actor_region_code: str = "",
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
    kind: str = EntryKind.WRITE,
) -> AuditEntry:
    """Append one entry. ``subject`` is the ID number or credit code; only its keyed hash is stored.

    ``target`` fills ``object_type``/``object_id`` from a model instance; ``department`` is the department
    whose data or object it is (auditors of that department see the entry).
    """
    if target is not None:
        object_type, object_id = _object_of(target)
    call = context.current()
    entry = AuditEntry(
        kind=kind,
        action=_clip(action, 60),
        outcome=outcome,
        reason=_clip(reason, 60),
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        actor_role=_clip(actor_role, 30),
        actor_department=actor_department,
        actor_region_code=_clip(actor_region_code, 12),
        system=_clip(system or call.system, 100),
        mandate_id=mandate_id,
        on_behalf_of=_clip(on_behalf_of, 200),
        object_type=_clip(object_type, 60),
        object_id=_clip(object_id, 64),
        department=department,
        subject_hash=subject_hash(subject or ""),
        subject_kind=subject_kind or subject_kind_of(subject or ""),
        fields=sorted(set(fields)),
        purpose=_clip(purpose, 200),
        ground_kind=ground_kind,
        ground_ref=_clip(ground_ref, 100),
        channel=call.channel,
        request_id=call.request_id,
        ip_address=ip_address or call.ip_address,
        details=details or {},
    )
    sql.insert(entry)  # the one INSERT, its text made once (core.sql, ADR 0014): every action writes one
    # a staff read without a ground, or outside the region, alerts in this transaction
    raise_alerts(entry, subject=subject or "")
    return entry


def record_read(
    *, action: str, subject: str, fields: Iterable[str], purpose: str, **facts: Any
) -> AuditEntry:
    """Append one read of personal or enterprise data (allowed or refused) with what was read and why."""
    return record_event(
        action=action, subject=subject, fields=fields, purpose=purpose, kind=EntryKind.READ, **facts
    )


def record_reads(reads: Iterable[dict[str, Any]]) -> list[AuditEntry]:
    """Append several reads with one INSERT: each dict holds ``record_read``'s arguments, and each entry is
    exactly the one ``record_read`` would write (alerts included, in the same transaction). For a batch of
    reads (an exchange batch, a verification of many keys) the cost is one round trip, not one per read."""
    call = context.current()
    entries, subjects = [], []
    for read in reads:
        facts = dict(read)
        target = facts.pop("target", None)
        object_type, object_id = facts.pop("object_type", ""), facts.pop("object_id", "")
        if target is not None:
            object_type, object_id = _object_of(target)
        actor = facts.pop("actor", None)
        subject = facts.pop("subject", "") or ""
        subjects.append(subject)
        entries.append(
            AuditEntry(
                kind=facts.pop("kind", EntryKind.READ),
                action=_clip(facts.pop("action"), 60),
                outcome=facts.pop("outcome", Outcome.ALLOWED),
                reason=_clip(facts.pop("reason", ""), 60),
                actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
                actor_role=_clip(facts.pop("actor_role", ""), 30),
                actor_department=facts.pop("actor_department", None),
                actor_region_code=_clip(facts.pop("actor_region_code", ""), 12),
                system=_clip(facts.pop("system", "") or call.system, 100),
                mandate_id=facts.pop("mandate_id", None),
                on_behalf_of=_clip(facts.pop("on_behalf_of", ""), 200),
                object_type=_clip(object_type, 60),
                object_id=_clip(object_id, 64),
                department=facts.pop("department", None),
                subject_hash=subject_hash(subject),
                subject_kind=facts.pop("subject_kind", "") or subject_kind_of(subject),
                fields=sorted(set(facts.pop("fields"))),
                purpose=_clip(facts.pop("purpose"), 200),
                ground_kind=facts.pop("ground_kind", GroundKind.NONE),
                ground_ref=_clip(facts.pop("ground_ref", ""), 100),
                channel=call.channel,
                request_id=call.request_id,
                ip_address=facts.pop("ip_address", None) or call.ip_address,
                details=facts.pop("details", None) or {},
            )
        )
        if facts:
            raise TypeError(f"record_reads: unknown facts {sorted(facts)}")
    if not entries:
        return []
    with transaction.atomic(savepoint=False):  # the entries and their alerts together, or neither
        created = AuditEntry.objects.bulk_create(entries)
        for entry, subject in zip(created, subjects, strict=True):
            raise_alerts(entry, subject=subject)
    return created


# What citizens and auditors do with the log ------------------------------------------------------

SUSPICION_REPORTED = "audit.suspicion_reported"
SUSPICION_HANDLED = "audit.suspicion_handled"
LOG_EXPORTED = "audit.log_exported"


@transaction.atomic
def report_suspicious_use(
    *, reporter: Any, scope: AuditScope, entry_id: int, note: str = ""
) -> tuple[SuspicionReport, bool]:
    """Report a use of the scope's data as suspicious, to that department's auditors; once per entry
    and reporter (a repeat returns the first report and ``False``)."""
    entry = selectors.access_data_use_by_id(scope=scope, entry_id=entry_id)
    department_id = entry.department_id or entry.actor_department_id
    report, created = SuspicionReport.objects.get_or_create(
        entry=entry,
        reporter=reporter,
        defaults={"department_id": department_id, "note": _clip(note.strip(), 1000)},
    )
    if created:
        record_event(
            action=SUSPICION_REPORTED,
            actor=reporter,
            target=report,
            department=report.department,
            details={"entry": entry.pk},
        )
    return report, created


_HANDLED_STATUSES = {ReportStatus.INVESTIGATING, ReportStatus.CONFIRMED, ReportStatus.DISMISSED}


@transaction.atomic
def handle_suspicion_report(
    *, handler: Any, scope: AuditScope, report_id: int, status: str, resolution: str = ""
) -> SuspicionReport:
    """An auditor of the report's department moves it on (investigating, confirmed, dismissed)."""
    if status not in _HANDLED_STATUSES:
        raise InvalidInput("处理状态只能是核查中、确认违规或未发现问题", code="invalid_report_status")
    selectors.access_suspicion_report_by_id(scope=scope, report_id=report_id)
    report = SuspicionReport.objects.select_for_update().get(pk=report_id)
    previous = report.status
    report.status = status
    report.resolution = _clip(resolution.strip(), 2000)
    report.handled_by = handler
    report.save(update_fields=["status", "resolution", "handled_by", "updated_at"])
    record_event(
        action=SUSPICION_HANDLED,
        actor=handler,
        target=report,
        department=report.department,
        details={"entry": report.entry_id, "from": previous, "to": status},
    )
    changes.announce_now(
        changes.SUSPICION_REPORT_HANDLED,
        report_id=report.pk,
        entry_id=report.entry_id,
        reporter_id=report.reporter_id,
        status=status,
    )
    return report


@transaction.atomic
def mark_alert_read(*, scope: AuditScope, alert_id: int) -> DataUseAlert:
    """The subject has seen the alert (it stays, marked read)."""
    alert = selectors.access_alert_by_id(scope=scope, alert_id=alert_id)
    DataUseAlert.objects.filter(pk=alert.pk, read_at__isnull=True).update(read_at=timezone.now())
    alert.refresh_from_db(fields=["read_at"])
    return alert


@transaction.atomic
def record_log_export(*, actor: Any, scope: AuditScope, query: selectors.LogQuery) -> AuditEntry:
    """Record that an auditor exported the log (before the rows stream out)."""
    if not scope.is_auditor:
        raise PermissionDenied("仅审计员可以导出审计日志", code="auditor_only")
    return record_event(
        action=LOG_EXPORTED,
        actor=actor,
        object_type="audit.auditentry",
        details={"query": query.described(), "cap": selectors.EXPORT_CAP},
    )


def seal_pending(*, limit: int = 20_000):
    """Seal up to ``limit`` unsealed entries into the Merkle tree and sign a tree head (see sealing.py)."""
    from .sealing import seal_pending as seal

    return seal(limit=limit)


def inclusion_proof(*, entry: AuditEntry, tree_size: int | None = None):
    """The proof that a sealed ``entry`` is in the tree of ``tree_size`` (default: the latest head)."""
    from .proofs import inclusion_proof as prove

    return prove(entry=entry, tree_size=tree_size)


def latest_tree_head() -> dict[str, Any]:
    """The latest signed tree head as published (read-only; here so the API needs no private module)."""
    from .proofs import get_latest_tree_head

    return get_latest_tree_head()


def consistency_proof(*, first: int, second: int) -> dict[str, Any]:
    """The RFC 9162 proof that the tree of ``second`` entries extends the tree of ``first`` (read-only)."""
    from .proofs import consistency_proof as prove

    return prove(first=first, second=second)


def inclusion_proof_for_auditor(*, scope, seq: int, tree_size: int | None = None) -> dict[str, Any]:
    """An entry's inclusion proof for an auditor of its department; NotFound alike for missing and others'."""
    from .proofs import access_sealed_entry_by_seq

    return inclusion_proof(entry=access_sealed_entry_by_seq(scope=scope, seq=seq), tree_size=tree_size)
