"""The form definition is checked on import: every problem at once, in Chinese, with its path."""

from __future__ import annotations

import copy

import pytest

from yiwang.applications.constants import FormStatus
from yiwang.applications.models import ApplicationForm
from yiwang.applications.services.form_schema import FormSchemaError, check_schema
from yiwang.applications.services.forms import (
    FORM_ACTIVATED,
    FORM_IMPORTED,
    activate_form,
    export_form,
    import_form,
    parse_form_json,
)
from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.core.errors import Conflict, NotFound, PermissionDenied
from yiwang.exchange.tests.factories import staff
from yiwang.identity.constants import StaffRole
from yiwang.licenses.services import load_license_type_catalog

from .forms_world import field, import_small_form, label, make_small_world, small_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def license_catalog():
    load_license_type_catalog()


def _base():
    return {
        "schema_version": 1,
        "implementation": "X-1",
        "title": label("表", "Form"),
        "sections": [{"key": "main", "label": label("主要", "Main"), "fields": [field("name", "姓名")]}],
    }


def test_a_minimal_definition_is_valid():
    assert check_schema(_base()) == []


def test_every_problem_is_reported_with_its_path():
    schema = _base()
    schema["schema_version"] = 2
    schema["colour"] = "red"
    schema["title"] = {"zh": "表"}
    fields = schema["sections"][0]["fields"]
    fields.append(field("Bad Key", "坏键"))
    fields.append(field("age", "年龄", "integer"))
    fields.append(field("kind", "类别", "choice", options=[]))
    fields.append(field("name", "重复", "text"))
    fields.append(field("code", "代码", "text", validation={"pattern": "([", "min": 3}))
    fields.append(field("later", "后", "text", visible_when={"field": "nowhere", "equals": "x"}))
    fields.append(field("sit", "情形", "text", visible_when={"situation": "q"}))
    fields.append(field("pre", "预填", "text", prefill={"source": "internet"}))
    problems = check_schema(schema)
    joined = "\n".join(problems)
    for expected in (
        "schema_version：应为 1",
        "（根）.colour：不认识的属性",
        "title.en：缺少英文文字",
        "sections[0].fields[1].key：字段标识应为小写字母开头",
        "sections[0].fields[2].type：字段类型应为",
        "sections[0].fields[3].options：选择题须给出非空的选项列表",
        "sections[0].fields[4].key：字段标识“name”重复",
        "sections[0].fields[5].validation.pattern：正则表达式无效",
        "sections[0].fields[5].validation.min：类型 text 的字段不支持该校验规则",
        "sections[0].fields[6].visible_when.field：条件引用的字段“nowhere”不存在或定义在本字段之后",
        "sections[0].fields[7].visible_when：情形条件须给出 is（一个选项）或 in（选项列表）之一",
        "sections[0].fields[8].prefill.source：预填来源应为",
    ):
        assert expected in joined, expected
    assert len(problems) >= 12


def test_conditions_may_only_name_earlier_fields_and_their_options():
    schema = _base()
    schema["sections"][0]["fields"] = [
        field("first", "一", visible_when={"field": "second", "filled": True}),
        field("second", "二", "choice", options=[{"value": "a", "label": label("甲", "A")}]),
        field("third", "三", visible_when={"field": "second", "in": ["a", "z"]}),
        field("fourth", "四", visible_when={"all": [{"not": {"applicant_kind": "robot"}}]}),
    ]
    problems = check_schema(schema)
    assert any(p.startswith("sections[0].fields[0].visible_when.field") for p in problems)
    assert any("字段“second”没有选项“z”" in p for p in problems)
    assert any(p.startswith("sections[0].fields[3].visible_when.all[0].not.applicant_kind") for p in problems)


def test_invalid_json_names_line_and_column():
    with pytest.raises(FormSchemaError) as raised:
        parse_form_json(b'{"schema_version": 1,\n "title": }')
    assert "第 2 行" in raised.value.message
    assert raised.value.code == "invalid_form_schema"


def test_references_are_checked_against_the_implementation():
    world = make_small_world()
    schema = small_schema(world.implementation)
    fields = schema["sections"][0]["fields"]
    fields.append(field("other", "其他", visible_when={"situation": "employed", "in": ["maybe"]}))
    fields.append(field("ghost", "幽灵", visible_when={"situation": "unknown_question", "is": "x"}))
    fields.append(field("scan", "扫描件", "file", material="no_such_material"))
    fields.append(field("pop", "人口", prefill={"source": "register", "resource": "NOPE-1", "item": "name"}))
    fields.append(
        field("lic", "证照", prefill={"source": "license", "license_type": "NO_TYPE", "field": "name"})
    )
    with pytest.raises(FormSchemaError) as raised:
        import_form(actor=None, schema=schema)
    problems = raised.value.details["problems"]
    joined = "\n".join(problems)
    assert "情形问题“employed”没有选项“maybe”" in joined
    assert "没有问题“unknown_question”" in joined
    assert "申请材料中没有“no_such_material”" in joined
    assert "共享资源目录中没有资源“NOPE-1”" in joined
    assert "没有证照类型“NO_TYPE”" in joined
    assert not ApplicationForm.objects.exists()


def test_a_field_may_name_the_result_licenses_surface_field_it_fills():
    # given a definition whose fields name result surface fields, well and badly
    schema = _base()
    fields = schema["sections"][0]["fields"]
    fields[0]["result_field"] = "location"
    fields.append(field("scan", "扫描件", "file", material="scan", result_field="location"))
    fields.append(field("odd", "怪", result_field="Not A Key"))
    # then only the file field and the malformed name are refused, each with its path
    problems = check_schema(schema)
    assert any(p.startswith("sections[0].fields[1].result_field：") and "file" in p for p in problems)
    assert any(p.startswith("sections[0].fields[2].result_field：") for p in problems)
    assert len(problems) == 2


