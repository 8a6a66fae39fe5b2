"""Supervision pages: the rate dashboards (staff, scoped), the public dashboard and the large screen
(aggregates only), a department's open cases (staff), and the Excel export (staff, audited)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.page_auth import staff_verified_required

from ..selectors.cards import card_counts
from ..selectors.stats import (
    PERIODS,
    Figures,
    Reader,
    dashboard_figures,
    department_open_cases,
    period_window,
    public_reader,
    resolve_department,
    resolve_region,
    staff_reader,
)
from ..services.stats import export_figures

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _int(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(_("参数不合法：%(name)s") % {"name": name}, code="invalid_parameter") from None


def _figures(request: HttpRequest, reader: Reader) -> tuple[Figures, int]:
    period = _int(request.GET.get("period"), "period") or 30
    since, until = period_window(days=period)
    code = request.GET.get("region")
    # A staff dashboard opens on the region the reader supervises; ?region= drills anywhere in scope.
    region = resolve_region(code=code) if code else reader.home
    department = resolve_department(
        reader=reader, department_id=_int(request.GET.get("department"), "department")
    )
    figures = dashboard_figures(reader=reader, since=since, until=until, region=region, department=department)
    return figures, period


def _errors(view):
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as error:
            return HttpResponseForbidden(error.message)
        except NotFound:
            raise Http404 from None
        except InvalidInput as error:
            return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _chart_data(figures: Figures, *, drill_url: str, public: bool) -> dict:
    rates = figures.rates
    return {
        "daily": figures.daily,
        "rates": [
            [_("可网办率"), rates["online_handleable"]],
            [_("全程网办率"), rates["fully_online"]],
            [_("最多跑一次率"), rates["at_most_one_visit"]],
            [_("按时办结率"), rates["on_time"]],
            [_("满意率"), rates["satisfaction"]],
        ],
        "children": [
            [row["name"], row["submitted"], row["closed"], str(row["key"] or ""), figures.child_kind]
            for row in figures.children
        ],
        "departments": [
            [row["name"], row["submitted"], row["closed"], str(row["key"])] for row in figures.departments
        ],
        "cards": [[_("黄牌"), figures.totals["yellow_cards"]], [_("红牌"), figures.totals["red_cards"]]],
        "complaints": [[row["topic"], row["count"]] for row in figures.complaints_by_topic],
        "drill_url": drill_url,
        "public": public,
        "labels": {
            "submitted": _("申报"),
            "closed": _("办结"),
            "average_days": _("平均办理用时（工作日）"),
            "percent": _("百分比"),
            "empty": _("暂无数据"),
        },
    }


CARD_DEPARTMENTS_SHOWN = 10


def _card_departments(reader: Reader, figures: Figures) -> list:
    """Staff only: the scope's departments with the most red, then yellow cards raised in the period, with
    the cards not yet acknowledged by every recipient (the cards part's ``card_counts``)."""
    if not reader.staff or reader.scope is None:
        return []
    rows = card_counts(scope=reader.scope, since=figures.since)
    if figures.department is not None:
        return [row for row in rows if row.department_id == figures.department.pk]
    return rows[:CARD_DEPARTMENTS_SHOWN]


def _context(request: HttpRequest, reader: Reader, *, public: bool) -> dict:
    figures, period = _figures(request, reader)
    drill_url = reverse("supervision:dashboard_public" if public else "supervision:dashboard")
    return {
        "card_departments": [] if public else _card_departments(reader, figures),
        "figures": figures,
        "period": period,
        "periods": PERIODS,
        "public": public,
        "drill_url": drill_url,
        "chart_data": _chart_data(figures, drill_url=drill_url, public=public),
    }


@require_GET
@staff_verified_required
@_errors
def dashboard(request: HttpRequest) -> HttpResponse:
    """The supervisor's or department head's dashboard of their scope, drillable to the open cases."""
    reader = staff_reader(actor=request.user)
    return render(request, "supervision/dashboards/dashboard.html", _context(request, reader, public=False))


@require_GET
@_errors
def public_dashboard(request: HttpRequest) -> HttpResponse:
    """Anyone: the platform's or a region's figures, aggregates only."""
    return render(
        request, "supervision/dashboards/dashboard.html", _context(request, public_reader(), public=True)
    )


@require_GET
@_errors
def screen(request: HttpRequest) -> HttpResponse:
    """The large screen of the service hall: the public figures, dark, refreshed every five minutes."""
    context = _context(request, public_reader(), public=True)
    return render(request, "supervision/dashboards/screen.html", context)


@require_GET
@staff_verified_required
@_errors
def department_cases(request: HttpRequest, pk: int) -> HttpResponse:
    """The last step of the drill-down: the department's running cases, earliest promised date first."""
    reader = staff_reader(actor=request.user)
    department = resolve_department(reader=reader, department_id=pk)
    assert department is not None
    cases = department_open_cases(reader=reader, department=department)
    return render(request, "supervision/dashboards/cases.html", {"department": department, "cases": cases})


@require_GET
@staff_verified_required
@_errors
def export(request: HttpRequest) -> HttpResponse:
    """The dashboard's figures as Excel (audited)."""
    reader = staff_reader(actor=request.user)
    figures, _period = _figures(request, reader)
    content = export_figures(actor=request.user, figures=figures)
    response = HttpResponse(content, content_type=XLSX_TYPE)
    name = f"supervision-stats-{figures.since:%Y%m%d}-{figures.until:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/public/", public_dashboard, name="dashboard_public"),
    path("dashboard/screen/", screen, name="dashboard_screen"),
    path("dashboard/export.xlsx", export, name="dashboard_export"),
    path("dashboard/departments/<int:pk>/cases/", department_cases, name="dashboard_cases"),
]
