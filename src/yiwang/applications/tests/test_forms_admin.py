"""The data administrators' form pages: who sees and changes what (another department's data
administrator and other roles see nothing), import with every problem listed, export, activation."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiwang.applications.constants import FormStatus
from yiwang.applications.models import ApplicationForm
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.conftest import login_with_second_factor
from yiwang.exchange.tests.factories import staff
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import UserFactory

from .forms_world import import_small_form, label, make_small_world, small_schema

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_small_world()


@pytest.fixture
def form(world):
    return import_small_form(world)


def _as(client, user):
    login_with_second_factor(client, user)
    return client


def _pages(form):
    return {
        "detail": reverse("applications:form_detail", args=[form.pk]),
        "export": reverse("applications:form_export", args=[form.pk]),
    }


def test_the_departments_data_admin_sees_lists_and_exports_the_form(client, world, form):
    _as(client, world.data_admin)
    listing = client.get(reverse("applications:forms_admin"))
    assert listing.status_code == 200
    assert form.title in listing.content.decode() and form.implementation.code in listing.content.decode()
    detail = client.get(_pages(form)["detail"])
    page = detail.content.decode()
    assert detail.status_code == 200
    assert "工作单位" in page and "情形“是否在职？”选择“在职”" in page
    assert "实名账户：姓名" in page  # the prefill source of the name
    exported = client.get(_pages(form)["export"])
    assert exported["Content-Type"].startswith("application/json")
    assert json.loads(exported.content) == form.schema


@pytest.mark.parametrize("who", ["other_data_admin", "clerk", "approver", "citizen"])
def test_nobody_else_sees_or_changes_the_form(client, world, form, who):
    if who == "other_data_admin":
        user = staff(DepartmentFactory(name="区住建局"), StaffRole.DATA_ADMIN)
    elif who == "citizen":
        user = UserFactory(level3=True)
    else:
        user = staff(world.department, StaffRole.WINDOW_CLERK if who == "clerk" else StaffRole.APPROVER)
    _as(client, user)
    expected = 403 if who == "citizen" else 404  # a citizen is not staff; staff get "not found" alike
    for url in _pages(form).values():
        assert client.get(url).status_code == expected
    response = client.post(reverse("applications:form_activate", args=[form.pk]))
    assert response.status_code == expected
    if who != "citizen":
        listing = client.get(reverse("applications:forms_admin")).content.decode()
        assert form.title not in listing and form.implementation.code not in listing
        upload = SimpleUploadedFile(
            "f.json", json.dumps(form.schema | {"title": label("改", "Changed")}).encode()
        )
        refused = client.post(reverse("applications:form_import"), {"file": upload})
        assert refused.status_code == 403
    assert ApplicationForm.objects.count() == 1


def test_pages_need_a_staff_login_with_the_second_factor(client, world, form):
    assert client.get(reverse("applications:forms_admin")).status_code == 302
    client.force_login(world.data_admin)  # password only
    assert client.get(_pages(form)["detail"]).status_code == 403


def test_import_lists_every_problem_and_stores_nothing(client, world, form):
    _as(client, world.data_admin)
    broken = small_schema(world.implementation, title={"zh": "坏表"})
    broken["sections"][0]["fields"][0]["type"] = "colour"
    response = client.post(reverse("applications:form_import"), {"schema_text": json.dumps(broken)})
    assert response.status_code == 422
    page = response.content.decode()
    assert "title.en：缺少英文文字" in page
    assert "sections[0].fields[0].type：字段类型应为" in page
    bad_json = client.post(
        reverse("applications:form_import"), {"file": SimpleUploadedFile("x.json", b"{oops")}
    )
    assert bad_json.status_code == 422 and "第 1 行" in bad_json.content.decode()
    assert client.post(reverse("applications:form_import"), {}).status_code == 400
    assert ApplicationForm.objects.count() == 1


def test_import_a_new_version_then_activate_it(client, world, form):
    _as(client, world.data_admin)
    changed = small_schema(world.implementation, title=label("测试申请表（修订）", "Test form, revised"))
    upload = SimpleUploadedFile("form.json", json.dumps(changed, ensure_ascii=False).encode())
    response = client.post(reverse("applications:form_import"), {"file": upload})
    second = ApplicationForm.objects.get(version=2)
    assert response.status_code == 302 and response["Location"] == _pages(second)["detail"]
    assert second.status == FormStatus.DRAFT
    again = client.post(reverse("applications:form_import"), {"schema_text": json.dumps(changed)})
    assert again.status_code == 302 and ApplicationForm.objects.count() == 2  # the same content: no version
    activated = client.post(reverse("applications:form_activate", args=[second.pk]))
    assert activated.status_code == 302
    second.refresh_from_db()
    form.refresh_from_db()
    assert (form.status, second.status) == (FormStatus.RETIRED, FormStatus.ACTIVE)
    page = client.get(_pages(second)["detail"]).content.decode()
    assert "启用该版本" not in page


def test_commands_import_and_export_a_definition(world, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "form.json"
    path.write_text(json.dumps(small_schema(world.implementation), ensure_ascii=False), encoding="utf-8")
    call_command("import_form", str(path), "--activate")
    form = ApplicationForm.objects.get()
    assert form.status == FormStatus.ACTIVE
    out = tmp_path / "out.json"
    call_command("export_form", world.implementation.code, "--output", str(out))
    assert json.loads(out.read_text("utf-8")) == form.schema
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"schema_version": 1}), encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        call_command("import_form", str(broken))
    assert "表单定义有误" in str(raised.value)
    with pytest.raises(CommandError):
        call_command("export_form", "NO-SUCH-CODE")
