"""What the citizen pages share: reading a form's answers and uploads from a POST, the applicant-side
gate of a case, and the errors of a refused submission by field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from yiwang.core.errors import DomainError, NotFound

from .. import selectors
from ..models import Case
from ..services.form_schema import BOOLEAN, FILE, MULTI_CHOICE, iter_fields
from ..services.uploads import StoredFile, store_upload

FIELD = "f:"  # a form field's input name: f:<field key>
SITUATION = "s:"  # a situation question's: s:<question code>
MATERIAL = "m:"  # a material's upload: m:<material key>
SESSION_CODES = "applications_new_query_codes"  # number → query code, shown once on the confirmation


def applicant_case(request, number: str) -> Case:
    """The case if the user is on its applicant side (applicant, holder, mandated agent, legal rep).

    Everyone else, staff who may handle it included, gets the same 404 as for a number that does not
    exist: these are the applicant's pages.
    """
    try:
        case = selectors.access_case_by_number(actor=request.user, number=number)
    except NotFound:
        raise Http404(_("未找到该办件")) from None
    if not selectors.is_applicant_side(actor=request.user, case=case):
        raise Http404(_("未找到该办件"))
    return case


def form_fields(schema: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every field of a definition by key (materials are uploaded separately: file fields left out)."""
    return {item["key"]: item for _section, item in iter_fields(schema) if item["type"] != FILE}


def read_answers(post: Any, fields: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The answers a POST gives for these fields (empty ones left out; a checkbox not sent is no).

    A checkbox is only read when its input was on the page (``f:<key>.shown``): a field the page did not
    show keeps no answer."""
    answers: dict[str, Any] = {}
    for item in fields:
        name = FIELD + item["key"]
        if item["type"] == MULTI_CHOICE:
            values = [value for value in post.getlist(name) if value]
            if values or post.get(name + ".shown"):
                answers[item["key"]] = values
            continue
        if item["type"] == BOOLEAN:
            if name in post:
                answers[item["key"]] = post.get(name) in ("on", "true", "1", "yes")
            elif post.get(name + ".shown"):
                answers[item["key"]] = False
            continue
        value = (post.get(name) or "").strip()
        if value:
            answers[item["key"]] = value
    return {key: value for key, value in answers.items() if value != []}


def store_files(files: Any, keys: Iterable[str]) -> tuple[dict[str, StoredFile], dict[str, str]]:
    """Store each upload sent for these material keys; a refused file is an error of its material."""
    stored: dict[str, StoredFile] = {}
    errors: dict[str, str] = {}
    for key in keys:
        uploaded = files.get(MATERIAL + key)
        if uploaded is None:
            continue
        try:
            stored[key] = store_upload(uploaded_file=uploaded)
        except DomainError as error:
            errors[key] = error.message
    return stored, errors


def errors_by_field(error: DomainError) -> dict[str, list[str]]:
    """A refused form's errors by field key (``InvalidForm`` and ``PrefillTampered`` carry them)."""
    fields = error.details.get("fields") or {}
    return {str(key): [str(message) for message in messages] for key, messages in fields.items()}
