"""二手房转移登记一件事 in a browser, on the demo data: the seller (house_seller) applies once at
/cases/apply/bundle/second-hand-house-transfer/ (the property's details come locked from the real estate
register through the exchange, the 不动产权证书 and the ID card from the license library), and the window
clerks and approvers of the three departments, each logged in with password and TOTP, act on their own
parts at /cases/workbench/ in parallel; a one-time supplement notice in the registration's part stops the
application's one clock until the seller answers it on the part's page; the approvers decide, entering
what the result e-licenses say beyond the application, and the seller finds the application approved,
the 不动产登记证明 and the tax bureau's 完税证明 in the wallet, and the new 不动产权证书 issued to the buyer.

The tax return is approved through /api/v1/workbench: its 完税证明 needs a last valid day, which the
decision page has no field for yet."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from playwright.sync_api import Browser, Page

from yiwang.core.identifiers import credit_code_check_character

from .licenses_world import run_in_server, server_var_dir
from .test_data_tracker import _log_in, _totp

pytestmark = pytest.mark.e2e

PASSWORD = "Yiwang-demo-2026"
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"  # the demo staff accounts' shared secret
BUNDLE = "second-hand-house-transfer"
CONTRACT_FILING = "000172011001-511602000000-000-11511301008778255F-1-00"
TAX_RETURN = "000172012001-511602000000-000-11511301MB1549994W-1-00"
TRANSFER = "00017200800201-511602000000-000-11511301MB1550442U-1-00"
MORTGAGE = "000172008003-511602000000-000-11511301MB1550442U-1-00"
BANK = "91511600MA62A0XX3" + credit_code_check_character("91511600MA62A0XX3")
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
WORLD = r"""
import json
from yiwang.applications.demo import demo_buyer, seller_estate
from yiwang.identity.models import User
seller = User.objects.get(username="house_seller")
estate = seller_estate(seller)
buyer = demo_buyer(excluded=[seller.id_number])
print(json.dumps({"seller": {"name": seller.full_name, "id_number": seller.id_number, "phone": seller.phone},
                  "buyer": {"name": buyer.name, "id_number": buyer.id_number, "phone": buyer.phone},
                  "certificate": estate.certificate_number, "address": estate.address,
                  "unit_number": estate.unit_number, "area": float(estate.area)}, ensure_ascii=False))
"""
PARTS = r"""
import json
from yiwang.applications.models import Case
parent = Case.objects.get(number="NUMBER")
print(json.dumps({part.implementation.code: part.number for part in parent.children.all()}))
"""
# Bearer tokens of the approvers for /api/v1/workbench (what a departmental system would hold).
TOKENS = r"""
import datetime as dt, json, secrets
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
from yiwang.identity.models import User
app, _ = Application.objects.get_or_create(client_id="e2e-workbench", defaults={
    "name": "e2e 部门业务系统", "client_type": Application.CLIENT_CONFIDENTIAL,
    "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
    "redirect_uris": "https://rp.example.gov.cn/callback", "algorithm": Application.RS256_ALGORITHM})
tokens = {}
for username in ("swj_approver",):
    token = AccessToken.objects.create(user=User.objects.get(username=username), application=app,
        token=secrets.token_urlsafe(24), scope="openid workbench:read workbench:write applications:read",
        expires=timezone.now() + dt.timedelta(hours=1))
    tokens[username] = token.token
