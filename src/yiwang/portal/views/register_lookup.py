"""The window clerk's register lookup: an ID number, the purpose and the case number, then the record.

Every lookup goes through the registers' gate, which records it (with its purpose and case) in the audit
log; the citizen sees it on 我的数据使用记录.
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiwang.audit.constants import GroundKind
from yiwang.core.errors import DomainError
from yiwang.core.page_auth import staff_verified_required
from yiwang.registers.constants import FIELD_LABELS, Gender
from yiwang.registers.selectors import access_person_by_id_number

from ..audit_forms import RegisterLookupForm

# What a window clerk needs to accept an application, and no more (data minimisation).
LOOKUP_FIELDS = ("name", "gender", "birth_date", "ethnicity", "household_address")


def _shown(record: dict) -> list[tuple[str, object]]:
    values = dict(record)
    if values.get("gender") in Gender.values:
        values["gender"] = Gender(values["gender"]).label
    return [(FIELD_LABELS.get(name, name), values[name]) for name in LOOKUP_FIELDS if name in values]


@staff_verified_required
@require_http_methods(["GET", "POST"])
def register_lookup(request):
    form = RegisterLookupForm(request.POST or None)
    record, error = None, ""
    if request.method == "POST" and form.is_valid():
        try:
            record = access_person_by_id_number(
                actor=request.user,
                id_number=form.cleaned_data["id_number"],
                purpose=form.cleaned_data["purpose"],
                fields=LOOKUP_FIELDS,
                ground_kind=GroundKind.CASE,
                ground_ref=form.cleaned_data["case_number"],
            )
        except DomainError as refused:
            error = refused.message if refused.status != 404 else _("未找到该记录，或您无权查询")
    return render(
        request,
        "portal/audit/register_lookup.html",
        {"form": form, "rows": _shown(record) if record else None, "error": error},
    )
