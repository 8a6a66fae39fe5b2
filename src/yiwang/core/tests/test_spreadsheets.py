"""The one guarded way to open an uploaded workbook and the one way to write a sheet, for every import."""

import io
import zipfile

from openpyxl import Workbook, load_workbook

from yiwang.catalog.spreadsheets import import_implementations
from yiwang.core.spreadsheets import MAX_UNPACKED_BYTES, open_workbook, workbook_bytes, write_sheet


class Report:
    def __init__(self):
        self.errors = []

    def add(self, sheet, row, column, message):
        self.errors.append((sheet, row, column, message))


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (MAX_UNPACKED_BYTES + 1))
    return buffer.getvalue()


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_parsed():
    bomb = _zip_bomb()
    assert len(bomb) < 1024 * 1024  # small on the wire
    report = Report()
    assert open_workbook(bomb, report, sheets=("实施清单",)) is None
    assert "解压后过大" in report.errors[0][3]


def test_the_catalog_import_refuses_a_zip_bomb_too():
    report = import_implementations(data=_zip_bomb())
    assert not report.is_valid and "解压后过大" in report.errors[0]["message"]


def test_oversized_files_non_xlsx_and_missing_sheets_are_refused_with_a_reason():
    report = Report()
    assert open_workbook(b"x" * 10, report, sheets=("A",), max_bytes=5) is None
    assert open_workbook(b"not a zip at all", report, sheets=("A",)) is None
    assert open_workbook(workbook_bytes(Workbook()), report, sheets=("A",)) is None
    messages = [error[3] for error in report.errors]
    assert "文件过大" in messages[0] and "不是有效的 Excel" in messages[1] and "缺少工作表“A”" in messages[2]


def test_text_that_looks_like_a_formula_is_written_as_text():
    workbook = Workbook()
    write_sheet(workbook.active, ["名称", "数量"], [['=HYPERLINK("http://x")', 3]])
    sheet = load_workbook(io.BytesIO(workbook_bytes(workbook))).active
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("=HYPERLINK")
    assert sheet["B2"].value == 3