print(json.dumps(tokens))
"""
SITUATION = {
    "applicant": "self",
    "supervision": "no",
    "seller_married": "no",
    "register": "registered",
    "buyer_homes": "first",
    "held_two_years": "yes",
    "five_year_only_home": "yes",
    "house_type": "residential",
    "mortgaged": "no",
    "co_owners": "single",
    "small_business": "no",
    "co_owned": "no",
}


def staff_page(browser: Browser, base_url: str, username: str) -> Page:
    """A staff member logged in with the demo password and the current TOTP code."""
    context = browser.new_context(base_url=base_url, locale="zh-CN", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    _log_in(page, username, PASSWORD)
    page.fill("input[name=token]", _totp(TOTP_KEY_HEX))
    page.locator("form:has(input[name=token]) [type=submit]").click()
    page.wait_for_load_state()
    return page


def refresh_after(page: Page, action) -> None:
    with page.expect_response(lambda response: "/refresh" in response.url):
        action()
    page.wait_for_timeout(100)


def fill_house_form(page: Page, world: dict) -> None:
    for question, option in SITUATION.items():
        radio = page.locator(f'input[name="s:{question}"][value="{option}"]')
        if radio.count() and not radio.is_checked():
            refresh_after(page, radio.check)
    page.locator('input[name="f:applicant_role"][value="seller"]').check()
    for side in ("seller", "buyer"):
        page.fill(f'input[name="f:{side}_name"]', world[side]["name"])
        page.fill(f'input[name="f:{side}_id_number"]', world[side]["id_number"])
        page.fill(f'input[name="f:{side}_phone"]', world[side]["phone"])
    certificate = page.locator('input[name="f:property_certificate_number"]')
    refresh_after(page, lambda: (certificate.fill(world["certificate"]), certificate.blur()))
    page.fill('input[name="f:contract_price"]', "680000")
    page.fill('input[name="f:contract_signed_on"]', time.strftime("%Y-%m-%d"))
    page.locator('input[name="f:payment_method"][value="loan"]').check()
    page.fill('input[name="f:mortgagee_name"]', "中国建设银行股份有限公司广安分行")
    page.fill('input[name="f:mortgagee_credit_code"]', BANK)
    page.fill('input[name="f:loan_amount"]', "400000")
    page.fill('input[name="f:loan_start_on"]', time.strftime("%Y-%m-%d"))
    page.fill('input[name="f:loan_end_on"]', "2046-12-31")
    page.locator('input[name="f:mortgage_kind"][value="general"]').check()
    refresh_after(page, page.locator('input[name="f:certificate_delivery"][value="window"]').check)
    page.locator('input[name="f:truth_commitment"]').check()


def open_part(page: Page, number: str) -> None:
    """From the workbench queue to the part's case page."""
    page.goto("/cases/workbench/")
    page.get_by_test_id("queue-row").filter(has_text=number).get_by_role("link", name=number).click()
    page.wait_for_load_state()


def accept(page: Page, number: str) -> None:
    open_part(page, number)
    page.locator("#accept-button").click()
    page.wait_for_load_state()
    assert "已受理" in page.locator("#case-status").inner_text()


def review_and_decide(page: Page, number: str, reason: str, basis: str, surface: dict | None = None) -> None:
    """The approver reviews (审查) and approves; ``surface`` fills what the result e-license says that the
    application does not (the decision form asks only for those)."""
    page.goto(f"/cases/workbench/{number}/")
    review = page.get_by_test_id("complete-form")
    review.locator("textarea[name=opinion]").fill("材料齐全，符合法定形式，拟准予办理")
    review.get_by_role("button", name="办理完成").click()
    page.wait_for_load_state()
    decide = page.locator("#decide-form")
    decide.locator('input[name=decision][value="approve"]').check()
    decide.locator("textarea[name=reason]").fill(reason)
    decide.locator("input[name=legal_basis]").fill(basis)
    asked = decide.locator("#result-surface input")
    for index in range(asked.count()):
        field = asked.nth(index)
        key = (field.get_attribute("name") or "").removeprefix("surface-")
        assert surface is not None and key in surface, f"the decision form asks for {key}"
        field.fill(str(surface[key]))
    page.locator("#decide-button").click()
    page.wait_for_load_state()


