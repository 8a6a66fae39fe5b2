"""我的数据使用记录 in a browser: a clerk reads a citizen's register record for a case; the citizen sees
that read with its purpose and opens its proof, which the server verifies ("记录未被篡改")."""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
import time

import pytest

from .conftest import PHONE
from .licenses_world import run_in_server, server_var_dir

pytestmark = pytest.mark.e2e

TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
SETUP = r"""
import json, secrets
from django_otp.plugins.otp_totp.models import TOTPDevice
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import StaffAssignment, User
from yiwang.registers.models import Register
department = Register.objects.select_related("department").get(code="population").department
password = secrets.token_urlsafe(12)
clerk, _ = User.objects.get_or_create(username="e2e-window-clerk", defaults={"is_staff_member": True,
                                      "surname": "窗", "given_name": "口"})
clerk.set_password(password); clerk.save()
StaffAssignment.objects.get_or_create(user=clerk, department=department, role=StaffRole.WINDOW_CLERK,
                                      defaults={"region": department.region})
TOTPDevice.objects.get_or_create(user=clerk, name="e2e", defaults={"key": "TOTP_KEY", "confirmed": True})
citizen = User.objects.get(username="citizen_l3")
print(json.dumps({"clerk_password": password, "id_number": citizen.id_number}))
""".replace("TOTP_KEY", TOTP_KEY_HEX)
PURPOSE = "受理居住证申领，核对户籍信息"
CASE = "BJ-2026-000731"


def _totp(key_hex: str, *, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), as the clerk's authenticator app computes it."""
    counter = int((at or time.time()) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def _log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_load_state()


def test_a_citizen_sees_a_clerks_read_with_its_purpose_and_a_verified_proof(
    browser, base_url, tmp_path_factory, screenshot
):
    world = json.loads(run_in_server(server_var_dir(tmp_path_factory), SETUP))
    # given a window clerk, logged in with password and TOTP, looking up the citizen for a case
    clerk_context = browser.new_context(base_url=base_url, locale="zh-CN")
    clerk = clerk_context.new_page()
    _log_in(clerk, "e2e-window-clerk", world["clerk_password"])
    clerk.fill("input[name=token]", _totp(TOTP_KEY_HEX))
    clerk.locator("form:has(input[name=token]) [type=submit]").click()
    clerk.wait_for_load_state()
    clerk.goto("/staff/register-lookup")
    clerk.fill("input[name=id_number]", world["id_number"])
    clerk.fill("input[name=purpose]", PURPOSE)
    clerk.fill("input[name=case_number]", CASE)
    clerk.locator("[data-testid=lookup-form] [type=submit]").click()
    assert clerk.locator("[data-testid=lookup-result]").is_visible()
    clerk_context.close()

    # when the citizen logs in and opens 我的数据使用记录
    citizen_context = browser.new_context(
        base_url=base_url, locale="zh-CN", viewport={"width": 1280, "height": 800}
    )
    page = citizen_context.new_page()
    _log_in(page, "citizen_l3", "Yiwang-demo-2026")
    page.goto("/me/data-uses")
    row = page.locator("[data-testid=data-use]", has_text=PURPOSE).first
    # then the read is there with its purpose and its case, and never the ID number
    assert row.is_visible() and CASE in row.inner_text()
    assert world["id_number"] not in page.content()
    page.screenshot(path="/tmp/tracker-list.png", full_page=True)
    row.locator("[data-testid=proof-link]").click()
    assert "记录未被篡改" in page.locator("[data-testid=proof-result]").inner_text()
    page.screenshot(path="/tmp/tracker.png", full_page=True)
    screenshot(page, "proof")

    # and on a phone the page fits the screen
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path="/tmp/tracker-phone.png", full_page=True)
    page.goto("/me/data-uses")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path="/tmp/tracker-list-phone.png", full_page=True)
    citizen_context.close()
