"""How the window page shows an application form and reads it back: one row per visible field with its
widget, value, options, the source of a prefilled value (locked), and its errors; the situation answers.

Only parsing and presenting: what is valid is ``forms.check_submission``'s answer, on the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..services.form_schema import iter_fields

# Field types of the form definition (docs/applications-forms.md) and the widget each gets here.
FILE, MULTI_CHOICE = "file", "multi_choice"
WIDGETS = {
    "textarea": "textarea",
    "boolean": "checkbox",
    "multi_choice": "checkboxes",
    "choice": "select",
    "number": "number",
    "date": "date",
}

SITUATION_PREFIX = "situation-"
FIELD_PREFIX = "f-"


def posted_situation(source: Mapping[str, Any]) -> dict[str, str]:
    """The situation answers (question code → option code) from the page's ``situation-…`` inputs."""
    return {
        key[len(SITUATION_PREFIX) :]: str(value)
        for key, value in source.items()
        if key.startswith(SITUATION_PREFIX) and value
    }


def situation_rows(questions: Iterable[Any], answers: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "code": question.code,
            "text": question.text,
            "help": question.help_text,
            "options": [(option.code, option.label) for option in question.options.all()],
            "answer": answers.get(question.code, ""),
        }
        for question in questions
    ]


def posted_data(schema: Mapping[str, Any], post) -> dict[str, Any]:
    """The form's values as posted (``f-<key>``); empty ones left out, several values for a multi choice."""
    data: dict[str, Any] = {}
    for _section, item in iter_fields(schema):
        name = FIELD_PREFIX + item["key"]
        if item["type"] == FILE:
            continue
        if item["type"] == MULTI_CHOICE:
            values = [value for value in post.getlist(name) if value]
            if values:
                data[item["key"]] = values
            continue
        value = (post.get(name) or "").strip()
        if value:
            data[item["key"]] = value
    return data


def _widget(kind: str) -> str:
    return WIDGETS.get(kind, "text")


def form_rows(
    fields: Iterable[Mapping[str, Any]],
    prefilled: Mapping[str, Mapping[str, Any]],
    data: Mapping[str, Any],
    errors: Mapping[str, list[str]],
) -> list[dict[str, Any]]:
    """One row per visible field: a prefilled one shows the source's value, read-only."""
    rows = []
    for item in fields:
        if item["type"] == FILE:
            continue
        key = item["key"]
        entry = prefilled.get(key)
        value = entry["value"] if entry else data.get(key, "")
        rows.append(
            {
                "key": key,
                "name": FIELD_PREFIX + key,
                "label": item["label"]["zh"],
                "help": (item.get("help") or {}).get("zh", ""),
                "widget": _widget(item["type"]),
                "required": item.get("is_required", False),
                "value": value,
                "values": value if isinstance(value, list) else [value],
                "options": [
                    (str(option["value"]), option["label"]["zh"]) for option in item.get("options") or []
                ],
                "source": entry.get("label", "") if entry else "",
                "is_locked": entry is not None,
                "errors": list(errors.get(key, [])),
            }
        )
    return rows
