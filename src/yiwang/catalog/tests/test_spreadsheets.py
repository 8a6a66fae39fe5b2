"""Excel export and import of implementations: lossless round trip, bad files rejected whole."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from yiwang.catalog.constants import DayUnit
from yiwang.catalog.models import Implementation, Material
from yiwang.catalog.spreadsheets import (
    IMPLEMENTATION_SHEET,
    MATERIAL_SHEET,
    export_implementations,
    import_implementations,
)

from .factories import ImplementationFactory, MaterialFactory, ProcessStepFactory, SituationOptionFactory

pytestmark = pytest.mark.django_db

GUIDE_FIELDS = (
    "code",
    "name",
    "item_id",
    "region_id",
    "department_id",
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
    "implementation_id",
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


def _snapshot():
    return (
        list(Implementation.objects.order_by("code").values_list(*GUIDE_FIELDS)),
        list(
            Material.objects.order_by("implementation_id", "order", "id").values_list("pk", *MATERIAL_FIELDS)
        ),
    )


def _workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def _save(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def catalog():
    complete = ImplementationFactory(complete=True, conditions="第一行\n第二行", phone="0826-2345678")
    MaterialFactory(
        implementation=complete,
        name="=申请表",
        by_situation=True,
        copies=2,
        form="copy",
        notes="加盖公章",
        key="apply-form",
    )
    sparse = ImplementationFactory(is_free=False, online_depth=None, visits=None, is_active=False)
    return [complete, sparse]


def test_export_has_chinese_headers_and_one_row_per_implementation_and_material(catalog):
    # when
    workbook = _workbook(export_implementations(queryset=Implementation.objects.all()))
    # then
    implementations, materials = workbook[IMPLEMENTATION_SHEET], workbook[MATERIAL_SHEET]
    assert [cell.value for cell in implementations[1]][:3] == ["实施编码", "事项编码", "实施名称"]
    assert implementations.max_row == 3 and materials.max_row == 3
    assert materials.cell(row=3, column=4).value == "=申请表"
    assert materials.cell(row=3, column=4).data_type == "s"
    assert materials.cell(row=3, column=8).value == "根据情形需要"


def test_round_trip_export_then_import_is_lossless(catalog):
    # given
    before = _snapshot()
    option = SituationOptionFactory(
        question__implementation=catalog[0], adds_materials=[catalog[0].materials.get(key="apply-form")]
    )
    data = export_implementations(queryset=Implementation.objects.all())
    # when
    report = import_implementations(data=data)
    # then
    assert report.is_valid, report.errors
    assert (report.created, report.updated, report.materials) == (0, 2, 2)
    assert _snapshot() == before
    assert option.adds_materials.count() == 1


def test_import_creates_new_implementations_and_replaces_materials(catalog):
    # given: the sheet gets a new row copied from the first, with another code and its own material
    workbook = _workbook(export_implementations(queryset=Implementation.objects.filter(pk=catalog[0].pk)))
    sheet, materials = workbook[IMPLEMENTATION_SHEET], workbook[MATERIAL_SHEET]
    sheet.append([cell.value for cell in sheet[2]])
    sheet.cell(row=3, column=1).value = "NEW-CODE-1"
    materials.append(["NEW-CODE-1", 1, "", "营业执照", "原件", 1, "电子", "必要", "政府部门核发"])
    materials.delete_rows(2)  # the first implementation's ID card (listed first) goes
    # when
    report = import_implementations(data=_save(workbook))
    # then
    assert report.is_valid, report.errors
    assert (report.created, report.updated) == (1, 1)
    created = Implementation.objects.get(code="NEW-CODE-1")
    assert [m.name for m in created.materials.all()] == ["营业执照"]
    assert created.completeness > 0
    assert [m.name for m in Implementation.objects.get(pk=catalog[0].pk).materials.all()] == ["=申请表"]


def test_bad_file_is_rejected_whole_with_row_and_column_errors(catalog):
    # given: one good edit and several bad cells
    workbook = _workbook(export_implementations(queryset=Implementation.objects.all()))
    sheet, materials = workbook[IMPLEMENTATION_SHEET], workbook[MATERIAL_SHEET]
    sheet.cell(row=2, column=6).value = "已修改的受理条件"  # valid
    sheet.cell(row=3, column=2).value = "NO-SUCH-ITEM"
    sheet.cell(row=3, column=8).value = "二十"
    sheet.cell(row=2, column=20).value = "五级"
    sheet.cell(row=2, column=10).value = 99  # promised beyond statutory (20)
    materials.cell(row=2, column=6).value = 1000
    materials.append(["NOT-IN-SHEET", 1, "", "身份证", "原件", 1, "电子", "必要", "申请人自备"])
    before = _snapshot()
    # when
    report = import_implementations(data=_save(workbook))
    # then: nothing imported, every bad cell named
    assert not report.is_valid
    assert _snapshot() == before
    located = {(error["sheet"], error["row"], error["column"]) for error in report.errors}
    assert located == {
        (IMPLEMENTATION_SHEET, 3, "事项编码"),
        (IMPLEMENTATION_SHEET, 3, "法定办结时限"),
        (IMPLEMENTATION_SHEET, 2, "网上办理深度"),
        (IMPLEMENTATION_SHEET, 2, "承诺办结时限"),
        (MATERIAL_SHEET, 2, "份数"),
        (MATERIAL_SHEET, 4, "实施编码"),
    }
    messages = {(error["row"], error["column"]): error["message"] for error in report.errors}
    assert messages[(3, "事项编码")] == "事项编码不存在：NO-SUCH-ITEM"
    assert messages[(3, "法定办结时限")] == "应为整数"
    assert messages[(2, "网上办理深度")].startswith("应为以下之一：一级")


def test_day_units_are_exported_and_imported_with_the_limits(catalog):
    # given: the complete implementation's statutory limit is in calendar days (e.g. 居民身份证法 六十日)
    catalog[0].statutory_limit_days, catalog[0].statutory_limit_unit = 60, DayUnit.CALENDAR
    catalog[0].save()
    workbook = _workbook(export_implementations(queryset=Implementation.objects.filter(pk=catalog[0].pk)))
    sheet = workbook[IMPLEMENTATION_SHEET]
    headers = [cell.value for cell in sheet[1]]
    # then the template shows each limit next to its unit, as a label
    position = headers.index("法定办结时限单位")
    assert headers[position - 1 : position + 3] == [
        "法定办结时限",
        "法定办结时限单位",
        "承诺办结时限",
        "承诺办结时限单位",
    ]
    assert sheet.cell(row=2, column=position + 1).value == "自然日"
    assert sheet.cell(row=2, column=position + 3).value == "工作日"
    # when the promised limit is changed to calendar days and the file imported again
    sheet.cell(row=2, column=position + 3).value = "自然日"
    report = import_implementations(data=_save(workbook))
    # then
    assert report.is_valid, report.errors
    catalog[0].refresh_from_db()
    assert (catalog[0].statutory_limit_unit, catalog[0].promised_limit_unit) == ("calendar", "calendar")


def test_a_limit_without_its_unit_or_longer_than_the_law_in_either_unit_is_refused(catalog):
    # given: 60 calendar days hold 42 working days by the comparison rule
    catalog[0].statutory_limit_days, catalog[0].statutory_limit_unit = 60, DayUnit.CALENDAR
    catalog[0].save()
    workbook = _workbook(export_implementations(queryset=Implementation.objects.filter(pk=catalog[0].pk)))
    sheet = workbook[IMPLEMENTATION_SHEET]
    headers = [cell.value for cell in sheet[1]]
    promised = headers.index("承诺办结时限") + 1
    sheet.cell(row=2, column=promised).value = 45  # 45 working days > 60 calendar days
    sheet.append([cell.value for cell in sheet[2]])
    sheet.cell(row=3, column=1).value = "NEW-CODE-2"
    sheet.cell(row=3, column=promised).value = 10
    sheet.cell(row=3, column=promised + 1).value = None  # a limit without its unit
    # when
    report = import_implementations(data=_save(workbook))
    # then
    assert {(e["row"], e["column"], e["message"]) for e in report.errors} == {
        (2, "承诺办结时限", "承诺时限不能超过法定时限"),
        (3, "承诺办结时限单位", "有时限的须写明单位：工作日或自然日"),
    }


def test_a_promise_cut_below_the_stored_steps_is_refused(catalog):
    # given: the complete guide's steps take 1 + 4 working days
    ProcessStepFactory(implementation=catalog[0], limit_days=4)
    workbook = _workbook(export_implementations(queryset=Implementation.objects.filter(pk=catalog[0].pk)))
    sheet = workbook[IMPLEMENTATION_SHEET]
    promised = [cell.value for cell in sheet[1]].index("承诺办结时限") + 1
    sheet.cell(row=2, column=promised).value = 3
    before = _snapshot()
    # when
    report = import_implementations(data=_save(workbook))
    # then nothing is imported and the row says why
    assert [(e["row"], e["column"]) for e in report.errors] == [(2, "承诺办结时限")]
    assert "短于各环节" in report.errors[0]["message"] and "5 个工作日" in report.errors[0]["message"]
    assert _snapshot() == before


def test_missing_required_column_and_duplicate_codes_are_reported(catalog):
    # given
    workbook = _workbook(export_implementations(queryset=Implementation.objects.all()))
    sheet = workbook[IMPLEMENTATION_SHEET]
    sheet.cell(row=3, column=1).value = sheet.cell(row=2, column=1).value
    sheet.delete_cols(4)  # 实施区划代码
    # when
    report = import_implementations(data=_save(workbook))
    # then
    assert {(e["row"], e["column"]) for e in report.errors} == {(1, "实施区划代码"), (3, "实施编码")}
    assert "缺少必需的列" in report.errors[0]["message"]


def test_not_an_excel_file_is_rejected():
    report = import_implementations(data=b"not a workbook")
    assert not report.is_valid and "Excel" in report.errors[0]["message"]