def test_the_result_holder_names_an_id_field_and_a_name_field_of_the_form():
    # given a definition that issues its result to the party two of its answers name (the buyer)
    schema = _base()
    fields = schema["sections"][0]["fields"]
    fields.append(field("buyer_id_number", "买受人身份号码", "id_number"))
    fields.append(field("buyer_name", "买受人姓名"))
    schema["result_holder"] = {"code": "buyer_id_number", "name": "buyer_name"}
    assert check_schema(schema) == []
    # then a name field as the code, a field the form lacks, and an unknown key are each refused
    schema["result_holder"] = {"code": "buyer_name", "name": "seller_name", "colour": "red"}
    problems = check_schema(schema)
    assert "result_holder.colour：不认识的属性（请检查拼写）" in problems
    assert any(p.startswith("result_holder.code：") and "id_number" in p for p in problems)
    assert "result_holder.name：应为本表单中已定义的字段" in problems
    assert len(problems) == 3
    schema["result_holder"] = "buyer"
    assert [p.split("：")[0] for p in check_schema(schema)] == ["result_holder"]


def test_a_result_field_must_be_on_the_implementations_result_license(license_catalog):
    world = make_small_world()
    schema = small_schema(world.implementation)
    schema["sections"][0]["fields"].append(field("address", "坐落", result_field="location"))
    # without a result license type it is refused
    with pytest.raises(FormSchemaError) as raised:
        import_form(actor=None, schema=schema)
    assert "没有结果证照" in "\n".join(raised.value.details["problems"])
    # with one, a field its surface does not have is refused
    world.implementation.result_license_type = "REAL_ESTATE_CERT"
    world.implementation.save()
    schema["sections"][0]["fields"].append(field("colour", "颜色", result_field="colour"))
    with pytest.raises(FormSchemaError) as raised:
        import_form(actor=None, schema=schema)
    last = len(schema["sections"][0]["fields"]) - 1
    assert raised.value.details["problems"] == [
        f"sections[0].fields[{last}].result_field：证照“不动产权证书”的照面信息中没有字段“colour”"
    ]
    # and one it has is imported
    schema["sections"][0]["fields"].pop()
    form, _created = import_form(actor=None, schema=schema)
    assert form.schema["sections"][0]["fields"][-1]["result_field"] == "location"


def test_the_result_may_replace_only_a_material_proven_by_a_license_of_its_own_type(license_catalog):
    world = make_small_world()
    world.implementation.result_license_type = "REAL_ESTATE_CERT"
    world.implementation.save()
    schema = small_schema(world.implementation)
    problems = {
        "no_such_material": "result_supersedes：该实施清单的申请材料中没有“no_such_material”",
        "applicant_id_card": "result_supersedes：材料“申请人居民身份证”的电子证照类型"
        "与该实施清单的结果证照类型不同，不能被办理结果替代",
    }
    for key, problem in problems.items():
        schema["result_supersedes"] = key
        with pytest.raises(FormSchemaError) as raised:
            import_form(actor=None, schema=schema)
        assert raised.value.details["problems"] == [problem]
    # a material whose license is of the result's type (the old 不动产权证书) may be replaced
    world.implementation.materials.filter(key="applicant_id_card").update(
        license_type_code="REAL_ESTATE_CERT"
    )
    schema["result_supersedes"] = "applicant_id_card"
    form, _created = import_form(actor=None, schema=schema)
    assert form.schema["result_supersedes"] == "applicant_id_card"


def test_import_versions_activation_and_export_round_trip():
    world = make_small_world()
    # when a data administrator of the department imports twice (the second time changed)
    first, created = import_form(actor=world.data_admin, schema=small_schema(world.implementation))
    same, created_again = import_form(actor=world.data_admin, schema=small_schema(world.implementation))
    changed = small_schema(world.implementation, title=label("新表", "New form"))
    second, _ = import_form(actor=world.data_admin, schema=changed)
    # then: versions 1 and 2, both drafts; the identical import made nothing
    assert (created, created_again, same.pk) == (True, False, first.pk)
    assert (first.version, second.version) == (1, 2)
    assert first.status == second.status == FormStatus.DRAFT
    activate_form(actor=world.data_admin, form_id=first.pk)
    activate_form(actor=world.data_admin, form_id=second.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (FormStatus.RETIRED, FormStatus.ACTIVE)
    with pytest.raises(Conflict):
        activate_form(actor=world.data_admin, form_id=second.pk)
    # and every write is audited with the administrator's role
    entries = AuditEntry.objects.filter(action__in=[FORM_IMPORTED, FORM_ACTIVATED]).order_by("id")
    assert [entry.action for entry in entries] == [
        FORM_IMPORTED,
        FORM_IMPORTED,
        FORM_ACTIVATED,
        FORM_ACTIVATED,
    ]
    assert {entry.actor_role for entry in entries} == {StaffRole.DATA_ADMIN}
    assert entries.last().details["previous"] == 1
    # the export imports again as the same version
    again, created = import_form(actor=world.data_admin, schema=export_form(form=second))
    assert (again.pk, created) == (second.pk, False)


def test_only_the_departments_data_admin_may_import_or_activate():
    world = make_small_world()
    form = import_small_form(world)
    other_admin = staff(DepartmentFactory(name="区住建局"), StaffRole.DATA_ADMIN)
    clerk = staff(world.department, StaffRole.WINDOW_CLERK)
    for outsider in (other_admin, clerk):
        with pytest.raises(PermissionDenied):
            import_form(actor=outsider, schema=copy.deepcopy(form.schema) | {"title": label("x", "x")})
        with pytest.raises(NotFound):
            activate_form(actor=outsider, form_id=form.pk)