def run_bundle_flow(browser: Browser, base_url: str, var_dir, page: Page, scan_path, screenshot) -> dict:
    world = json.loads(run_in_server(var_dir, WORLD))

    # given the seller logged in, applying once for the whole bundle
    _log_in(page, "house_seller", PASSWORD)
    page.goto(f"/cases/apply/bundle/{BUNDLE}/")
    page.get_by_role("button", name="开始填写").click()
    page.wait_for_load_state()
    fill_house_form(page, world)
    # the property's address comes locked from the real estate register, through the exchange
    address = page.locator('input[name="f:property_address"]')
    assert address.input_value() == world["address"] and address.get_attribute("readonly") is not None
    assert "数据共享" in page.get_by_test_id("source-property_address").inner_text()
    assert page.locator('input[name="f:applicant_name"]').get_attribute("readonly") is not None
    # the seller's 不动产权证书 and ID card come from the license library (免证办)
    not_needed = page.get_by_test_id("materials-not-needed").inner_text()
    assert "不动产权证书" in not_needed and "电子证照" in not_needed and "免证办" in not_needed
    screenshot(page, "1-apply-form")
    page.get_by_test_id("submit").dblclick()
    page.wait_for_url("**/submitted")
    number = page.get_by_test_id("case-number").inner_text().strip()
    screenshot(page, "2-submitted")
    parts = json.loads(run_in_server(var_dir, PARTS.replace("NUMBER", number)))
    assert set(parts) == {CONTRACT_FILING, TAX_RETURN, TRANSFER, MORTGAGE}

    # when the three departments' window clerks accept their own parts, in parallel
    tax_clerk = staff_page(browser, base_url, "swj_clerk")
    registry_clerk = staff_page(browser, base_url, "zrzy_clerk")
    housing_clerk = staff_page(browser, base_url, "zjj_clerk")
    queue = tax_clerk.goto("/cases/workbench/") and tax_clerk.locator("#queue").inner_text()
    assert parts[TAX_RETURN] in queue and parts[TRANSFER] not in queue
    accept(tax_clerk, parts[TAX_RETURN])
    accept(registry_clerk, parts[TRANSFER])
    accept(housing_clerk, parts[CONTRACT_FILING])
    accept(registry_clerk, parts[MORTGAGE])
    screenshot(registry_clerk, "3-workbench-accepted")

    # the seller sees one clock for the whole application
    page.goto(f"/cases/mine/{number}/")
    promised = page.get_by_test_id("promised-due").inner_text()
    assert any(char.isdigit() for char in promised)
    assert page.get_by_test_id("parts").locator("li, tr").count() >= 4

    # when the registration asks, once, for a signed application form
    registry_clerk.goto(f"/cases/workbench/{parts[TRANSFER]}/")
    registry_clerk.locator("#supplement-link").click()
    row = registry_clerk.get_by_test_id("supplement-material").filter(has_text="不动产登记申请书")
    row.locator("input[type=checkbox]").check()
    row.locator("input[name^=material-]").fill("申请书缺少买方签名，请签名后重新上传")
    registry_clerk.get_by_role("button", name="发出一次性告知").click()
    registry_clerk.wait_for_load_state()
    screenshot(registry_clerk, "4-supplement-requested")
    # then the application's one clock stands still
    page.goto(f"/cases/mine/{number}/")
    assert page.get_by_test_id("clock-stopped").count() == 1
    screenshot(page, "5-parent-clock-stopped")

    # when the seller answers on the part's page
    page.goto(f"/cases/mine/{parts[TRANSFER]}/")
    supplement = page.get_by_test_id("supplement")
    supplement.locator('input[type=file][name="m:real_estate_application"]').set_input_files(str(scan_path))
    page.get_by_test_id("resubmit").click()
    page.wait_for_load_state()
    screenshot(page, "6-part-resubmitted")
    # then the clock runs again
    page.goto(f"/cases/mine/{number}/")
    assert page.get_by_test_id("clock-stopped").count() == 0

    # the housing bureau's approver reviews and approves the contract filing
    housing_approver = staff_page(browser, base_url, "zjj_approver")
    review_and_decide(
        housing_approver, parts[CONTRACT_FILING], "合同已网签备案", "《城市房地产管理法》第四十五条"
    )
    assert "准予" in housing_approver.locator("#case-status").inner_text()
    screenshot(housing_approver, "7-contract-approved")
    page.goto(f"/cases/mine/{number}/")
    screenshot(page, "8-parent-one-part-decided")
    return {"number": number, "parts": parts, "world": world}


