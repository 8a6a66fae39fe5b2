"""A holder sees their license with the watermark, shows its QR code, and a verifier's page confirms it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .licenses_world import log_in, make_holder, server_var_dir

pytestmark = pytest.mark.e2e


@pytest.fixture
def holder(base_url, tmp_path_factory):
    return make_holder(server_var_dir(tmp_path_factory))


def test_holder_sees_license_shows_qr_and_verifier_confirms(
    browser, context, page, base_url, holder, screenshot
):
    # given the holder is logged in
    log_in(context, base_url, holder["session"])
    # when they open "my licenses" and their ID card
    page.goto("/licenses/")
    expect(page.get_by_role("heading", level=1)).to_have_text("我的证照")
    page.get_by_role("link", name="居民身份证").first.click()
    expect(page.locator("#license-identifier")).to_have_text(holder["identifier"])
    # then the A-level watermark names the issuer and the validity
    expect(page.get_by_role("note")).to_contain_text(
        f"此件由{holder['issuer']}提供，仅供办理政务服务事项时使用，有效期至"
    )
    # when they show it (亮证)
    page.get_by_role("link", name="亮证（出示二维码）").click()  # a GET page: refreshing it resubmits nothing
    expect(page.locator(".show-qr svg")).to_be_visible()
    screenshot(page, "qr")
    link = page.locator("#show-link").get_attribute("href")
    # then a verifier, in their own browser without logging in, scans it and sees it confirmed
    verifier = browser.new_context(base_url=base_url, locale="zh-CN")
    try:
        scanner = verifier.new_page()
        scanner.goto(re.sub(r"^https?://[^/]+", "", link))
        expect(scanner.locator("#verification h2")).to_have_text("验证通过：证照真实有效")
        expect(scanner.locator("#verification")).to_contain_text("赵**")
        expect(scanner.locator("#verification")).not_to_contain_text(holder["id_number"])
        screenshot(scanner, "verified")
    finally:
        verifier.close()


def test_public_verification_page_by_identifier(page, holder):
    page.goto("/licenses/verify")
    page.get_by_label("证照标识").fill(holder["identifier"])
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page.locator("#verification h2")).to_have_text("验证通过：证照真实有效")
