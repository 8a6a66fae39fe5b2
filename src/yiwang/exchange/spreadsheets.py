"""Excel (.xlsx) form of the resource catalog: two sheets with Chinese headers, written and read back.

Only the shape lives here: which column holds which field and how a cell becomes a value. What a value
may be (codes, grades, sharing types, who may change what) is the services' rule
(``services.resources``), applied alike to pages and imports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook

from yiwang.core.spreadsheets import (
    MAX_FILE_BYTES,
    MAX_UNPACKED_BYTES,
    NO,
    YES,
    workbook_bytes,
    write_rows,
    write_sheet,
)
from yiwang.core.spreadsheets import open_workbook as open_uploaded_workbook

from .constants import DataType, Grade, OpenType, SharingType, UpdateCycle

RESOURCE_SHEET = "资源"
ITEM_SHEET = "信息项"
MAX_ROWS = 5000  # per sheet


@dataclass(frozen=True)
class Column:
    """One column: its Chinese header, its field and how a cell is read (text|int|bool|date|choice)."""

    header: str
    field: str
    kind: str = "text"
    choices: tuple[tuple[Any, str], ...] = ()


RESOURCE_COLUMNS = (
    Column("资源代码", "code"),
    Column("资源名称", "name"),
    Column("提供方统一社会信用代码", "provider_credit_code"),
    Column("提供方", "provider_name"),  # shown for people; not read back
    Column("资源摘要", "summary"),
    Column("共享类型", "sharing_type", "choice", tuple(SharingType.choices)),
    Column("共享条件", "sharing_conditions"),
    Column("不予共享依据", "legal_basis"),
    Column("开放类型", "open_type", "choice", tuple(OpenType.choices)),
    Column("更新周期", "update_cycle", "choice", tuple(UpdateCycle.choices)),
    Column("信息资源格式", "data_format"),
    Column("发布日期", "published_on", "date"),
    Column("版本", "version"),  # shown; the platform sets it
)
ITEM_COLUMNS = (
    Column("资源代码", "resource_code"),
    Column("信息项代码", "code"),
    Column("信息项名称", "name"),
    Column("数据类型", "data_type", "choice", tuple(DataType.choices)),
    Column("数据长度", "length", "int"),
    Column("敏感级别", "grade", "choice", tuple(Grade.choices)),
    Column("个人信息", "is_personal", "bool"),
    Column("敏感个人信息", "is_sensitive_personal", "bool"),
)
READ_ONLY_FIELDS = frozenset({"provider_name", "version"})


@dataclass
class ImportReport:
    """An import's outcome: every bad cell (then nothing was written), or what was written."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def add(self, sheet: str, row: int, column: str, message: str) -> None:
        self.errors.append({"sheet": sheet, "row": row, "column": column, "message": message})


# Export ------------------------------------------------------------------------------------------


def write_workbook(resources: list[dict[str, Any]], items: list[dict[str, Any]]) -> bytes:
    """An .xlsx of resources (one row each) and their data items (one row each, after the resource code)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = RESOURCE_SHEET
    write_rows(sheet, RESOURCE_COLUMNS, resources)
    write_rows(workbook.create_sheet(ITEM_SHEET), ITEM_COLUMNS, items)
    return workbook_bytes(workbook)


# Import ------------------------------------------------------------------------------------------


def _text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    return str(raw).strip()


def _parse(column: Column, raw: Any) -> Any:
    """The cell's value for the column; raises ValueError with a Chinese message. Empty is "" or None."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return "" if column.kind == "text" else None
    if column.kind == "text":
        return _text(raw)
    if column.kind == "bool":
        if raw in (YES, True) or _text(raw) == YES:
            return True
        if raw in (NO, False) or _text(raw) == NO:
            return False
        raise ValueError("应填“是”或“否”")
    if column.kind == "int":
        return _parse_int(raw)
    if column.kind == "date":
        return _parse_date(raw)
    text = _text(raw)
    for code, label in column.choices:
        if text in (str(label), str(code)):
            return code
    raise ValueError("应为以下之一：" + "、".join(str(label) for _code, label in column.choices))


def _parse_int(raw: Any) -> int:
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ValueError("应为整数") from None
    if not number.is_integer():
        raise ValueError("应为整数")
    return int(number)


def _parse_date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(_text(raw))
    except ValueError:
        raise ValueError("应为日期，如 2026-01-31") from None


def _headers(sheet, columns: tuple[Column, ...], report: ImportReport) -> dict[str, int] | None:
    errors_before = len(report.errors)
    cells = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    headers = [_text(value) if value is not None else "" for value in cells]
    positions: dict[str, int] = {}
    for column in columns:
        if column.header in headers:
            positions[column.field] = headers.index(column.header)
        elif column.field not in READ_ONLY_FIELDS:
            report.add(sheet.title, 1, column.header, f"缺少列“{column.header}”")
    known = {column.header for column in columns}
    for index, header in enumerate(headers):
        if header and header not in known:
            report.add(sheet.title, 1, header, f"无法识别的列“{header}”（第 {index + 1} 列）")
    return positions if len(report.errors) == errors_before else None


def read_sheet(sheet, columns: tuple[Column, ...], report: ImportReport) -> list[tuple[int, dict[str, Any]]]:
    """The rows as (Excel row number, values); each bad cell goes into the report with its header."""
    positions = _headers(sheet, columns, report)
    if positions is None:
        return []
    rows = []
    for number, cells in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if all(value is None or str(value).strip() == "" for value in cells):
            continue
        if len(rows) >= MAX_ROWS:
            report.add(sheet.title, number, "", f"行数超过上限 {MAX_ROWS} 行")
            break
        values: dict[str, Any] = {}
        for column in columns:
            if column.field in READ_ONLY_FIELDS or column.field not in positions:
                continue
            index = positions[column.field]
            try:
                values[column.field] = _parse(column, cells[index] if index < len(cells) else None)
            except ValueError as error:
                report.add(sheet.title, number, column.header, str(error))
        rows.append((number, values))
    return rows


def open_workbook(data: bytes, report: ImportReport):
    """The workbook, or None with the reason in the report (too large, not an .xlsx, sheets missing)."""
    return open_uploaded_workbook(
        data,
        report,
        sheets=(RESOURCE_SHEET, ITEM_SHEET),
        max_bytes=MAX_FILE_BYTES,
        max_unpacked_bytes=MAX_UNPACKED_BYTES,
    )


def write_tables(tables: Iterable[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    """An .xlsx with one sheet per (title, headers, rows): figures for people to read, not to import."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, headers, rows in tables:
        write_sheet(workbook.create_sheet(title[:31]), headers, rows)
    return workbook_bytes(workbook)
