"""A supervisor in a browser (headless Debian Chromium): logs in with password and TOTP, sees a red card
in their list, acknowledges it with a note, then drills from the dashboard of their region (county →
department → its running cases) down to a case's workbench page. Screenshots go to test-results/."""

from __future__ import annotations

import pytest

from yiwang.applications.tests.test_e2e_workbench import (  # the browser setup of the workbench tests
    RESULTS_DIR,
    _log_in,
    _totp_device,
)
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory

from ..constants import CardColor, RecipientRole
from ..models import Card, CardRecipient
from ..services.stats import refresh_day
from .dashboards_world import DAY, make_dashboard_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS_DIR / f"supervisor-{name}.png"), full_page=True)


def test_a_supervisor_acknowledges_a_red_card_and_drills_down_to_the_case(browser, live_server):
    world = make_dashboard_world()
    refresh_day(day=DAY)
    supervisor = StaffAssignmentFactory(role=StaffRole.SUPERVISOR, department=world.department).user
    red = Card.objects.get(color=CardColor.RED)
    CardRecipient.objects.create(card=red, user=supervisor, role=RecipientRole.SUPERVISOR)
    device = _totp_device(supervisor)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 412, "height": 915})
    page = context.new_page()
    _log_in(page, supervisor, device, "/supervision/cards/")
    page.goto("/supervision/cards/")
    _shot(page, "1-cards")
    page.locator(f"a[href='/supervision/cards/{red.pk}/']").first.click()
    page.wait_for_selector("#acknowledge")
    page.fill("#note", "已督促承办人说明超期原因")
    page.locator("#acknowledge button[type=submit]").click()
    page.wait_for_load_state()
    _shot(page, "2-acknowledged")
    assert CardRecipient.objects.get(card=red, user=supervisor).acknowledged_at is not None

    page.goto("/supervision/dashboard/")
    page.wait_for_selector("[data-testid=rates]")
    _shot(page, "3-dashboard")
    # the dashboard opens on the region the supervisor oversees (广安区), its departments listed
    assert page.locator("[data-testid=rows-department] a", has_text=world.department.name).count() == 1
    _shot(page, "4-county")
    page.locator("[data-testid=rows-department] a", has_text=world.department.name).click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=cards]").inner_text().strip() == "1 / 1"
    _shot(page, "5-department")
    page.locator("[data-testid=open-cases]").click()
    page.wait_for_load_state()
    running = world.cases["running"]
    _shot(page, "6-open-cases")
    page.locator("a", has_text=running.number).click()
    page.wait_for_load_state()
    _shot(page, "7-case")
    assert running.number in page.content()
    assert f"/workbench/{running.number}/" in page.url
    context.close()
