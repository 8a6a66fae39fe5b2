"""Excel (.xlsx) files people download and upload: one way to write a sheet and one guarded way to open one.

Writing: a bold header row, frozen; every text cell stored as text, so exported data never runs as a
formula in the reader's Excel (CSV/formula injection). Opening an upload: refused before it is parsed when
it is too large, when it unpacks to too much (an xlsx is a zip: zip bombs), when it is not an xlsx, or
when a sheet the caller needs is missing. The apps keep their own columns and rules.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

MAX_FILE_BYTES = 5 * 1024 * 1024  # an upload larger than this is refused before it is opened
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # the xlsx (a zip) unpacked
YES, NO = "是", "否"  # how a yes/no cell reads in both directions


class ErrorReport(Protocol):
    def add(self, sheet: str, row: int, column: str, message: str) -> None: ...


class SheetColumn(Protocol):
    """What a column of an app's sheet tells the writer: its header, field, kind and choices."""

    @property
    def header(self) -> str: ...
    @property
    def field(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def choices(self) -> tuple[tuple[Any, str], ...]: ...


def export_cell(column: SheetColumn, value: Any) -> Any:
    """A stored value as a person reads it: 是/否 for yes and no, a choice's label for its code."""
    if value is None:
        return None
    if column.kind == "bool":
        return YES if value else NO
    if column.kind == "choice":
        return str(dict(column.choices).get(value, value))
    return value


def write_rows(sheet, columns: Sequence[SheetColumn], rows: Iterable[dict[str, Any]]) -> None:
    """``write_sheet`` for records: one column per field, each cell as ``export_cell`` shows it."""
    write_sheet(
        sheet,
        [column.header for column in columns],
        ([export_cell(column, row.get(column.field)) for column in columns] for row in rows),
    )


def write_sheet(sheet, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Fill ``sheet``: the headers in bold (frozen), then the rows, text cells as text, readable widths."""
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula: exported data must not run in Excel
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, min(40, len(header) * 2 + 2))


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _unpacked_size(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


def open_workbook(
    data: bytes,
    report: ErrorReport,
    *,
    sheets: Sequence[str],
    max_bytes: int = MAX_FILE_BYTES,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
):
    """The uploaded workbook (read-only, values not formulas), or None with the reason in ``report``."""
    if len(data) > max_bytes:
        report.add("", 0, "", _("文件过大：不能超过 %(mb)d MB") % {"mb": max_bytes // (1024 * 1024)})
        return None
    try:
        if _unpacked_size(data) > max_unpacked_bytes:
            limit = {"mb": max_unpacked_bytes // (1024 * 1024)}
            report.add("", 0, "", _("文件解压后过大：不能超过 %(mb)d MB") % limit)
            return None
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        report.add("", 0, "", _("文件不是有效的 Excel（.xlsx）文件"))
        return None
    missing = [name for name in sheets if name not in workbook.sheetnames]
    for name in missing:
        report.add(name, 0, "", _("缺少工作表“%(s)s”") % {"s": name})
    if missing:
        workbook.close()
        return None
    return workbook
