"""Monitoring: figures from the audit log's entries of real exchange calls, each side seeing its own,
the platform administrator all, drill-down by department, the Excel export, constant query counts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from yiwang.conftest import login_with_second_factor
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.exchange.models import Grant
from yiwang.exchange.selectors import query_resource
from yiwang.exchange.selectors.monitoring import export_figures, get_figures, monitoring_scope_for
from yiwang.exchange.services import decide_request, request_resource
from yiwang.identity.constants import StaffRole
from yiwang.registers.tests.factories import PersonFactory

from .factories import CONSUMER_ITEM, make_world, staff

pytestmark = pytest.mark.django_db
MISSING_ID = "11010519491231002X"


def _ask(world, *, actor, consumer, system, resource, items):
    return request_resource(
        actor=actor,
        resource=resource,
        consumer=consumer,
        system=system,
        purpose="依法履职核验",
        service_item_codes=[CONSUMER_ITEM],
        legal_basis="《政务信息资源共享管理暂行办法》第十条",
        item_codes=list(items),
        ends_on=world.ends_on,
    )


def _call(system, resource, key, *, purpose=CONSUMER_ITEM, items=("name",)):
    try:
        query_resource(
            system=system,
            resource_code=resource.code,
            key=key,
            items=items,
            purpose=purpose,
            case_number="C-1",
        )
    except Exception as error:  # a refusal or a missing record: logged, which is what is counted
        return error
    return None


@pytest.fixture
def world():
    world = make_world()
    share = _ask(
        world,
        actor=world.civil_admin,
        consumer=world.civil,
        system=world.civil_system,
        resource=world.population,
        items=("name", "is_deceased"),
    )
    decide_request(actor=world.police_admin, request_id=share.pk, approve=True)
    person = PersonFactory()
    # civil → population: two allowed (one of them a key the register lacks: an error), one refused
    assert _call(world.civil_system, world.population, person.id_number) is None
    assert _call(world.civil_system, world.population, MISSING_ID) is not None
    assert _call(world.civil_system, world.population, person.id_number, purpose="999") is not None
    # housing → legal persons without a grant: refused
    assert _call(world.housing_system, world.legal_person, "91511602MA6ABCDE1X") is not None
    world.person = person
    return world


def test_a_provider_and_its_consumer_see_their_side_and_nothing_else(world):
    for reader in (world.police_admin, world.civil_admin):
        figures = get_figures(scope=monitoring_scope_for(actor=reader))
        assert figures.totals["allowed"] == 2 and figures.totals["refused"] == 1, reader
        assert figures.totals["errors"] == 1
        assert [row["code"] for row in figures.by_resource] == [world.population.code]
        assert [row["name"] for row in figures.by_consumer] == [world.civil.name]
        assert [(row["reason"], row["count"]) for row in figures.refusals] == [("purpose_not_granted", 1)]
    market = get_figures(scope=monitoring_scope_for(actor=world.market_admin))
    assert market.totals == {**market.totals, "allowed": 0, "refused": 1, "errors": 0}
    assert [row["reason"] for row in market.refusals] == ["no_grant"]
    assert [row["name"] for row in market.by_consumer] == [world.housing.name]


def test_the_platform_administrator_sees_every_department_and_drills_down(world):
    scope = monitoring_scope_for(actor=world.platform_admin)
    everything = get_figures(scope=scope)
    assert everything.totals["allowed"] == 2 and everything.totals["refused"] == 2
    assert {row["name"] for row in everything.by_provider} == {world.police.name, world.market.name}
    housing = get_figures(scope=scope, department_id=world.housing.pk)
    assert housing.totals["allowed"] == 0 and housing.totals["refused"] == 1
    assert housing.department == world.housing


def test_a_data_administrator_cannot_drill_into_another_department(world):
    with pytest.raises(NotFound):
        get_figures(scope=monitoring_scope_for(actor=world.civil_admin), department_id=world.housing.pk)


def test_staff_without_the_exchange_roles_see_nothing(world):
    clerk = staff(world.civil, StaffRole.WINDOW_CLERK)
    with pytest.raises(PermissionDenied):
        monitoring_scope_for(actor=clerk)


def test_daily_series_cover_the_period_and_today_holds_the_calls(world):
    figures = get_figures(scope=monitoring_scope_for(actor=world.platform_admin), period=7)
    assert len(figures.days) == 7 and figures.days[-1] == timezone.localdate().isoformat()
    assert figures.daily["allowed"][-1] == 2 and figures.daily["refused"][-1] == 2
    assert figures.daily["errors"] == [0] * 6 + [1]
    with pytest.raises(InvalidInput):
        get_figures(scope=monitoring_scope_for(actor=world.platform_admin), period=8)


def test_expiring_grants_and_waiting_requests(world):
    grant = Grant.objects.get(system=world.civil_system)
    grant.ends_on = timezone.localdate() + dt.timedelta(days=10)
    grant.save(update_fields=["ends_on"])
    waiting = _ask(
        world,
        actor=world.housing_admin,
        consumer=world.housing,
        system=world.housing_system,
        resource=world.population,
        items=("name",),
    )
    waiting.decision_due = timezone.localdate() - dt.timedelta(days=1)
    waiting.save(update_fields=["decision_due"])
    police = get_figures(scope=monitoring_scope_for(actor=world.police_admin))
    assert police.expiring_grants == [grant]
    assert police.waiting_requests == [waiting] and police.overdue_ids == {waiting.pk}
    assert police.totals["waiting"] == 1 and police.totals["overdue"] == 1
    market = get_figures(scope=monitoring_scope_for(actor=world.market_admin))
    assert market.expiring_grants == [] and market.waiting_requests == []


def test_queries_do_not_grow_with_the_number_of_calls(world):
    scope = monitoring_scope_for(actor=world.platform_admin)
    with CaptureQueriesContext(connection) as before:
        get_figures(scope=scope)
    for _ in range(5):
        _call(world.civil_system, world.population, world.person.id_number)
        _call(world.housing_system, world.legal_person, "91511602MA6ABCDE1X")
    with CaptureQueriesContext(connection) as after:
        figures = get_figures(scope=scope)
    assert figures.totals["allowed"] == 7
    assert len(after.captured_queries) == len(before.captured_queries)


def test_the_export_holds_the_same_figures(world):
    figures = get_figures(scope=monitoring_scope_for(actor=world.police_admin), period=7)
    workbook = load_workbook(io.BytesIO(export_figures(figures=figures)))
    assert {"说明", "按日", "按资源", "按使用方", "拒绝原因", "明细", "即将到期授权", "待审申请"} <= set(
        workbook.sheetnames
    )
    daily = list(workbook["按日"].iter_rows(min_row=2, values_only=True))
    assert daily[-1] == (timezone.localdate().isoformat(), 2, 1, 1)
    assert list(workbook["按调用方式"].iter_rows(min_row=2, values_only=True)) == [("查询", 2, 1)]
    notes = dict(workbook["说明"].iter_rows(min_row=2, values_only=True))
    assert "中位数" in notes["响应时间"]
    detail = list(workbook["明细"].iter_rows(min_row=2, values_only=True))
    assert sum(row[-1] for row in detail) == 3


# Pages -------------------------------------------------------------------------------------------


def test_the_page_renders_charts_data_and_the_export_downloads(client, world):
    login_with_second_factor(client, world.police_admin)
    page = client.get("/exchange/monitoring/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="monitoring-data"' in html and "echarts.min.js" in html and 'data-chart="daily"' in html
    assert world.housing.name not in html  # another side's department is not named
    export = client.get("/exchange/monitoring/export.xlsx?period=7")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxml")


def test_the_page_answers_bad_parameters_with_400_and_others_departments_with_404(client, world):
    login_with_second_factor(client, world.civil_admin)
    assert client.get("/exchange/monitoring/?period=abc").status_code == 400
    assert client.get("/exchange/monitoring/?period=8").status_code == 400
    assert client.get(f"/exchange/monitoring/?department={world.housing.pk}").status_code == 404
    assert client.get(f"/exchange/monitoring/export.xlsx?department={world.housing.pk}").status_code == 404
    assert client.get(f"/exchange/monitoring/?department={world.civil.pk}").status_code == 200


def test_the_page_refuses_staff_without_the_roles_and_anonymous_visitors(client, world):
    assert client.get("/exchange/monitoring/").status_code == 302
    login_with_second_factor(client, staff(world.civil, StaffRole.WINDOW_CLERK))
    assert client.get("/exchange/monitoring/").status_code == 403
    assert client.get("/exchange/monitoring/export.xlsx").status_code == 403


def test_the_platform_administrator_page_names_every_department(client, world):
    login_with_second_factor(client, world.platform_admin)
    html = client.get("/exchange/monitoring/").content.decode()
    for department in (world.police, world.market, world.civil, world.housing):
        assert department.name in html


def test_a_batch_counts_as_one_call_under_its_own_operation(world):
    from yiwang.exchange.selectors.calls import query_batch

    query_batch(
        system=world.civil_system,
        resource_code=world.population.code,
        keys=[world.person.id_number, MISSING_ID],
        items=["name"],
        purpose=CONSUMER_ITEM,
        case_number="C-2",
    )
    figures = get_figures(scope=monitoring_scope_for(actor=world.police_admin))
    operations = {row["label"]: (row["allowed"], row["refused"]) for row in figures.by_operation}
    assert operations == {"查询": (2, 1), "批量查询": (1, 0)}
    assert figures.totals["errors"] == 2  # the batch's key the register does not hold
