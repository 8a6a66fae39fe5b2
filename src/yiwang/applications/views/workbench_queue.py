"""The workbench's queue page: ready tasks soonest due first, overdue and near-due ones marked, filtered
by whose they are (mine, unclaimed, all), service item and case status, paged by cursor.

The rows and the filters' options are built here, once per request, every value escaped and the labels
translated once, not by template tags per row: a page of 30 rows with the item filter's
options was ~800 template nodes (~280 of them ``{% trans %}``), most of the page's time at 1M cases
(bench/README.md). The markup is the one the template had; the template keeps the page around it.
"""

from __future__ import annotations

from html import escape as _e  # what Django's escape does (& < > " ' as entities), without its lazy check

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiwang.core.errors import InvalidInput
from yiwang.core.page_auth import staff_verified_required
from yiwang.identity.selectors import mask_id_number

from .. import selectors
from ..constants import CaseStatus, Channel
from ..services import workbench

PAGE_SIZE = 30
CLAIMED_FILTERS = (("", _("全部")), ("mine", _("我签收的")), ("unclaimed", _("待签收")))
_NUMBER_SLOT = "0" * 27  # a case number's place in the case page's URL, reversed once per page


def _filters(request) -> dict[str, object]:
    claimed = request.GET.get("claimed", "")
    status = request.GET.get("status", "")
    item = request.GET.get("item", "")
    return {
        "claimed": claimed if claimed in ("mine", "unclaimed") else "",
        "status": status if status in CaseStatus.values else "",
        "item": int(item) if item.isdigit() else None,
    }


def _options(choices, selected) -> SafeString:
    """``<option>``s of a filter, the chosen one selected."""
    return mark_safe(  # noqa: S308 (values and labels escaped)
        "".join(
            f'<option value="{_e(str(value))}"{" selected" * (value == selected)}>{_e(str(label))}</option>'
            for value, label in choices
        )
    )


class _Labels:
    """The row's words in the request's language, translated and escaped once per page."""

    def __init__(self) -> None:
        self.number = _e(gettext("办件编号"))
        self.item = _e(gettext("事项"))
        self.applicant = _e(gettext("申请人"))
        self.step = _e(gettext("环节"))
        self.status = _e(gettext("办件状态"))
        self.due = _e(gettext("期限"))
        self.claimant = _e(gettext("签收人"))
        self.bundle = _e(gettext("一件事"))
        self.window = _e(gettext("窗口"))
        self.escalation = _e(gettext("督办"))
        self.me = _e(gettext("本人"))
        self.unclaimed = _e(gettext("待签收"))
        # the template's {% blocktranslate %} msgids, so their translations still apply (escaped when used)
        self.overdue = gettext("已逾期 %(n)s 个工作日")
        self.near = gettext("剩 %(n)s 个工作日")
        self.waiting = gettext("%(day)s 提交，待受理")
        self.statuses = {value: str(label) for value, label in CaseStatus.choices}
        self.case_url = _e(reverse("applications:workbench_case", args=[_NUMBER_SLOT]))


def _item_cell(case, labels: _Labels) -> str:
    if case.implementation is not None:
        cell = _e(case.implementation.name)
    elif case.bundle is not None:
        cell = f'{_e(case.bundle.name)} <span class="tag tag-bundle">{labels.bundle}</span>'
    else:
        cell = ""
    if case.channel == Channel.WINDOW:
        cell += f' <span class="tag">{labels.window}</span>'
    return cell


def _due_cell(task, case, urgency, labels: _Labels) -> str:
    if not task.due_on:
        day = timezone.localtime(case.submitted_at).date().isoformat()
        return f'<span class="material-notes">{_e(labels.waiting % {"day": day})}</span>'
    flag = ""
    if urgency.is_overdue:
        text = _e(labels.overdue % {"n": urgency.days_overdue})
        flag = f' <span class="flag flag-overdue" data-testid="overdue">{text}</span>'
    elif urgency.is_near:
        text = _e(labels.near % {"n": urgency.working_days_left})
        flag = f' <span class="flag flag-near" data-testid="near-due">{text}</span>'
    return f"{task.due_on.isoformat()}\n      {flag}\n      "


def _claimant_cell(task, user_pk, labels: _Labels) -> str:
    if task.claimed_by_id == user_pk:
        return f"<strong>{labels.me}</strong>"
    if task.claimed_by_id is not None:
        return _e(task.claimed_by.full_name)
    return f'<span class="empty">{labels.unclaimed}</span>'


def _rows(tasks, today, user_pk) -> list[SafeString]:
    """One ``<tr>`` a task: number (linking the case), item, applicant (ID masked), step, status,
    deadline with its overdue / near-due flag, claimant. Every value from the database or a translation
    goes through ``_e`` (the labels are escaped once in ``_Labels``)."""
    labels = _Labels()
    calendar = workbench.calendar_for_queue(days=[task.due_on for task in tasks], today=today)
    rows = []
    for task in tasks:
        case = task.case
        urgency = workbench.urgency(due_on=task.due_on, calendar=calendar, today=today)
        row_class = "row-overdue" if urgency.is_overdue else "row-near" if urgency.is_near else ""
        number = _e(case.number)
        escalation = (
            f' <span class="flag flag-overdue">{labels.escalation}</span>' if task.is_escalation else ""
        )
        status = _e(labels.statuses.get(case.status, case.status))
        rows.append(
            mark_safe(  # noqa: S308 (every part escaped above)
                f'<tr data-testid="queue-row" class="{row_class}">\n'
                f'    <th scope="row" data-label="{labels.number}"><a href="'
                f'{labels.case_url.replace(_NUMBER_SLOT, number)}" class="code">{number}</a></th>\n'
                f'    <td data-label="{labels.item}">{_item_cell(case, labels)}</td>\n'
                f'    <td data-label="{labels.applicant}">{_e(case.holder_name)}'
                f'<span class="material-notes">{_e(mask_id_number(case.holder_code))}</span></td>\n'
                f'    <td data-label="{labels.step}">{_e(task.name)}{escalation}</td>\n'
                f'    <td data-label="{labels.status}">{status}</td>\n'
                f'    <td data-label="{labels.due}">{_due_cell(task, case, urgency, labels)}</td>\n'
                f'    <td data-label="{labels.claimant}">{_claimant_cell(task, user_pk, labels)}</td>\n'
                "  </tr>\n"
            )
        )
    return rows


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
            "rows": _rows(page.items, today, request.user.pk),
            "next_cursor": page.next_cursor,
            "filters": filters,
            "query": query.urlencode(),
            "is_first_page": not request.GET.get("cursor"),
            "claimed_options": _options(CLAIMED_FILTERS, filters["claimed"]),
            "status_options": _options(CaseStatus.choices, filters["status"]),
            "item_options": _options(workbench.queue_item_choices(actor=request.user), filters["item"]),
            "today": today,
        },
    )
