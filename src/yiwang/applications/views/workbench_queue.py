"""The workbench's queue page: ready tasks soonest due first, overdue and near-due ones marked, filtered
by whose they are (mine, unclaimed, all), service item and case status, paged by cursor."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.errors import InvalidInput
from yiwang.core.page_auth import staff_verified_required
from yiwang.identity.selectors import mask_id_number

from .. import selectors
from ..constants import CaseStatus
from ..services import workbench

PAGE_SIZE = 30
CLAIMED_FILTERS = (("", _("全部")), ("mine", _("我签收的")), ("unclaimed", _("待签收")))


def _filters(request) -> dict[str, object]:
    claimed = request.GET.get("claimed", "")
    status = request.GET.get("status", "")
    item = request.GET.get("item", "")
    return {
        "claimed": claimed if claimed in ("mine", "unclaimed") else "",
        "status": status if status in CaseStatus.values else "",
        "item": int(item) if item.isdigit() else None,
    }


def _rows(tasks, today):
    calendar = workbench.calendar_for_queue(days=[task.due_on for task in tasks], today=today)
    return [
        {
            "task": task,
            "case": task.case,
            "holder_code": mask_id_number(task.case.holder_code),
            "urgency": workbench.urgency(due_on=task.due_on, calendar=calendar, today=today),
        }
        for task in tasks
    ]


@staff_verified_required
def queue(request):
    """The staff member's queue (their roles, departments and regions only; the rest is never read)."""
    filters = _filters(request)
    arguments = {
        "actor": request.user,
        "claimed": filters["claimed"] or None,
        "item_id": filters["item"],
        "case_status": filters["status"] or None,
        "limit": PAGE_SIZE,
    }
    try:
        page = selectors.staff_queue(cursor=request.GET.get("cursor") or None, **arguments)
    except InvalidInput as error:
        messages.error(request, error.message)
        page = selectors.staff_queue(**arguments)
    today = timezone.localdate()
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "applications/workbench/queue.html",
        {
            "rows": _rows(page.items, today),
            "next_cursor": page.next_cursor,
            "filters": filters,
            "query": query.urlencode(),
            "is_first_page": not request.GET.get("cursor"),
            "claimed_filters": CLAIMED_FILTERS,
            "statuses": CaseStatus.choices,
            "items": workbench.queue_item_choices(actor=request.user),
            "today": today,
        },
    )
