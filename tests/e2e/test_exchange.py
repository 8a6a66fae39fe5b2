"""数据共享交换 in a browser: a consumer department's data administrator requests a conditional resource,
the provider's data administrator approves it, then the consuming system queries it over HTTP with its
client credentials and gets exactly the granted items, masked. The monitoring charts render (a canvas in
each chart container) on a desktop and on a phone, within the CSP."""

from __future__ import annotations

import json
import re
import secrets
import urllib.parse
import urllib.request

import pytest

from yiwang.exchange.masking import mask_value

from .conftest import PHONE
from .licenses_world import run_in_server, server_var_dir

pytestmark = pytest.mark.e2e

SETUP = r"""
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from oauth2_provider.models import Application
from yiwang.exchange.models import Resource
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import ClientProfile, StaffAssignment, User
from yiwang.registers.models import Person

def staff_session(username):
    # a session as after password + TOTP (the login form is identity's to test)
    user = User.objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    return session.session_key

tag = "TAG"
consumer = StaffAssignment.objects.get(user__username="rsj_data", role=StaffRole.DATA_ADMIN).department
system = Application.objects.create(
    name="人社局e2e系统" + tag, client_id="e2e-rsj-" + tag, client_secret="secret-" + tag,
    client_type=Application.CLIENT_CONFIDENTIAL,
    authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS, algorithm=Application.RS256_ALGORITHM,
)
ClientProfile.objects.create(application=system, department=consumer, allowed_scopes="exchange")
resource = Resource.objects.get(source="population")
person = Person.objects.order_by("pk").first()
print(json.dumps({
    "consumer": consumer.pk, "system": system.pk, "system_name": system.name,
    "client_id": system.client_id, "client_secret": "secret-" + tag,
    "resource": resource.code, "provider": resource.provider.name,
    "id_number": person.id_number, "name": person.name, "is_deceased": person.is_deceased,
    "requester": staff_session("rsj_data"), "provider_admin": staff_session("gaj_data"),
}, ensure_ascii=False))
"""


def _session(browser, base_url: str, session_key: str, **options):
    context = browser.new_context(base_url=base_url, locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "sessionid", "value": session_key, "url": base_url}])
    return context


def _post(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _token(base_url: str, world: dict) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": world["client_id"],
        "client_secret": world["client_secret"],
        "scope": "exchange",
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, body = _post(f"{base_url}/o/token/", urllib.parse.urlencode(form).encode(), headers)
    assert status == 200, body
    return body["access_token"]


def _query(base_url: str, token: str, body: dict) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    return _post(f"{base_url}/api/v1/exchange/query", json.dumps(body).encode(), headers)


def test_request_approve_then_the_system_queries_the_granted_items_masked(
    browser, base_url, tmp_path_factory
):
    tag = secrets.token_hex(4)
    world = json.loads(run_in_server(server_var_dir(tmp_path_factory), SETUP.replace("TAG", tag)))
    purpose = f"养老保险待遇资格认证 {tag}"

    # given the consumer's data administrator, who asks for the population register in the browser
    requester = _session(browser, base_url, world["requester"])
    page = requester.new_page()
    page.goto("/exchange/")
    page.locator(f"a[href='/exchange/resources/{world['resource']}/request']").click()
    page.select_option("select[name=consumer]", str(world["consumer"]))
    page.select_option("select[name=system]", str(world["system"]))
    page.fill("input[name=purpose]", purpose)
    page.fill("input[name=service_item_codes]", "511602-RSJ-YLJ-001")
    page.fill("textarea[name=legal_basis]", "《社会保险法》第十六条")
    for item in ("name", "id_number", "is_deceased"):
        page.check(f"input[name=items][value={item}]")
    # the end date is filled in a year ahead (the form's initial value, shown by the date picker)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", page.input_value("input[name=ends_on]"))
    with page.expect_navigation():
        page.locator("form:has(input[name=purpose]) [type=submit]").click()
    assert page.url.endswith("/exchange/"), page.locator("main").inner_text()
    assert "待提供部门审核" in page.locator(".messages").inner_text()
    requester.close()

    # when the provider's data administrator approves it in the browser
    provider = _session(browser, base_url, world["provider_admin"])
    page = provider.new_page()
    page.goto("/exchange/")
    row = page.locator("#requests tbody tr", has_text=purpose)
    row.locator("select[name=approve]").select_option("1")
    with page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert "已保存" in page.locator(".messages").inner_text()
    assert "已授权" in page.locator("#requests tbody tr", has_text=purpose).inner_text()
    provider.close()

    # then the consuming system, with its client credentials over HTTP, gets the granted items masked
    token = _token(base_url, world)
    body = {
        "resource": world["resource"],
        "key": world["id_number"],
        "items": ["name", "id_number", "is_deceased"],
        "purpose": "511602-RSJ-YLJ-001",
        "case_number": f"RSJ-E2E-{tag}",
    }
    status, answer = _query(base_url, token, body)
    assert status == 200, answer
    items = answer["payload"]["items"]
    assert items == {
        "name": mask_value(world["name"], "partial"),
        "id_number": mask_value(world["id_number"], "partial"),
        "is_deceased": world["is_deceased"],
    }
    assert world["name"] not in json.dumps(answer, ensure_ascii=False)
    assert answer["payload"]["masks"] == {"id_number": "partial", "is_deceased": "full", "name": "partial"}
    # and an item outside the grant is refused, with nothing of the record in the answer
    status, refused = _query(base_url, token, {**body, "items": ["name", "phone"]})
    assert status == 403 and refused["payload"]["error"]["code"] == "items_not_granted"
    assert world["id_number"] not in json.dumps(refused)


def _check_charts(browser, base_url: str, session_key: str, viewport: dict[str, int]) -> None:
    context = _session(browser, base_url, session_key, viewport=viewport)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/exchange/monitoring/")
    charts = page.locator("[data-chart]")
    assert charts.count() == 7  # daily calls, daily processing time, resources, consumers, providers, …
    for index in range(charts.count()):
        chart = charts.nth(index)
        chart.locator("canvas").first.wait_for(state="attached")
        assert chart.get_attribute("data-rendered") == "true"
        box = chart.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
    latency = page.locator("[data-testid=kpi-latency]").inner_text()
    assert "毫秒" in latency or latency == "暂无", latency  # the calls' processing time, or none yet
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert problems == [], problems  # no script error, no CSP violation
    context.close()


def test_monitoring_charts_render_on_desktop_and_phone(browser, base_url, tmp_path_factory):
    setup = SETUP.replace("TAG", secrets.token_hex(4))
    world = json.loads(run_in_server(server_var_dir(tmp_path_factory), setup))
    for viewport in ({"width": 1280, "height": 800}, PHONE):
        _check_charts(browser, base_url, world["provider_admin"], viewport)
