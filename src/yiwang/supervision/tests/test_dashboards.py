"""The dashboards' pages and API: who sees what (authorization matrix), drill-down within the scope, the
public figures carry no person, the export is audited."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from yiwang.applications.tests.api_world import bearer, log_in, token_for
from yiwang.audit.models import AuditEntry
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory

from ..constants import AuditAction
from ..services.stats import refresh_day
from .dashboards_world import DAY, make_dashboard_world

pytestmark = pytest.mark.django_db

STAFF_PAGES = ("supervision:dashboard", "supervision:dashboard_export")
PUBLIC_PAGES = ("supervision:dashboard_public", "supervision:dashboard_screen")
ALLOWED = ("supervisor", "head")
REFUSED = ("handler", "citizen")


@pytest.fixture
def world(monkeypatch):
    world = make_dashboard_world()
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: DAY)
    refresh_day(day=DAY)
    world.people = {
        "supervisor": StaffAssignmentFactory(role=StaffRole.SUPERVISOR, department=world.department).user,
        "supervisor_other_region": StaffAssignmentFactory(
            role=StaffRole.SUPERVISOR, department=world.other_department
        ).user,
        "head": StaffAssignmentFactory(role=StaffRole.DEPARTMENT_HEAD, department=world.department).user,
        "head_other_department": StaffAssignmentFactory(
            role=StaffRole.DEPARTMENT_HEAD, department=world.other_department
        ).user,
        "handler": StaffAssignmentFactory(role=StaffRole.APPROVER, department=world.department).user,
        "citizen": UserFactory(level3=True),
    }
    return world


def client_for(world, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        log_in(client, world.people[who])
    return client


@pytest.mark.parametrize("name", STAFF_PAGES)
@pytest.mark.parametrize("who", [*ALLOWED, "supervisor_other_region", "head_other_department"])
def test_supervisors_and_heads_open_the_staff_dashboard(world, who, name):
    assert client_for(world, who).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", STAFF_PAGES)
@pytest.mark.parametrize("who", REFUSED)
def test_handlers_and_citizens_are_refused_the_staff_dashboard(world, who, name):
    assert client_for(world, who).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", STAFF_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(world, name):
    response = Client().get(reverse(name))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("name", PUBLIC_PAGES)
@pytest.mark.parametrize("who", ["anonymous", "citizen", "supervisor"])
def test_anyone_opens_the_public_dashboard_and_the_screen(world, who, name):
    response = client_for(world, who).get(reverse(name))
    assert response.status_code == 200
    assert "rate-fully_online" in response.content.decode() or "全程网办率" in response.content.decode()


def test_the_scope_decides_the_figures(world):
    def volumes(who):
        return (
            client_for(world, who)
            .get(reverse("supervision:dashboard"))
            .context["figures"]
            .totals["closed"]
        )

    assert (
        volumes("supervisor") == 2
    )  # the county's department: the running case and the withdrawn one's day?
    assert volumes("supervisor_other_region") == 1
    assert volumes("head") == 2
    assert volumes("head_other_department") == 1


def test_the_staff_dashboard_opens_on_the_region_the_reader_supervises(world):
    page = client_for(world, "supervisor").get(reverse("supervision:dashboard"))
    other = client_for(world, "supervisor_other_region").get(reverse("supervision:dashboard"))

    assert page.context["figures"].region == world.county
    assert other.context["figures"].region == world.other_county
    assert [row["name"] for row in page.context["figures"].departments] == [world.department.name]


@pytest.mark.parametrize("who", ["supervisor_other_region", "head_other_department"])
def test_drilling_into_a_department_outside_the_scope_is_refused(world, who):
    client = client_for(world, who)
    assert (
        client.get(reverse("supervision:dashboard"), {"department": world.department.pk}).status_code == 403
    )
    url = reverse("supervision:dashboard_cases", args=[world.department.pk])
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("who", ALLOWED)
def test_the_drill_down_ends_at_the_departments_open_cases_linking_the_workbench(world, who):
    client = client_for(world, who)
    page = client.get(reverse("supervision:dashboard"), {"region": world.county.code})
    assert page.context["figures"].departments[0]["key"] == world.department.pk
    department = client.get(reverse("supervision:dashboard"), {"department": world.department.pk})
    names = {row["name"] for row in department.context["figures"].children}
    assert {world.online.name, world.window.name} <= names
    cases = client.get(reverse("supervision:dashboard_cases", args=[world.department.pk]))
    running = world.cases["running"]
    assert cases.status_code == 200
    assert reverse("applications:workbench_case", args=[running.number]) in cases.content.decode()
    assert world.cases["fast"].number not in cases.content.decode()  # closed


@pytest.mark.parametrize("who", ["anonymous", "citizen", "handler"])
def test_the_open_cases_are_staff_supervisors_only(world, who):
    response = client_for(world, who).get(reverse("supervision:dashboard_cases", args=[world.department.pk]))
    assert response.status_code in (302, 403)


def test_the_public_dashboard_shows_no_case_and_no_person(world):
    client = Client()
    pages = [
        client.get(reverse("supervision:dashboard_public")),
        client.get(reverse("supervision:dashboard_public"), {"region": world.county.code}),
        client.get(reverse("supervision:dashboard_public"), {"department": world.department.pk}),
        client.get(reverse("supervision:dashboard_screen")),
        client.get("/api/v1/public/stats", {"department": world.department.pk}),
    ]
    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        for case in world.cases.values():
            assert case.number not in body
            assert case.holder_name not in body
        assert "王小明" not in body and "李四" not in body and "13900000000" not in body
        assert "workbench" not in body and "导出" not in body


def test_bad_parameters_are_a_400_or_404_never_a_500(world):
    client = client_for(world, "supervisor")
    assert client.get(reverse("supervision:dashboard"), {"period": "x"}).status_code == 400
    assert client.get(reverse("supervision:dashboard"), {"period": "8"}).status_code == 400
    assert client.get(reverse("supervision:dashboard"), {"region": "999999999999"}).status_code == 404
    assert client.get(reverse("supervision:dashboard"), {"department": "999999"}).status_code == 404
    assert Client().get("/api/v1/public/stats", {"period": "8"}).status_code == 400
    assert Client().get("/api/v1/public/stats", {"region": "abc"}).status_code in (400, 422)


def test_the_export_is_an_audited_workbook_of_the_scope(world):
    client = client_for(world, "supervisor")
    response = client.get(reverse("supervision:dashboard_export"), {"region": world.county.code, "period": 7})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["汇总", "每日", "下级", "部门"]
    summary = {row[0]: row[1] for row in workbook["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["全程网办率（%）"] == 50.0 and summary["办结"] == 2
    entry = AuditEntry.objects.filter(action=AuditAction.STATS_EXPORTED).get()
    assert entry.actor_id == world.people["supervisor"].pk


@pytest.mark.parametrize(
    ("who", "scope", "status"),
    [
        ("supervisor", "supervision:read", 200),
        ("head", "supervision:read", 200),
        ("supervisor", "openid", 403),
        ("handler", "supervision:read", 403),
        ("citizen", "supervision:read", 403),
    ],
)
def test_the_staff_api_needs_the_scope_and_a_supervision_role(world, who, scope, status):
    token = token_for(world.people[who], scope)
    response = Client().get("/api/v1/supervision/stats", **bearer(token))
    assert response.status_code == status
    if status == 200:
        assert response.json()["totals"]["closed"] == 2


def test_the_staff_api_refuses_anonymous_callers_and_a_department_out_of_scope(world):
    assert Client().get("/api/v1/supervision/stats").status_code == 401
    token = token_for(world.people["supervisor_other_region"], "supervision:read")
    response = Client().get("/api/v1/supervision/stats", {"department": world.department.pk}, **bearer(token))
    assert response.status_code == 403


def test_the_public_api_answers_anyone_with_the_platforms_rates(world):
    body = Client().get("/api/v1/public/stats").json()
    assert body["totals"]["closed"] == 3
    assert body["rates"]["at_most_one_visit"] == 100.0


def test_staff_see_the_card_counts_of_their_scopes_departments_and_the_public_none(world):
    page = client_for(world, "supervisor").get(reverse("supervision:dashboard"))
    rows = page.context["card_departments"]
    assert [(row.department_id, row.red, row.yellow) for row in rows] == [(world.department.pk, 1, 1)]
    assert rows[0].unacknowledged == 2
    assert f"department={world.department.pk}".encode() in page.content
    other = client_for(world, "supervisor_other_region").get(reverse("supervision:dashboard"))
    assert world.department.pk not in [row.department_id for row in other.context["card_departments"]]
    public = Client().get(reverse("supervision:dashboard_public"))
    assert public.context["card_departments"] == []
    assert b'data-testid="card-departments"' not in public.content
