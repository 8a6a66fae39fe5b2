"""网上申报 in a browser at phone width: a citizen opens the 居民身份证补领 guide, follows 在线申请,
applies for themself, answers the situation, sees their name locked with its source and the materials
they need not bring, uploads the rest, double-clicks 提交申请 and gets one case with its query code;
the public status query (without login) finds it with that code and nothing with a wrong one."""

from __future__ import annotations

import json

import pytest

from .conftest import DESKTOP, PHONE
from .licenses_world import run_in_server, server_var_dir
from .test_data_tracker import _log_in

pytestmark = pytest.mark.e2e

IMPLEMENTATION = "513A001120006803-511602000000-000-11511300008778693M-1-00"  # 居民身份证补领
SETUP = r"""
import json
from yiwang.applications.services.forms import load_demo_forms
from yiwang.applications.services.processes import load_default_processes
from yiwang.identity.models import User
load_default_processes()
load_demo_forms()
citizen = User.objects.get(username="citizen_l3")
print(json.dumps({"name": citizen.full_name, "id_number": citizen.id_number}))
"""
COUNT = r"""
import json
from yiwang.applications.models import Case
print(json.dumps(list(Case.objects.filter(applicant__username="citizen_l3",
      implementation__code="IMPLEMENTATION").values_list("number", flat=True))))
""".replace("IMPLEMENTATION", IMPLEMENTATION)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def viewport():
    return PHONE


def test_a_citizen_applies_online_at_phone_width_and_tracks_the_case(
    browser, base_url, page, tmp_path, tmp_path_factory, screenshot
):
    var_dir = server_var_dir(tmp_path_factory)
    citizen = json.loads(run_in_server(var_dir, SETUP))
    scan = tmp_path / "申领登记表.pdf"
    scan.write_bytes(PDF)

    # given the citizen logged in, on the guide of the item
    _log_in(page, "citizen_l3", "Yiwang-demo-2026")
    page.goto(f"/items/{IMPLEMENTATION}")
    page.get_by_test_id("online-apply").click()
    # when they apply for themself
    page.get_by_label("本人申请", exact=False).check()
    page.get_by_role("button", name="开始填写").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("holder").inner_text().endswith(f"本人（{citizen['name']}）")
    # their name comes locked from the register-checked account
    name = page.locator('input[name="f:applicant_name"]')
    assert name.input_value() == citizen["name"] and name.get_attribute("readonly") is not None
    assert "来自 实名账户，已核验" in page.get_by_test_id("source-applicant_name").inner_text()
    # the situation: an adult, no temporary card, away from home, photo at the counter
    for question, option in (
        ("age", "adult"),
        ("temporary", "no"),
        ("place", "elsewhere"),
        ("photo", "counter"),
    ):
        with page.expect_response(lambda response: "/refresh" in response.url):
            page.locator(f'input[name="s:{question}"][value="{option}"]').check()
    # the materials the answers remove need not be brought, with the reason
    not_needed = page.get_by_test_id("materials-not-needed").inner_text()
    assert "申请人居民户口簿" in not_needed and "无需提交" in not_needed
    household = page.locator('input[name="f:household_address"]')
    if household.get_attribute("readonly") is None:
        household.fill("四川省广安市广安区北辰街道建设路8号")
    page.locator('input[name="f:loss_reason"][value="lost"]').check()
    page.locator('input[name="f:lost_on"]').fill("2026-11-20")
    # choosing delivery by mail brings the address field
    with page.expect_response(lambda response: "/refresh" in response.url):
        page.locator('input[name="f:certificate_delivery"][value="mail"]').check()
    page.locator('textarea[name="f:mail_address"], input[name="f:mail_address"]').fill(
        "四川省广安市广安区渠江北路88号1栋101室"
    )
    page.locator('input[name="f:truth_commitment"]').check()
    uploads = page.get_by_test_id("materials-to-upload")
    uploads.locator('[data-material="id_application_form"] input[type=file]').set_input_files(str(scan))
    screenshot(page, "apply-form")

    # when they double-click 提交申请
    page.get_by_test_id("submit").dblclick()
    page.wait_for_url("**/submitted")
    # then one case, its number and the query code shown once, the fee as the next step
    number = page.get_by_test_id("case-number").inner_text().strip()
    code = page.get_by_test_id("query-code").inner_text().strip()
    assert number and code
    assert (
        page.get_by_test_id("next-pay").count() == 1
        and "40.00" in page.get_by_test_id("next-pay").inner_text()
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "submitted")
    assert json.loads(run_in_server(var_dir, COUNT)) == [number]
    page.reload()
    assert page.get_by_test_id("query-code").count() == 0

    # the case page shows the timeline and how each material was provided
    page.goto(f"/cases/mine/{number}/")
    assert "已提交申请，等待受理" in page.get_by_test_id("timeline").inner_text()
    assert "在线上传" in page.get_by_test_id("case-materials").inner_text()
    screenshot(page, "case")
    page.set_viewport_size(DESKTOP)
    screenshot(page, "case-desktop")

    # anyone with the number and the code sees the status, without login and without personal data
    visitor = browser.new_context(base_url=base_url, viewport=PHONE, locale="zh-CN")
    anonymous = visitor.new_page()
    anonymous.goto(f"/cases/query/?number={number}")
    anonymous.fill("input[name=query_code]", "WRONG-0000")
    anonymous.get_by_role("button", name="查询").click()
    assert "办件编号或查询码不正确" in anonymous.get_by_test_id("query-error").inner_text()
    anonymous.fill("input[name=query_code]", code)
    anonymous.get_by_role("button", name="查询").click()
    result = anonymous.get_by_test_id("query-result").inner_text()
    assert "已提交，待受理" in result and citizen["name"] not in result and citizen["id_number"] not in result
    screenshot(anonymous, "public-query")
    visitor.close()
