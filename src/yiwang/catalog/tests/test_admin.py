"""Catalog admin pages for a superuser: lists, change forms, Excel export and import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiwang.audit.models import AuditEntry
from yiwang.catalog.models import Implementation
from yiwang.catalog.spreadsheets import export_implementations

from .factories import (
    BundleFactory,
    ImplementationFactory,
    MaterialFactory,
    SituationOptionFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/catalog/implementation/import-excel/"


def _xlsx(data: bytes, name: str = "guides.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.mark.parametrize(
    "model",
    [
        "implementation",
        "serviceitem",
        "material",
        "fee",
        "processstep",
        "specialstep",
        "faq",
        "situationquestion",
        "situationoption",
        "bundle",
        "bundleitem",
        "topic",
    ],
)
def test_every_catalog_model_has_a_changelist(admin_client, model):
    # given
    ImplementationFactory(complete=True)
    # when
    response = admin_client.get(f"/admin/catalog/{model}/")
    # then
    assert response.status_code == 200


def test_implementation_list_shows_least_complete_first_and_filters(admin_client):
    # given
    ImplementationFactory(name="完整指南", completeness=100)
    ImplementationFactory(name="空白指南", completeness=7)
    # when
    response = admin_client.get("/admin/catalog/implementation/")
    filtered = admin_client.get("/admin/catalog/implementation/", {"completeness": "full"})
    # then
    content = response.content.decode()
    assert content.index("空白指南") < content.index("完整指南")
    assert "导入 Excel" in content and "导出 Excel" in content
    assert "空白指南" not in filtered.content.decode()


def test_change_forms_render(admin_client):
    # given
    implementation = ImplementationFactory(complete=True)
    option = SituationOptionFactory(question__implementation=implementation)
    bundle = BundleFactory(implementations=[implementation], topics=[TopicFactory()])
    # when / then
    for url in (
        reverse("admin:catalog_implementation_change", args=[implementation.pk]),
        reverse("admin:catalog_situationquestion_change", args=[option.question.pk]),
        reverse("admin:catalog_bundle_change", args=[bundle.pk]),
        reverse("admin:catalog_serviceitem_change", args=[implementation.item.pk]),
        reverse("admin:catalog_implementation_add"),
    ):
        assert admin_client.get(url).status_code == 200, url


def test_admin_save_goes_through_services_and_updates_completeness(admin_client, admin_user):
    # given
    implementation = ImplementationFactory(complete=True)
    url = reverse("admin:catalog_implementation_change", args=[implementation.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        item=implementation.item.pk,
        department=implementation.department.pk,
        region=implementation.region_id,
        phone="",
        is_free="on",
        is_active="on",
    )
    for prefix in ("materials", "steps", "special_steps", "fees", "faqs", "citations"):
        total = getattr(implementation, prefix).count()
        data.update({f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": total})
    for index, material in enumerate(implementation.materials.all()):
        data.update(
            {
                f"materials-{index}-id": material.pk,
                f"materials-{index}-DELETE": "on",
                f"materials-{index}-implementation": implementation.pk,
                f"materials-{index}-name": material.name,
                f"materials-{index}-form": material.form,
                f"materials-{index}-copies": 1,
                f"materials-{index}-medium": material.medium,
                f"materials-{index}-order": 0,
                f"materials-{index}-requirement": material.requirement,
                f"materials-{index}-source": material.source,
            }
        )
    for prefix, objects in (("steps", implementation.steps.all()), ("faqs", implementation.faqs.all())):
        for index, part in enumerate(objects):
            data.update(
                {
                    f"{prefix}-{index}-id": part.pk,
                    f"{prefix}-{index}-implementation": implementation.pk,
                    f"{prefix}-{index}-order": part.order,
                    f"{prefix}-{index}-limit_unit": getattr(part, "limit_unit", ""),
                }
            )
            data.update(
                {
                    f"{prefix}-{index}-{name}": getattr(part, name)
                    for name in ("name", "description", "question", "answer")
                    if hasattr(part, name)
                }
            )
    # when: the phone is cleared and the only material deleted
    response = admin_client.post(url, data)
    # then
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    implementation.refresh_from_db()
    assert implementation.missing_elements == ["materials", "phone"]
    # and the edit and the deleted material are audited with the administrator as actor
    changed = AuditEntry.objects.get(action="catalog.implementation_changed")
    assert (changed.actor, changed.object_id, changed.department) == (
        admin_user,
        str(implementation.pk),
        implementation.department,
    )
    assert "phone" in changed.details["changed"]
    assert AuditEntry.objects.get(action="catalog.material_deleted").actor == admin_user


def test_admin_delete_is_audited_with_its_actor(admin_client, admin_user):
    # given
    topic = TopicFactory()
    # when
    response = admin_client.post(reverse("admin:catalog_topic_delete", args=[topic.pk]), {"post": "yes"})
    # then
    assert response.status_code == 302
    deleted = AuditEntry.objects.get(action="catalog.topic_deleted")
    assert (deleted.actor, deleted.object_id) == (admin_user, str(topic.pk))


def test_export_action_returns_a_workbook(admin_client):
    # given
    implementation = ImplementationFactory(complete=True)
    # when
    response = admin_client.post(
        "/admin/catalog/implementation/", {"action": "export_excel", "_selected_action": [implementation.pk]}
    )
    # then
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="implementations-')
    assert response.content[:2] == b"PK"


def test_import_page_renders_and_imports_a_valid_file(admin_client):
    # given
    implementation = ImplementationFactory(complete=True)
    MaterialFactory(implementation=implementation, name="申请表")
    data = export_implementations(queryset=Implementation.objects.all())
    Implementation.objects.filter(pk=implementation.pk).update(place="旧地点")
    # when
    page = admin_client.get(IMPORT_URL)
    response = admin_client.post(IMPORT_URL, {"file": _xlsx(data)})
    # then
    assert page.status_code == 200 and "上传并导入" in page.content.decode()
    assert response.status_code == 302
    implementation.refresh_from_db()
    assert implementation.place == "广安市广安区政务服务中心一楼"


def test_import_page_shows_the_error_table_of_a_bad_file(admin_client):
    # given
    from io import BytesIO

    from openpyxl import load_workbook

    ImplementationFactory(complete=True)
    workbook = load_workbook(BytesIO(export_implementations(queryset=Implementation.objects.all())))
    workbook["实施清单"].cell(row=2, column=2).value = "NO-SUCH-ITEM"
    buffer = BytesIO()
    workbook.save(buffer)
    # when
    response = admin_client.post(IMPORT_URL, {"file": _xlsx(buffer.getvalue())})
    # then
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="import-errors"' in content and "事项编码不存在：NO-SUCH-ITEM" in content


def test_import_page_refuses_a_file_that_is_not_xlsx(admin_client):
    response = admin_client.post(IMPORT_URL, {"file": _xlsx(b"name,code\n", name="guides.xlsx")})
    assert response.status_code == 200
    assert "不是有效的 Excel" in response.content.decode()
