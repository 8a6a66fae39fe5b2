"""指南复核 in a browser: the platform administrator opens the list of guides needing review from the
implementations' admin page and sees why each is there: a law revised after its citations were checked,
an unchecked citation, a guide whose promise is shorter than its steps."""

from __future__ import annotations

import json

import pytest

from .licenses_world import run_in_server, server_var_dir
from .test_data_tracker import TOTP_KEY_HEX, _log_in, _totp

pytestmark = pytest.mark.e2e

SETUP = r"""
import datetime as dt, json, secrets
from django_otp.plugins.otp_totp.models import TOTPDevice
from yiwang.catalog import services
from yiwang.catalog.completeness import update_completeness
from yiwang.catalog.models import Implementation, LegalInstrument
from yiwang.identity.models import User
password = secrets.token_urlsafe(12)
admin, _ = User.objects.get_or_create(username="e2e-catalog-admin", defaults={
    "is_staff_member": True, "surname": "平", "given_name": "台", "is_staff": True, "is_superuser": True})
admin.set_password(password); admin.save()
TOTPDevice.objects.get_or_create(user=admin, name="e2e", defaults={"key": "TOTP_KEY", "confirmed": True})
# the housing fund regulation is revised after its citations were checked
fund = LegalInstrument.objects.get(code="housing-fund-regulation")
tomorrow = dt.date.today() + dt.timedelta(days=1)
services.record_instrument_revision(instrument=fund, revised_on=tomorrow, actor=admin)
# a guide's promise is cut below its steps (the kind of error issue 9 found in 13 guides)
broken = Implementation.objects.get(item__code="512B0052000016")
broken.promised_limit_days = 2
broken.save(update_fields=["promised_limit_days"])
update_completeness(implementation=broken)
revised = fund.citations.first().implementation.name
print(json.dumps({"password": password, "broken": broken.name, "revised": revised}))
""".replace("TOTP_KEY", TOTP_KEY_HEX)


def test_the_administrator_sees_the_guides_needing_review_and_why(
    browser, base_url, tmp_path_factory, screenshot
):
    world = json.loads(run_in_server(server_var_dir(tmp_path_factory), SETUP))
    # given the platform administrator, logged in with password and TOTP, on the implementations' admin page
    context = browser.new_context(base_url=base_url, locale="zh-CN")
    page = context.new_page()
    _log_in(page, "e2e-catalog-admin", world["password"])
    page.fill("input[name=token]", _totp(TOTP_KEY_HEX))
    page.locator("form:has(input[name=token]) [type=submit]").click()
    page.wait_for_load_state()
    page.goto("/admin/catalog/implementation/")
    # when they open the review list
    page.get_by_role("link", name="需要复核的指南").click()
    page.wait_for_load_state()
    rows = page.locator("[data-testid=review-list] tbody tr")
    # then the guide whose promise is shorter than its steps comes first, marked as an error
    first = rows.first
    assert world["broken"] in first.inner_text()
    assert "错误" in first.inner_text() and "承诺时限短于各环节时限之和" in first.inner_text()
    # and the guides citing the revised regulation say so, with the revision date
    revised = rows.filter(has_text=world["revised"])
    assert "所引法规已修订" in revised.inner_text() and "修订，请核对所引条款和表述" in revised.inner_text()
    # and guides with a citation whose article is not yet verified are listed as unchecked
    assert rows.filter(has_text="引用未核对").count() >= 1
    screenshot(page, "review-list")
    # the guide's name leads to its admin page, where the citations are edited
    first.get_by_role("link").first.click()
    page.wait_for_load_state()
    assert page.get_by_text("引用依据").first.is_visible()
    context.close()
