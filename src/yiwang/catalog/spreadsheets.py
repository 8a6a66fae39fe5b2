"""Excel export and import of implementations and their materials (Chinese headers, all-or-nothing import)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook

from yiwang.core.spreadsheets import NO, YES, open_workbook, workbook_bytes, write_rows
from yiwang.core.workdays import as_working_days
from yiwang.regions.models import Department, Region

from .consistency import FACTS_PREFETCH, Limit, check_guide, errors, implementation_facts
from .constants import (
    DayUnit,
    MaterialForm,
    MaterialMedium,
    MaterialRequirement,
    MaterialSource,
    OnlineDepth,
)
from .models import Implementation, Material, ServiceItem
from .services import upsert_implementations

IMPLEMENTATION_SHEET = "实施清单"
MATERIAL_SHEET = "申请材料"
_VISITS = [(0, "0"), (1, "1"), (2, "2")]


@dataclass(frozen=True)
class Column:
    """One spreadsheet column: its Chinese header, the field it fills and how its cells are read."""

    header: str
    field: str
    kind: str = "text"  # text | code | int | bool | choice
    required: bool = False
    choices: tuple[tuple[Any, str], ...] = ()
    minimum: int = 0
    maximum: int = 999
    max_length: int | None = None


def _text(header, name, model=Implementation, **kwargs) -> Column:
    return Column(header, name, max_length=getattr(model._meta.get_field(name), "max_length", None), **kwargs)


IMPLEMENTATION_COLUMNS = (
    Column("实施编码", "code", "code", required=True, max_length=100),
    Column("事项编码", "item_code", "code", required=True),
    _text("实施名称", "name", required=True),
    Column("实施区划代码", "region_code", "code", required=True),
    Column("实施主体统一社会信用代码", "department_credit_code", "code", required=True),
    _text("受理条件", "conditions"),
    _text("办理流程说明", "process_description"),
    Column("法定办结时限", "statutory_limit_days", "int"),
    Column("法定办结时限单位", "statutory_limit_unit", "choice", choices=tuple(DayUnit.choices)),
    Column("承诺办结时限", "promised_limit_days", "int"),
    Column("承诺办结时限单位", "promised_limit_unit", "choice", choices=tuple(DayUnit.choices)),
    Column("补正告知时限", "supplement_notice_days", "int"),
    Column("补正告知时限单位", "supplement_notice_unit", "choice", choices=tuple(DayUnit.choices)),
    Column("不收费", "is_free", "bool", required=True),
    _text("收费依据", "fee_basis"),
    _text("办理地点", "place"),
    _text("办理时间", "hours"),
    _text("咨询电话", "phone"),
    _text("监督投诉渠道", "complaint_channel"),
    Column("网上办理深度", "online_depth", "choice", choices=tuple(OnlineDepth.choices)),
    Column("到现场次数", "visits", "choice", choices=tuple(_VISITS)),
    _text("审批结果名称", "result_name"),
    _text("结果电子证照类型代码", "result_license_type"),
    Column("有效", "is_active", "bool", required=True),
)
MATERIAL_COLUMNS = (
    Column("实施编码", "implementation_code", "code", required=True),
    Column("序号", "order", "int", required=True, minimum=0, maximum=999),
    _text("材料标识", "key", Material),
    _text("材料名称", "name", Material, required=True),
    Column("材料形式", "form", "choice", required=True, choices=tuple(MaterialForm.choices)),
    Column("份数", "copies", "int", required=True, minimum=0, maximum=99),
    Column("载体", "medium", "choice", required=True, choices=tuple(MaterialMedium.choices)),
    Column("必要性", "requirement", "choice", required=True, choices=tuple(MaterialRequirement.choices)),
    Column("来源渠道", "source", "choice", required=True, choices=tuple(MaterialSource.choices)),
    _text("出具单位", "source_detail", Material),
    _text("空白表格", "blank_form_url", Material),
    _text("示例样表", "sample_url", Material),
    _text("可替代的电子证照类型代码", "license_type_code", Material),
    _text("可替代的电子证照名称", "license_type_name", Material),
    _text("填报须知", "notes", Material),
)


@dataclass
class ImportReport:
    """Outcome of an import: per-cell errors (nothing imported), or what was created and updated."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    materials: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def add(self, sheet: str, row: int, column: str, message: str) -> None:
        self.errors.append({"sheet": sheet, "row": row, "column": column, "message": message})


# ---- export -------------------------------------------------------------------------------------


def _implementation_row(implementation: Implementation) -> dict[str, Any]:
    row = {column.field: getattr(implementation, column.field, None) for column in IMPLEMENTATION_COLUMNS}
    row.update(
        item_code=implementation.item.code,
        region_code=implementation.region_id,
        department_credit_code=implementation.department.credit_code,
    )
    return row


