"""数据异议 in a browser: a citizen objects to a wrong item of their population record from the data
tracker; the population register's data administrator accepts it on /quality/objections; the citizen sees
the status change to 已更正 (and the page fits a phone)."""

from __future__ import annotations

import json

import pytest

from .conftest import PHONE
from .licenses_world import run_in_server, server_var_dir
from .test_data_tracker import TOTP_KEY_HEX, _log_in, _totp

pytestmark = pytest.mark.e2e

SETUP = r"""
import json, secrets
from django_otp.plugins.otp_totp.models import TOTPDevice
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import StaffAssignment, User
from yiwang.registers.models import Person, Register
department = Register.objects.select_related("department").get(code="population").department
password = secrets.token_urlsafe(12)
admin, _ = User.objects.get_or_create(username="e2e-population-data", defaults={"is_staff_member": True,
                                      "surname": "数", "given_name": "管"})
admin.set_password(password); admin.save()
StaffAssignment.objects.get_or_create(user=admin, department=department, role=StaffRole.DATA_ADMIN,
                                      defaults={"region": department.region})
TOTPDevice.objects.get_or_create(user=admin, name="e2e", defaults={"key": "TOTP_KEY", "confirmed": True})
citizen = User.objects.get(username="citizen_l3")
person = Person.objects.get(id_number=citizen.id_number)
print(json.dumps({"password": password, "address": person.household_address}))
""".replace("TOTP_KEY", TOTP_KEY_HEX)
CORRECT = "四川省广安市广安区浓洄街道e2e测试路9号"


def test_a_citizen_objects_and_sees_the_department_accept_it(browser, base_url, tmp_path_factory, screenshot):
    world = json.loads(run_in_server(server_var_dir(tmp_path_factory), SETUP))
    # given the citizen on their data tracker, following the link to object
    citizen_context = browser.new_context(base_url=base_url, locale="zh-CN")
    citizen = citizen_context.new_page()
    _log_in(citizen, "citizen_l3", "Yiwang-demo-2026")
    citizen.goto("/me/data-uses")
    citizen.locator("[data-testid=objection-link]").click()
    citizen.get_by_role("link", name="提出异议").click()
    # when they say their household address is wrong, with the correct one and evidence
    form = citizen.locator("[data-testid=objection-form]")
    form.locator("select[name=item]").select_option("household_address")
    form.locator("input[name=proposed_value]").fill(CORRECT)
    form.locator("textarea[name=description]").fill("户籍地址门牌号登记错误")
    form.locator("textarea[name=evidence_text]").fill("户口簿户主页，2026 年换发")
    form.locator("[type=submit]").click()
    citizen.wait_for_load_state()
    # then the objection waits for the police with its deadline
    assert citizen.locator("[data-testid=objection-status]").inner_text() == "待处理"
    detail_url = citizen.url
    screenshot(citizen, "objection-submitted")

    # when the population register's data administrator accepts it
    staff_context = browser.new_context(base_url=base_url, locale="zh-CN")
    staff = staff_context.new_page()
    _log_in(staff, "e2e-population-data", world["password"])
    staff.fill("input[name=token]", _totp(TOTP_KEY_HEX))
    staff.locator("form:has(input[name=token]) [type=submit]").click()
    staff.wait_for_load_state()
    staff.goto("/quality/objections")
    staff.locator("[data-testid=objection]", has_text="户籍地址").first.get_by_role(
        "link", name="处理"
    ).click()
    decision = staff.locator("[data-testid=decision-form]")
    decision.locator("select[name=accept]").select_option("1")
    decision.locator("textarea[name=reason]").fill("经核对户籍档案，予以更正")
    decision.locator("[type=submit]").click()
    staff.wait_for_load_state()
    assert staff.locator("[data-testid=objection-status]").inner_text() == "已更正"
    staff_context.close()

    # then the citizen sees the status change and the corrected value
    citizen.goto(detail_url)
    assert citizen.locator("[data-testid=objection-status]").inner_text() == "已更正"
    assert citizen.locator("[data-testid=applied-value]").inner_text() == CORRECT
    screenshot(citizen, "objection-accepted")
    # and the list fits a phone
    citizen.set_viewport_size(PHONE)
    citizen.goto("/me/objections")
    assert "已更正" in citizen.locator("[data-testid=objection]").first.inner_text()
    assert citizen.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    citizen_context.close()
