"""The log as CSV, one entry a line, for an auditor's export (streamed: lines are produced on demand)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from .models import AuditEntry

COLUMNS = (
    "id",
    "seq",
    "occurred_at",
    "kind",
    "action",
    "outcome",
    "reason",
    "actor",
    "actor_role",
    "actor_department",
    "actor_region_code",
    "system",
    "department",
    "object_type",
    "object_id",
    "subject_hash",
    "fields",
    "purpose",
    "ground_kind",
    "ground_ref",
    "channel",
    "request_id",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting like a formula (CSV injection); quote it as text.
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _row(entry: AuditEntry) -> list[str]:
    values = {
        "occurred_at": entry.occurred_at.isoformat(),
        "actor": entry.actor.username if entry.actor is not None else "",
        "actor_department": entry.actor_department.name if entry.actor_department is not None else "",
        "department": entry.department.name if entry.department is not None else "",
        "fields": " ".join(entry.fields or []),
    }
    return [_cell(values[name] if name in values else getattr(entry, name)) for name in COLUMNS]


def csv_lines(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """The header, then one CSV line per entry (with a BOM so spreadsheet programs read UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield "\ufeff" + take()
    for entry in entries:
        writer.writerow(_row(entry))
        yield take()