def export_implementations(*, queryset: QuerySet[Implementation]) -> bytes:
    """An .xlsx workbook: one sheet of implementations, one of their materials."""
    implementations = (
        queryset.select_related("item", "department")
        .prefetch_related(Prefetch("materials", queryset=Material.objects.order_by("order", "id")))
        .order_by("code")
    )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = IMPLEMENTATION_SHEET
    implementations = list(implementations)
    write_rows(sheet, IMPLEMENTATION_COLUMNS, (_implementation_row(impl) for impl in implementations))
    material_rows = (
        {"implementation_code": impl.code, **{c.field: getattr(m, c.field) for c in MATERIAL_COLUMNS[1:]}}
        for impl in implementations
        for m in impl.materials.all()
    )
    write_rows(workbook.create_sheet(MATERIAL_SHEET), MATERIAL_COLUMNS, material_rows)
    return workbook_bytes(workbook)


# ---- import -------------------------------------------------------------------------------------


def _parse(column: Column, raw: Any) -> Any:
    """The cell's value for the column's field; raises ValueError with a Chinese message."""
    if isinstance(raw, str):
        raw = raw.strip() if column.kind != "text" else raw
    if raw is None or raw == "":
        if column.required:
            raise ValueError(_("必填"))
        return "" if column.kind in ("text", "code") else None
    if column.kind in ("text", "code"):
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)
        if column.max_length and len(text) > column.max_length:
            raise ValueError(_("不能超过 %(n)d 个字符") % {"n": column.max_length})
        return text
    if column.kind == "bool":
        if raw in (YES, True):
            return True
        if raw in (NO, False):
            return False
        raise ValueError(_("应填“是”或“否”"))
    if column.kind == "int":
        return _parse_int(column, raw)
    for code, label in column.choices:
        if str(raw) in (str(label), str(code)):
            return code
    raise ValueError(
        _("应为以下之一：%(labels)s") % {"labels": "、".join(str(label) for _c, label in column.choices)}
    )


def _parse_int(column: Column, raw: Any) -> int:
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ValueError(_("应为整数")) from None
    if not number.is_integer():
        raise ValueError(_("应为整数"))
    if not column.minimum <= number <= column.maximum:
        raise ValueError(_("应在 %(min)d 到 %(max)d 之间") % {"min": column.minimum, "max": column.maximum})
    return int(number)


def _read_sheet(
    workbook, name: str, columns: tuple[Column, ...], report: ImportReport
) -> list[tuple[int, dict]]:
    """Rows of a sheet as (Excel row number, values); every bad cell is added to the report."""
    sheet = workbook[name]
    header_cells = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    headers = [str(value).strip() if value is not None else "" for value in header_cells]
    positions = {}
    for column in columns:
        if column.header in headers:
            positions[column.field] = headers.index(column.header)
        elif column.required:
            report.add(name, 1, column.header, _("缺少必需的列“%(h)s”") % {"h": column.header})
    rows = []
    for number, cells in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if all(value is None or str(value).strip() == "" for value in cells):
            continue
        values = {}
        for column in columns:
            if column.field not in positions:
                continue
            index = positions[column.field]
            try:
                values[column.field] = _parse(column, cells[index] if index < len(cells) else None)
            except ValueError as error:
                report.add(name, number, column.header, str(error))
        rows.append((number, values))
    return rows


def _header_of(field_name: str) -> str:
    return next(c.header for c in (*IMPLEMENTATION_COLUMNS, *MATERIAL_COLUMNS) if c.field == field_name)


def _check_references(rows: list[tuple[int, dict]], report: ImportReport) -> dict[str, dict]:
    """Codes must exist: item code, region code, department credit code; implementation codes unique."""
    wanted = {
        key: {values.get(key) for _n, values in rows} - {None, ""}
        for key in ("item_code", "region_code", "department_credit_code")
    }
    found = {
        "item_code": {item.code: item for item in ServiceItem.objects.filter(code__in=wanted["item_code"])},
        "region_code": {
            region.code: region for region in Region.objects.filter(code__in=wanted["region_code"])
        },
        "department_credit_code": {
            dept.credit_code: dept
            for dept in Department.objects.filter(credit_code__in=wanted["department_credit_code"])
        },
    }
    messages = {
        "item_code": _("事项编码不存在"),
        "region_code": _("行政区划代码不存在"),
        "department_credit_code": _("没有该统一社会信用代码的部门"),
    }
    seen: dict[str, int] = {}
    for number, values in rows:
        for key, known in found.items():
            if values.get(key) and values[key] not in known:
                report.add(IMPLEMENTATION_SHEET, number, _header_of(key), f"{messages[key]}：{values[key]}")
        code = values.get("code")
        if code and code in seen:
            report.add(IMPLEMENTATION_SHEET, number, "实施编码", _("与第 %(n)d 行重复") % {"n": seen[code]})
        seen.setdefault(code, number)
        _check_limits(number, values, report)
    return found


