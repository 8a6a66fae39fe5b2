"""Maintaining the catalog: the provider's data administrators edit metadata and items on pages and by Excel
(export → import round trip, all-or-nothing imports with every error listed), other departments refused."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from yiwang.audit.models import AuditEntry
from yiwang.conftest import login_with_second_factor
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.exchange.constants import Grade, SharingType
from yiwang.exchange.models import DataItem, Resource
from yiwang.exchange.selectors.resources import export_resources
from yiwang.exchange.services import request_resource
from yiwang.exchange.services.resources import (
    RESOURCE_CREATED,
    RESOURCE_UPDATED,
    RESOURCES_IMPORTED,
    delete_data_item,
    import_resources,
    save_data_item,
    update_resource,
)
from yiwang.exchange.spreadsheets import ITEM_SHEET, MAX_FILE_BYTES, RESOURCE_SHEET

from .factories import CONSUMER_ITEM, make_world

pytestmark = pytest.mark.django_db
BASIS = "《中华人民共和国居民身份证法》第十九条"


@pytest.fixture
def world():
    return make_world()


def _snapshot() -> list:
    resources = list(Resource.objects.order_by("code").values())
    items = list(DataItem.objects.order_by("resource__code", "code").values())
    return [resources, items]


def _edit(data: bytes, edit) -> bytes:
    """The workbook with ``edit(workbook)`` applied, saved again."""
    workbook = load_workbook(io.BytesIO(data))
    edit(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _item_row(workbook, code: str) -> int:
    sheet = workbook[ITEM_SHEET]
    return next(row[0].row for row in sheet.iter_rows(min_row=2) if row[1].value == code)


# Round trip and what an import changes -----------------------------------------------------------


def test_export_then_import_changes_nothing(world):
    # given the police data administrator's export of their resources
    data = export_resources(actor=world.police_admin)
    before = _snapshot()
    # when the file is imported back as it is
    report = import_resources(actor=world.police_admin, data=data)
    # then every resource is reported unchanged, nothing changed (not even the version)
    assert report.is_valid, report.errors
    assert report.unchanged == [world.population.code] and not report.updated and not report.created
    assert _snapshot() == before
    assert not AuditEntry.objects.filter(action=RESOURCE_UPDATED).exists()
    assert AuditEntry.objects.filter(action=RESOURCES_IMPORTED, actor=world.police_admin).exists()


def test_export_lists_only_the_own_departments_resources(world):
    workbook = load_workbook(io.BytesIO(export_resources(actor=world.police_admin)))
    codes = [row[0] for row in workbook[RESOURCE_SHEET].iter_rows(min_row=2, values_only=True)]
    assert codes == [world.population.code]
    items = {row[1] for row in workbook[ITEM_SHEET].iter_rows(min_row=2, values_only=True)}
    assert items == set(world.population.items.values_list("code", flat=True))
    assert load_workbook(io.BytesIO(export_resources(actor=world.civil_admin)))[RESOURCE_SHEET].max_row == 1


def test_an_edited_import_bumps_the_version_and_is_audited(world):
    data = export_resources(actor=world.police_admin)

    def edit(workbook):
        workbook[RESOURCE_SHEET]["B2"] = "人口基础信息（2027 版）"
        workbook[ITEM_SHEET].cell(row=_item_row(workbook, "gender"), column=6).value = "敏感"

    report = import_resources(actor=world.police_admin, data=_edit(data, edit))
    assert report.is_valid, report.errors
    world.population.refresh_from_db()
    assert report.updated == [world.population.code]
    assert world.population.name == "人口基础信息（2027 版）" and world.population.version == "1.1"
    assert world.population.items.get(code="gender").grade == Grade.SENSITIVE
    entry = AuditEntry.objects.get(action=RESOURCE_UPDATED)
    assert entry.actor == world.police_admin and entry.department == world.police
    assert entry.details["fields"] == ["name"] and entry.details["changed"] == ["gender"]
    assert entry.details["version"] == "1.1" and entry.details["via"] == "import"


def test_an_import_may_add_a_resource_of_the_own_department(world):
    data = export_resources(actor=world.police_admin)

    def edit(workbook):
        resources, items = workbook[RESOURCE_SHEET], workbook[ITEM_SHEET]
        row = [cell.value for cell in resources[2]]
        resources.append(["RK-511602-0009", "流动人口登记", *row[2:12], ""])
        items.append(["RK-511602-0009", "residence_permit", "居住证号", "字符型", 20, "内部", "是", "否"])

    report = import_resources(actor=world.police_admin, data=_edit(data, edit))
    assert report.is_valid, report.errors
    created = Resource.objects.get(code="RK-511602-0009")
    assert report.created == ["RK-511602-0009"] and created.provider == world.police
    assert list(created.items.values_list("code", "grade")) == [("residence_permit", Grade.INTERNAL)]
    assert AuditEntry.objects.filter(action=RESOURCE_CREATED, object_id=str(created.pk)).exists()


# All or nothing ----------------------------------------------------------------------------------


def test_a_bad_file_writes_nothing_and_lists_every_error_by_sheet_row_and_column(world):
    data = export_resources(actor=world.police_admin)

    def edit(workbook):
        resources, items = workbook[RESOURCE_SHEET], workbook[ITEM_SHEET]
        resources["B2"] = "改了名字"  # a good change that must not be written either
        resources["F2"] = "不予共享"  # without a legal basis ("不予共享依据" is empty)
        items.cell(row=_item_row(workbook, "gender"), column=6).value = 5  # grade outside 1–4
        items.cell(row=_item_row(workbook, "phone"), column=2).value = "name"  # a second "name"
        items.cell(row=_item_row(workbook, "surname"), column=2).value = "Bad Code"
        items.cell(row=_item_row(workbook, "ethnicity"), column=5).value = "长"

    before = _snapshot()
    report = import_resources(actor=world.police_admin, data=_edit(data, edit))
    assert not report.is_valid
    assert _snapshot() == before
    found = {(error["sheet"], error["row"], error["column"]) for error in report.errors}
    workbook = load_workbook(io.BytesIO(data))
    assert (RESOURCE_SHEET, 2, "不予共享依据") in found
    assert (ITEM_SHEET, _item_row(workbook, "gender"), "敏感级别") in found
    assert (ITEM_SHEET, _item_row(workbook, "phone"), "信息项代码") in found
    assert (ITEM_SHEET, _item_row(workbook, "surname"), "信息项代码") in found
    assert (ITEM_SHEET, _item_row(workbook, "ethnicity"), "数据长度") in found
    messages = " ".join(error["message"] for error in report.errors)
    assert "重复" in messages and "不予共享须写明" in messages and "应为" in messages
    assert not AuditEntry.objects.filter(action__in=[RESOURCE_UPDATED, RESOURCES_IMPORTED]).exists()


def test_not_an_xlsx_is_refused(world):
    report = import_resources(actor=world.police_admin, data="资源代码,资源名称\n".encode())
    assert [error["message"] for error in report.errors] == ["文件不是有效的 Excel（.xlsx）文件"]
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert not import_resources(actor=world.police_admin, data=zipped.getvalue()).is_valid


def test_wrong_headers_and_missing_sheets_are_named(world):
    workbook = Workbook()
    workbook.active.title = RESOURCE_SHEET
    workbook.active.append(["代码", "资源名称"])
    workbook.create_sheet(ITEM_SHEET).append(["资源代码"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = import_resources(actor=world.police_admin, data=buffer.getvalue())
    messages = [(error["sheet"], error["column"], error["message"]) for error in report.errors]
    assert (RESOURCE_SHEET, "资源代码", "缺少列“资源代码”") in messages
    assert (RESOURCE_SHEET, "代码", "无法识别的列“代码”（第 1 列）") in messages
    assert (ITEM_SHEET, "信息项代码", "缺少列“信息项代码”") in messages
    single = Workbook()
    single.active.title = "Sheet1"
    buffer = io.BytesIO()
    single.save(buffer)
    missing = import_resources(actor=world.police_admin, data=buffer.getvalue())
    assert {error["message"] for error in missing.errors} == {"缺少工作表“资源”", "缺少工作表“信息项”"}


def test_a_huge_file_is_refused_before_it_is_opened(world):
    report = import_resources(actor=world.police_admin, data=b"PK" + b"\0" * (MAX_FILE_BYTES + 1))
    assert report.errors[0]["message"].startswith("文件过大")


def test_a_zip_bomb_is_refused_by_its_unpacked_size(world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    assert len(buffer.getvalue()) < MAX_FILE_BYTES
    report = import_resources(actor=world.police_admin, data=buffer.getvalue())
    assert report.errors[0]["message"].startswith("文件解压后过大")


def test_another_departments_resource_in_the_file_is_refused(world):
    # given the market data administrator's export, and the police resource pasted into it
    police = load_workbook(io.BytesIO(export_resources(actor=world.police_admin)))

    def edit(workbook):
        workbook[RESOURCE_SHEET].append([cell.value for cell in police[RESOURCE_SHEET][2]])
        for row in police[ITEM_SHEET].iter_rows(min_row=2, values_only=True):
            workbook[ITEM_SHEET].append(list(row))

    data = _edit(export_resources(actor=world.market_admin), edit)
    before = _snapshot()
    report = import_resources(actor=world.market_admin, data=data)
    assert any(error["column"] == "提供方统一社会信用代码" for error in report.errors)
    assert _snapshot() == before


def test_someone_who_manages_no_department_cannot_import(world):
    from yiwang.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_resources(actor=world.platform_admin, data=export_resources(actor=world.police_admin))


# The rules on the pages' services ----------------------------------------------------------------


def _metadata(resource: Resource, **changes) -> dict:
    values = {
        name: getattr(resource, name)
        for name in (
            "name",
            "summary",
            "sharing_type",
            "sharing_conditions",
            "legal_basis",
            "open_type",
            "update_cycle",
            "data_format",
            "published_on",
        )
    }
    return {**values, **changes}


def test_not_shared_needs_a_legal_basis_and_no_live_grants(world):
    with pytest.raises(InvalidInput) as refused:
        update_resource(
            actor=world.market_admin,
            code=world.legal_person.code,
            values=_metadata(world.legal_person, sharing_type=SharingType.NOT_SHARED),
        )
    assert "legal_basis" in refused.value.details["fields"]
    request_resource(
        actor=world.civil_admin,
        resource=world.legal_person,
        consumer=world.civil,
        system=world.civil_system,
        purpose="核验企业登记状态",
        service_item_codes=[CONSUMER_ITEM],
        legal_basis="《优化营商环境条例》",
        item_codes=["name", "status"],
        ends_on=world.ends_on,
    )  # unconditional: granted at once
    with pytest.raises(InvalidInput) as live:
        update_resource(
            actor=world.market_admin,
            code=world.legal_person.code,
            values=_metadata(world.legal_person, sharing_type=SharingType.NOT_SHARED, legal_basis=BASIS),
        )
    assert "先撤销" in live.value.message


def test_an_item_in_use_cannot_be_deleted_but_an_unused_one_can(world):
    request_resource(
        actor=world.civil_admin,
        resource=world.population,
        consumer=world.civil,
        system=world.civil_system,
        purpose="最低生活保障审核",
        service_item_codes=[CONSUMER_ITEM],
        legal_basis="《社会救助暂行办法》第十一条",
        item_codes=["name"],
        ends_on=world.ends_on,
    )  # waiting for the provider
    with pytest.raises(InvalidInput):
        delete_data_item(actor=world.police_admin, code=world.population.code, item_code="name")
    resource = delete_data_item(actor=world.police_admin, code=world.population.code, item_code="phone")
    assert not resource.items.filter(code="phone").exists() and resource.version == "1.1"


def test_a_register_resource_serves_only_the_registers_items(world):
    values = {
        "code": "favourite_colour",
        "name": "喜欢的颜色",
        "data_type": "C",
        "length": 10,
        "grade": 1,
        "is_personal": True,
        "is_sensitive_personal": False,
    }
    with pytest.raises(InvalidInput, match="基础库"):
        save_data_item(actor=world.police_admin, code=world.population.code, values=values)


def test_item_rules_grades_codes_lengths(world):
    good = {
        "name": "性别",
        "data_type": "C",
        "length": 1,
        "grade": 2,
        "is_personal": True,
        "is_sensitive_personal": False,
    }
    for bad in ({"grade": 0}, {"grade": 5}, {"length": 0}, {"length": 5000}, {"name": "长" * 101}):
        with pytest.raises(InvalidInput):
            save_data_item(
                actor=world.police_admin,
                code=world.population.code,
                item_code="gender",
                values={**good, **bad},
            )
    with pytest.raises(InvalidInput, match="敏感个人信息"):
        save_data_item(
            actor=world.police_admin,
            code=world.population.code,
            item_code="gender",
            values={**good, "is_personal": False, "is_sensitive_personal": True},
        )
    saved = save_data_item(
        actor=world.police_admin, code=world.population.code, item_code="gender", values={**good, "grade": 3}
    )
    assert saved.grade == 3


def test_another_departments_administrator_gets_not_found(world):
    with pytest.raises(NotFound):
        update_resource(actor=world.market_admin, code=world.population.code, values={"name": "改"})
    with pytest.raises(NotFound):
        delete_data_item(actor=world.civil_admin, code=world.population.code, item_code="phone")


# Pages -------------------------------------------------------------------------------------------


def test_pages_edit_metadata_and_items_and_bump_the_version(client, world):
    login_with_second_factor(client, world.police_admin)
    listing = client.get("/exchange/maintenance/").content.decode()
    assert world.population.code in listing and world.legal_person.code not in listing
    url = f"/exchange/maintenance/{world.population.code}/"
    assert client.get(url).status_code == 200
    form = {**_metadata(world.population), "summary": "人口基础信息（维护后）"}
    form["published_on"] = form["published_on"].isoformat()
    response = client.post(url, form)
    assert response.status_code == 302
    world.population.refresh_from_db()
    assert world.population.summary == "人口基础信息（维护后）" and world.population.version == "1.1"
    bad = client.post(url, {**form, "sharing_type": SharingType.NOT_SHARED, "legal_basis": ""})
    assert bad.status_code == 400 and "不予共享须写明" in bad.content.decode()
    item = client.post(
        f"{url}items/gender/",
        {"name": "性别代码", "data_type": "C", "length": "1", "grade": "2", "is_personal": "on"},
    )
    assert item.status_code == 302
    assert world.population.items.get(code="gender").name == "性别代码"


def test_pages_of_another_department_are_not_found(client, world):
    login_with_second_factor(client, world.market_admin)
    url = f"/exchange/maintenance/{world.population.code}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "改"}).status_code == 404
    assert client.post(f"{url}items/phone/delete").status_code == 404
    assert world.population.items.filter(code="phone").exists()


def test_page_export_and_import_round_trip_and_a_bad_upload_answers_422(client, world):
    login_with_second_factor(client, world.police_admin)
    exported = client.get("/exchange/maintenance/export.xlsx")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/vnd.openxml")
    data = exported.content
    upload = io.BytesIO(data)
    upload.name = "resources.xlsx"
    done = client.post("/exchange/maintenance/import", {"file": upload})
    assert done.status_code == 200 and "导入成功" in done.content.decode()
    bad = io.BytesIO(b"not a workbook")
    bad.name = "resources.xlsx"
    refused = client.post("/exchange/maintenance/import", {"file": bad})
    assert refused.status_code == 422
    assert "文件不是有效的 Excel" in refused.content.decode()


def test_pages_need_a_verified_staff_member(client, world):
    assert client.get("/exchange/maintenance/").status_code == 302
    client.force_login(world.police_admin)  # no second factor
    assert client.get("/exchange/maintenance/").status_code == 403


def test_page_import_refuses_a_huge_upload_and_another_departments_file(client, world):
    login_with_second_factor(client, world.market_admin)
    huge = io.BytesIO(b"PK" + b"\0" * (MAX_FILE_BYTES + 1))
    huge.name = "huge.xlsx"
    response = client.post("/exchange/maintenance/import", {"file": huge})
    assert response.status_code == 413 and "文件过大" in response.content.decode()
    police = io.BytesIO(export_resources(actor=world.police_admin))
    police.name = "police.xlsx"
    before = _snapshot()
    refused = client.post("/exchange/maintenance/import", {"file": police})
    assert refused.status_code == 422
    assert "您不是该资源提供方的数据管理员" in refused.content.decode()
    assert _snapshot() == before


def test_page_import_by_staff_who_manage_no_department_is_forbidden(client, world):
    login_with_second_factor(client, world.platform_admin)
    upload = io.BytesIO(export_resources(actor=world.police_admin))
    upload.name = "police.xlsx"
    response = client.post("/exchange/maintenance/import", {"file": upload})
    assert response.status_code == 403
    assert "您不是任何提供方部门的数据管理员" in client.get("/exchange/maintenance/").content.decode()
