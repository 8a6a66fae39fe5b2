"""The exchange's monitoring page (ECharts, drill-down by department) and its Excel export."""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils.translation import gettext as _

from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.page_auth import staff_verified_required

from ..selectors.monitoring import (
    DEFAULT_PERIOD,
    PERIODS,
    REFUSAL_LABELS,
    export_figures,
    get_figures,
    list_monitored_departments,
    monitoring_scope_for,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _parameters(request) -> tuple[int | None, int]:
    """The department drilled into and the period, from the query string; bad values are a 400."""
    try:
        department = request.GET.get("department") or None
        department_id = int(department) if department is not None else None
        period = int(request.GET.get("period") or DEFAULT_PERIOD)
    except ValueError:
        raise InvalidInput("参数不合法", code="invalid_parameter") from None
    return department_id, period


def _figures(request):
    scope = monitoring_scope_for(actor=request.user)
    department_id, period = _parameters(request)
    return scope, period, get_figures(scope=scope, department_id=department_id, period=period)


def _chart_data(figures) -> dict:
    return {
        "days": figures.days,
        "daily": figures.daily,
        "latency": figures.latency,
        "resources": [[row["name"], row["allowed"], row["refused"]] for row in figures.by_resource],
        "consumers": [
            [row["short"], row["allowed"], row["refused"], row["id"]] for row in figures.by_consumer
        ],
        "providers": [
            [row["short"], row["allowed"], row["refused"], row["id"]] for row in figures.by_provider
        ],
        "refusals": [{"name": row["label"], "value": row["count"]} for row in figures.refusals],
        "waiting": [
            [
                row["resource__provider__short_name"] or row["resource__provider__name"],
                row["count"] - row["overdue"],
                row["overdue"],
                row["resource__provider_id"],
            ]
            for row in figures.waiting_by_provider
        ],
        "labels": {
            "empty": _("暂无数据"),
            "allowed": _("允许"),
            "refused": _("拒绝"),
            "errors": _("错误"),
            "p50": _("中位数（毫秒）"),
            "avg": _("平均（毫秒）"),
            "on_time": _("未逾期"),
            "overdue": _("已逾期"),
        },
    }


@staff_verified_required
def dashboard(request):
    try:
        scope, period, figures = _figures(request)
    except PermissionDenied as error:
        return HttpResponseForbidden(error.message)
    except NotFound:
        raise Http404 from None
    except InvalidInput as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    context = {
        "figures": figures,
        "period": period,
        "periods": PERIODS,
        "departments": list_monitored_departments(scope=scope),
        "chart_data": _chart_data(figures),
        "refusal_labels": REFUSAL_LABELS,
    }
    return render(request, "exchange/monitoring.html", context)


@staff_verified_required
def export(request):
    try:
        _scope, _period, figures = _figures(request)
    except PermissionDenied as error:
        return HttpResponseForbidden(error.message)
    except NotFound:
        raise Http404 from None
    except InvalidInput as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(export_figures(figures=figures), content_type=XLSX_TYPE)
    name = f"exchange-monitoring-{figures.since:%Y%m%d}-{figures.until:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