def _check_limits(number: int, values: dict, report: ImportReport) -> None:
    """A limit states its unit; the promise is not longer than the law's (compared in working days)."""
    for days, unit in (
        ("statutory_limit_days", "statutory_limit_unit"),
        ("promised_limit_days", "promised_limit_unit"),
        ("supplement_notice_days", "supplement_notice_unit"),
    ):
        if values.get(days) is not None and values.get(unit) is None:
            message = _("有时限的须写明单位：工作日或自然日")
            report.add(IMPLEMENTATION_SHEET, number, _header_of(unit), message)
        if values.get(unit) is None:
            values.pop(unit, None)  # no limit and no unit: the stored unit stays
    statutory, promised = values.get("statutory_limit_days"), values.get("promised_limit_days")
    if statutory is None or promised is None or "statutory_limit_unit" not in values:
        return
    if "promised_limit_unit" not in values:
        return
    if as_working_days(promised, values["promised_limit_unit"]) > as_working_days(
        statutory, values["statutory_limit_unit"]
    ):
        report.add(IMPLEMENTATION_SHEET, number, "承诺办结时限", _("承诺时限不能超过法定时限"))


def _check_against_stored_guides(rows: list[tuple[int, dict]], report: ImportReport) -> None:
    """The new limits of an existing guide must still hold its steps and situations (the consistency
    checks' errors, with the stored steps, special steps and options)."""
    codes = {values["code"] for _n, values in rows if values.get("code")}
    stored = {
        implementation.code: implementation
        for implementation in Implementation.objects.filter(code__in=codes).prefetch_related(*FACTS_PREFETCH)
    }
    for number, values in rows:
        implementation = stored.get(values.get("code"))
        if implementation is None:
            continue
        limits = {}
        for kind in ("statutory", "promised"):
            days = values.get(f"{kind}_limit_days", getattr(implementation, f"{kind}_limit_days"))
            unit = values.get(f"{kind}_limit_unit", getattr(implementation, f"{kind}_limit_unit"))
            limits[kind] = None if days is None else Limit(days, unit)
        facts = replace(implementation_facts(implementation), **limits)
        for problem in errors(check_guide(facts)):
            if problem.check == "promised_exceeds_statutory" and not problem.field.startswith("questions"):
                continue  # reported by _check_limits
            header = "承诺办结时限" if problem.check == "steps_exceed_promised" else "法定办结时限"
            report.add(IMPLEMENTATION_SHEET, number, header, problem.message)


def _group_materials(
    material_rows: list[tuple[int, dict]], codes: set[str], report: ImportReport
) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {code: [] for code in codes}
    for number, values in material_rows:
        code = values.get("implementation_code")
        if code and code not in codes:
            report.add(
                MATERIAL_SHEET, number, "实施编码", _("该实施编码不在“实施清单”表中：%(c)s") % {"c": code}
            )
        elif code:
            grouped[code].append(
                {key: value for key, value in values.items() if key != "implementation_code"}
            )
    for materials in grouped.values():
        materials.sort(key=lambda material: material.get("order") or 0)
    return grouped


def _open(data: bytes, report: ImportReport):
    """The workbook, or None with the reason (too large, a zip bomb, not an .xlsx, no 实施清单 sheet)."""
    return open_workbook(data, report, sheets=(IMPLEMENTATION_SHEET,))


def import_implementations(*, data: bytes) -> ImportReport:
    """Validate every row of both sheets; import all in one transaction, or nothing if any cell is wrong.

    Without a materials sheet, materials are left as they are; with one, each listed implementation's
    materials become exactly its rows there.
    """
    report = ImportReport()
    workbook = _open(data, report)
    if workbook is None:
        return report
    rows = _read_sheet(workbook, IMPLEMENTATION_SHEET, IMPLEMENTATION_COLUMNS, report)
    found = _check_references(rows, report)
    _check_against_stored_guides(rows, report)
    materials = None
    if MATERIAL_SHEET in workbook.sheetnames:
        material_rows = _read_sheet(workbook, MATERIAL_SHEET, MATERIAL_COLUMNS, report)
        materials = _group_materials(material_rows, {v["code"] for _n, v in rows if v.get("code")}, report)
    workbook.close()
    if not report.is_valid:
        return report
    payload = []
    for _number, values in rows:
        entry = {key: value for key, value in values.items() if key not in found}
        entry.update(
            item=found["item_code"][values["item_code"]],
            region=found["region_code"][values["region_code"]],
            department=found["department_credit_code"][values["department_credit_code"]],
        )
        if materials is not None:
            entry["materials"] = materials[values["code"]]
            report.materials += len(entry["materials"])
        payload.append(entry)
    report.created, report.updated = upsert_implementations(rows=payload)
    return report
