"""The search-miss screen: queries that found nothing, each turned into a synonym or keyword in one step."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.errors import DomainError, NotFound
from yiwang.core.page_auth import staff_verified_required

from . import selectors
from .constants import UNCLICKED_DAYS, UNCLICKED_MIN_SEARCHES
from .forms import KeywordForm, SynonymForm
from .services import curation

PAGE_SIZE = 25


def _refused():
    return HttpResponseForbidden(_("仅限负责搜索维护的数据管理员访问"))


@staff_verified_required
def misses(request):
    """The unresolved missed queries of the curator's regions, most frequent first, each with two forms;
    then the never-clicked queries with the same two forms."""
    if not selectors.is_search_curator(actor=request.user):
        return _refused()
    unclicked = [
        {
            "query": query,
            "synonym_form": SynonymForm(prefix=f"u{query.id}"),
            "keyword_form": KeywordForm(
                prefix=f"u{query.id}",
                implementations=selectors.list_keyword_candidates(actor=request.user, miss=query),
            ),
        }
        for query in selectors.list_unclicked_for_curator(actor=request.user, limit=PAGE_SIZE)
    ]
    rows = [
        {
            "miss": miss,
            "synonym_form": SynonymForm(prefix=f"m{miss.pk}"),
            "keyword_form": KeywordForm(
                prefix=f"m{miss.pk}",
                implementations=selectors.list_keyword_candidates(actor=request.user, miss=miss),
            ),
        }
        for miss in selectors.list_misses_for_curator(actor=request.user)[:PAGE_SIZE]
    ]
    context = {
        "rows": rows,
        "unclicked_rows": unclicked,
        "min_searches": UNCLICKED_MIN_SEARCHES,
        "days": UNCLICKED_DAYS,
    }
    return render(request, "search/misses.html", context)


@staff_verified_required
def miss_detail(request, miss_id: int):
    """One missed query with every implementation the curator may add it to."""
    if not selectors.is_search_curator(actor=request.user):
        return _refused()
    try:
        miss = selectors.access_miss_for_curator(actor=request.user, miss_id=miss_id)
    except NotFound:
        raise Http404(_("未找到该零结果搜索")) from None
    implementations = selectors.list_curatable_implementations(actor=request.user)
    context = {
        "miss": miss,
        "synonym_form": SynonymForm(prefix=f"m{miss.pk}"),
        "keyword_form": KeywordForm(prefix=f"m{miss.pk}", implementations=implementations),
    }
    return render(request, "search/miss.html", context)


def _run(request, service, **arguments) -> bool:
    try:
        service(actor=request.user, **arguments)
    except DomainError as error:
        messages.error(request, error.message)
        return False
    return True


def _synonym(request, prefix: str, service, **target):
    form = SynonymForm(request.POST, prefix=prefix)
    if not form.is_valid():
        messages.error(
            request, _("请填写规范说法（不超过 %(n)d 个字）") % {"n": curation.MAX_OFFICIAL_LENGTH}
        )
    elif _run(request, service, **target, **form.cleaned_data):
        messages.success(request, _("已设为同义词，搜索立即生效"))
    return redirect("search:misses")


def _keyword(request, prefix: str, service, **target):
    form = KeywordForm(request.POST, prefix=prefix)
    if not form.is_valid():
        messages.error(request, _("请选择事项"))
    elif _run(request, service, **target, implementation_id=form.cleaned_data["implementation"]):
        messages.success(request, _("已加入事项的检索关键词，搜索立即生效"))
    return redirect("search:misses")


@require_POST
@staff_verified_required
def add_synonym(request, miss_id: int):
    return _synonym(request, f"m{miss_id}", curation.add_synonym_for_miss, miss_id=miss_id)


@require_POST
@staff_verified_required
def add_keyword(request, miss_id: int):
    return _keyword(request, f"m{miss_id}", curation.add_keyword_for_miss, miss_id=miss_id)


@require_POST
@staff_verified_required
def add_unclicked_synonym(request, query_id: int):
    return _synonym(request, f"u{query_id}", curation.add_synonym_for_unclicked, query_id=query_id)


@require_POST
@staff_verified_required
def add_unclicked_keyword(request, query_id: int):
    return _keyword(request, f"u{query_id}", curation.add_keyword_for_unclicked, query_id=query_id)
