"""A holder grants a department consent to use a license, sees the use logged, then revokes the consent."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .licenses_world import log_in, make_holder, read_as_requester, server_var_dir

pytestmark = pytest.mark.e2e


def test_holder_grants_sees_use_and_revokes(context, page, base_url, tmp_path_factory, screenshot):
    var_dir = server_var_dir(tmp_path_factory)
    world = make_holder(var_dir)
    log_in(context, base_url, world["session"])
    # when the holder grants the requesting department consent from the license page
    page.goto(f"/licenses/{world['identifier']}/")
    page.locator("select[name=requester_credit_code]").select_option(world["requester_code"])  # by name
    page.get_by_label("用途").fill("办理户籍迁移")
    page.get_by_label("授权天数").fill("3")
    page.get_by_role("button", name="授权", exact=True).click()
    # then the consent is listed as active
    consents = page.locator("#consents")
    expect(consents).to_contain_text(world["requester_name"])
    expect(consents).to_contain_text("办理户籍迁移")
    # when the department reads the license under that consent
    read_as_requester(var_dir, world)
    page.reload()
    # then the holder sees the use logged
    expect(page.locator("#uses")).to_contain_text(world["requester_name"])
    expect(page.locator("#uses")).to_contain_text("已调用")
    screenshot(page, "use-logged")
    # when the holder revokes it, it is shown as withdrawn
    page.locator("#consents").get_by_role("button", name="撤回").click()
    expect(page.locator("#consents")).to_contain_text("已撤回")