def call(base_url: str, token: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{base_url}/api/v1{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def decide_by_api(base_url: str, token: str, number: str, surface: dict, reason: str, **extra) -> None:
    """Review (recording what the result license says) and approve through /api/v1/workbench."""
    tasks = call(base_url, token, f"/applications/{number}")["tasks"]
    task = next(one["id"] for one in tasks if one["bpmn_id"] == "review" and one["state"] == "ready")
    data = {"result_surface": surface, **extra}
    call(base_url, token, f"/workbench/cases/{number}/tasks/{task}/complete", {"data": data})
    body = {
        "decision": "approve",
        "reason": reason,
        "legal_basis": "《不动产登记暂行条例》；《中华人民共和国契税法》",
    }
    call(base_url, token, f"/workbench/cases/{number}/decide", body)


def decide_tax_by_api(base_url: str, var_dir, flow: dict) -> None:
    """The tax return's 完税证明 states its last valid day, which the decision page has no field for yet:
    the tax bureau's system reviews and approves it through /api/v1/workbench."""
    tokens = json.loads(run_in_server(var_dir, TOKENS))
    tax = {"tax_period": time.strftime("%Y年"), "tax_type": "契税", "amount": 20400}
    valid_until = f"{int(time.strftime('%Y')) + 1}-12-31"
    decide_by_api(
        base_url,
        tokens["swj_approver"],
        flow["parts"][TAX_RETURN],
        tax,
        "税款已缴清",
        result_valid_until=valid_until,
    )


def decide_registrations(browser: Browser, base_url: str, flow: dict, screenshot) -> None:
    """The registration's approver decides the mortgage and the transfer in the workbench, entering what
    the 不动产登记证明 and the new 不动产权证书 say beyond the application."""
    world, parts = flow["world"], flow["parts"]
    approver = staff_page(browser, base_url, "zrzy_approver")
    proof = {"matter": "抵押权", "obligor": world["seller"]["name"], "location": world["address"]}
    review_and_decide(approver, parts[MORTGAGE], "抵押合同有效", "《不动产登记暂行条例》第十四条", proof)
    assert "准予" in approver.locator("#case-status").inner_text()
    certificate = {
        "unit_number": world["unit_number"],
        "location": world["address"],
        "area": world["area"],
        "use": "住宅",
        "co_ownership": "单独所有",
    }
    review_and_decide(
        approver, parts[TRANSFER], "符合转移登记条件", "《不动产登记暂行条例》第十四条", certificate
    )
    assert "准予" in approver.locator("#case-status").inner_text()
    screenshot(approver, "9-transfer-approved")


def test_the_house_transfer_bundle_in_the_browser(
    browser, base_url, page, tmp_path, tmp_path_factory, screenshot
):
    scan = tmp_path / "不动产登记申请书（已签名）.pdf"
    scan.write_bytes(PDF)
    var_dir = server_var_dir(tmp_path_factory)
    flow = run_bundle_flow(browser, base_url, var_dir, page, scan, screenshot)
    check_results(browser, base_url, var_dir, page, flow, screenshot)


def check_results(browser: Browser, base_url: str, var_dir, page: Page, flow: dict, screenshot) -> None:
    # when the tax bureau approves through the API (see decide_tax_by_api) and the registration's approver
    # decides the mortgage and, last, the transfer in the workbench
    decide_tax_by_api(base_url, var_dir, flow)
    page.goto(f"/cases/mine/{flow['number']}/")
    assert "办理中" in page.get_by_test_id("case-status").inner_text()  # two parts still open
    decide_registrations(browser, base_url, flow, screenshot)
    # then the seller sees the application closed, approved, and each result as an e-license
    page.goto(f"/cases/mine/{flow['number']}/")
    assert "准予" in page.get_by_test_id("case-status").inner_text()
    screenshot(page, "10-parent-closed")
    # the new 不动产权证书 is the buyer's: the seller's page says so, without a link into the buyer's wallet
    page.goto(f"/cases/mine/{flow['parts'][TRANSFER]}/")
    issued_to = page.get_by_test_id("result-license-issued-to").inner_text()
    assert "不动产权证书" in issued_to and f"已签发至权利人{flow['world']['buyer']['name']}" in issued_to
    assert page.get_by_test_id("result-license").count() == 0
    screenshot(page, "11-new-certificate-to-buyer")
    # the mortgage's proof and the tax proof are in the seller's own wallet
    page.goto(f"/cases/mine/{flow['parts'][MORTGAGE]}/")
    page.get_by_test_id("result-license").click()
    page.wait_for_load_state()
    assert flow["world"]["address"] in page.locator("main").inner_text()
    page.goto("/licenses/")
    wallet = page.locator("main").inner_text()
    assert "完税证明" in wallet and "不动产登记证明" in wallet
    screenshot(page, "12-wallet")
