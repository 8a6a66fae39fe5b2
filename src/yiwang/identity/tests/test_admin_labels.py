"""The admin in Chinese and readable (issue 12): no "DJANGO OAUTH TOOLKIT", no raw one-line JSON, and staff
labelled by their role instead of a citizen's assurance level."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.catalog.tests.factories import ImplementationFactory, ServiceItemFactory
from yiwang.identity.admin_site import readable_name
from yiwang.identity.constants import StaffRole

from .factories import StaffAssignmentFactory

pytestmark = pytest.mark.django_db


def test_admin_index_names_the_oidc_section_in_chinese(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert "统一身份认证（OIDC 业务系统与令牌）" in html
    assert "Django OAuth Toolkit" not in html and "DJANGO OAUTH TOOLKIT" not in html


def test_oidc_app_page_and_breadcrumbs_use_the_chinese_name(admin_client):
    html = admin_client.get(reverse("admin:app_list", args=["oauth2_provider"])).content.decode()
    assert "统一身份认证（OIDC 业务系统与令牌）" in html
    assert "Django OAuth Toolkit" not in html


def test_read_only_json_is_shown_indented_with_chinese_characters(admin_client):
    implementation = ImplementationFactory(missing_elements=["materials", "收费"])
    html = admin_client.get(
        reverse("admin:catalog_implementation_change", args=[implementation.pk])
    ).content.decode()
    assert '<pre class="readable-json">[\n  &quot;materials&quot;,\n  &quot;收费&quot;\n]</pre>' in html


def test_editable_json_is_indented_in_its_text_box(admin_client):
    item = ServiceItemFactory(audiences=["person", "enterprise"])
    html = admin_client.get(reverse("admin:catalog_serviceitem_change", args=[item.pk])).content.decode()
    assert "[\n  &quot;person&quot;,\n  &quot;enterprise&quot;\n]</textarea>" in html


def test_editing_readable_json_still_saves(admin_client):
    item = ServiceItemFactory(audiences=["person"])
    url = reverse("admin:catalog_serviceitem_change", args=[item.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(audiences='[\n  "enterprise"\n]', topics=[])
    admin_client.post(url, data)
    item.refresh_from_db()
    assert item.audiences == ["enterprise"]


def test_every_registered_admin_with_json_fields_gets_readable_displays():
    from django.contrib import admin
    from django.db import models

    for model, model_admin in admin.site._registry.items():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.JSONField):
                assert hasattr(model_admin, readable_name(field.name)), model


def test_staff_account_page_shows_role_and_department_not_an_assurance_level(client):
    assignment = StaffAssignmentFactory(role=StaffRole.APPROVER)
    client.force_login(assignment.user)
    html = client.get(reverse("identity:account")).content.decode()
    assert f"审批人员 · {assignment.department.name}" in html
    assert 'data-testid="assurance-level"' not in html


def test_a_view_only_page_shows_its_json_indented(client):
    # given an auditor reading an audit entry (a page where every field is read-only)
    from yiwang.audit.services import record_event
    from yiwang.catalog.tests.factories import DepartmentFactory
    from yiwang.conftest import login_with_second_factor
    from yiwang.identity.services import grant_staff_role

    from .factories import UserFactory

    department = DepartmentFactory()
    platform_admin = StaffAssignmentFactory(department=department, role=StaffRole.PLATFORM_ADMIN).user
    auditor = UserFactory(staff=True)
    grant_staff_role(granted_by=platform_admin, user=auditor, department=department, role=StaffRole.AUDITOR)
    entry = record_event(action="test.read", department=department, details={"原因": "核对"})
    login_with_second_factor(client, type(auditor).objects.get(pk=auditor.pk))
    # when
    html = client.get(f"/admin/audit/auditentry/{entry.pk}/change/").content.decode()
    # then the details are indented, Chinese as characters
    assert '<pre class="readable-json">{\n  &quot;原因&quot;: &quot;核对&quot;\n}</pre>' in html


def test_the_header_labels_staff_as_staff_and_citizens_by_their_level(client):
    from .factories import UserFactory

    staff = StaffAssignmentFactory().user
    client.force_login(staff)
    html = client.get("/").content.decode()
    hint = html[html.index('data-testid="header-account-hint"') :]
    assert hint[: hint.index("</span>")].endswith(">工作人员")
    citizen = UserFactory()
    client.force_login(citizen)
    html = client.get("/").content.decode()
    hint = html[html.index('data-testid="header-account-hint"') :]
    assert hint[: hint.index("</span>")].endswith(">" + citizen.get_assurance_level_display())
