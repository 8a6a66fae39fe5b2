"""Identity in a real browser: register, step up, single sign-on to a departmental system, log out everywhere;
an agent acting for a company within the mandate and refused outside it."""

from __future__ import annotations

import json
import re
import time

import pytest
from oidc.live_server import free_port, prepare_server, start
from oidc.relying_party import RelyingParty
from playwright.sync_api import Page, expect

from yiwang.demo.accounts import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SEED = __import__("pathlib").Path(__file__).resolve().parents[1] / "oidc" / "seed_browser.py"


@pytest.fixture(scope="module")
def relying_party():
    party = RelyingParty(port=free_port(), client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET)
    yield party
    party.stop()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, relying_party):
    server = prepare_server(
        tmp_path_factory.mktemp("identity-e2e"),
        extra_env={"RP_REDIRECT_URI": relying_party.redirect_uri, "RP_BASE": relying_party.base},
    )
    data = json.loads(server.run_script(SEED).strip().splitlines()[-1])
    start(server)
    relying_party.start(server.url)
    yield server, data
    server.stop()


@pytest.fixture(scope="module")
def base_url(seeded):
    return seeded[0].url


def _sms_code(server, after: int) -> str:
    path = server.var_dir / "sms.jsonl"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        if len(lines) > after:
            return re.search(r"(\d{6})", json.loads(lines[-1])["message"]).group(1)
        time.sleep(0.2)
    raise AssertionError("no SMS was written")


def test_register_step_up_sso_and_logout_everywhere(page: Page, seeded, relying_party, screenshot):
    server, data = seeded
    newcomer = data["newcomer"]
    # register with the name and ID number the population register holds
    page.goto("/accounts/register/")
    page.get_by_label("用户名").fill("e2e_newcomer")
    page.get_by_label("姓", exact=True).fill(newcomer["surname"])
    page.get_by_label("名", exact=True).fill(newcomer["given_name"])
    page.get_by_label("公民身份号码").fill(newcomer["id_number"])
    page.get_by_label("密码", exact=True).fill(data["password"])
    page.get_by_label("再次输入密码").fill(data["password"])
    page.get_by_label("我已阅读并同意《一网通办隐私政策》").check()
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_test_id("assurance-level")).to_contain_text("二级")
    # the departmental system needs level 3: SSO sends the citizen to step up first
    page.goto(relying_party.base + "/login")
    expect(page.get_by_role("heading", name="提升实名等级")).to_be_visible()
    screenshot(page, "step-up")
    page.get_by_label("手机号码").fill("13912345678")
    sent_before = (
        len((server.var_dir / "sms.jsonl").read_text().splitlines())
        if (server.var_dir / "sms.jsonl").exists()
        else 0
    )
    page.get_by_role("button", name="比对并发送验证码").click()
    page.get_by_label("短信验证码").fill(_sms_code(server, sent_before))
    page.get_by_role("button", name="确认").click()
    # back at the authorization: consent, then the departmental system greets the citizen by name
    page.get_by_role("button", name="同意并登录").click()
    full_name = newcomer["surname"] + newcomer["given_name"]
    expect(page.locator("#user")).to_have_text(f"欢迎，{full_name}")
    expect(page.locator("#acr")).to_have_text("urn:yiwang:loa:3")
    screenshot(page, "signed-in-to-department")
    page.goto(relying_party.base + "/status")
    expect(page.locator("#status")).to_have_text(f"已登录：{full_name}")
    # log out of the platform: the departmental system is told over the back channel
    page.goto("/accounts/")
    page.get_by_test_id("logout-everywhere").click()
    page.goto(relying_party.base + "/status")
    expect(page.locator("#status")).to_have_text("未登录")
    assert relying_party.logout_tokens
    page.goto("/accounts/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_agent_acts_for_company_within_mandate_only(page: Page, seeded, screenshot):
    _, data = seeded
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(data["agent"])
    page.get_by_label("密码").fill(data["password"])
    page.get_by_role("button", name="登录").click()
    page.goto("/accounts/acting/")
    page.get_by_label(re.compile("代表 " + re.escape(data["company"]))).check()
    page.get_by_role("button", name="确定").click()
    page.goto(f"/accounts/services/{data['inside']}/start/")
    expect(page.get_by_test_id("ready")).to_contain_text(data["company"])
    screenshot(page, "within-mandate")
    page.goto(f"/accounts/services/{data['outside']}/start/")
    expect(page.get_by_test_id("refusal")).to_have_text("该事项不在委托授权范围内")
    screenshot(page, "outside-mandate")
