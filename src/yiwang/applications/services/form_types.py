"""The words of a form definition: field types, the validation rules each accepts, prefill sources."""

from __future__ import annotations

import re

SCHEMA_VERSION = 1
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")

TEXT, TEXTAREA, ADDRESS = "text", "textarea", "address"
NUMBER, DATE, BOOLEAN = "number", "date", "boolean"
CHOICE, MULTI_CHOICE = "choice", "multi_choice"
ID_NUMBER, CREDIT_CODE, PHONE, REGION, FILE = "id_number", "credit_code", "phone", "region", "file"
FIELD_TYPES = (
    TEXT,
    TEXTAREA,
    ADDRESS,
    NUMBER,
    DATE,
    BOOLEAN,
    CHOICE,
    MULTI_CHOICE,
    ID_NUMBER,
    CREDIT_CODE,
    PHONE,
    REGION,
    FILE,
)
TEXT_TYPES = (TEXT, TEXTAREA, ADDRESS)
CHOICE_TYPES = (CHOICE, MULTI_CHOICE)
# The validation rules each type accepts (``different_from`` names another field that must differ).
RULES: dict[str, frozenset[str]] = {
    TEXT: frozenset({"min_length", "max_length", "pattern", "pattern_message", "different_from"}),
    TEXTAREA: frozenset({"min_length", "max_length"}),
    ADDRESS: frozenset({"min_length", "max_length"}),
    NUMBER: frozenset({"min", "max", "integer"}),
    DATE: frozenset({"min_date", "max_date"}),
    BOOLEAN: frozenset({"must_be_true"}),
    CHOICE: frozenset(),
    MULTI_CHOICE: frozenset({"min_items", "max_items"}),
    ID_NUMBER: frozenset({"gender", "different_from"}),
    CREDIT_CODE: frozenset({"different_from"}),
    PHONE: frozenset(),
    REGION: frozenset({"within"}),
    FILE: frozenset(),
}
PREFILL_REGISTER, PREFILL_LICENSE, PREFILL_ACCOUNT = "register", "license", "account"
ACCOUNT_ATTRIBUTES = ("name", "id_number", "phone", "enterprise_name", "credit_code")
APPLICANT_KINDS = ("person", "enterprise")

# The properties a definition may have at each level (anything else is refused: a typo must not pass).
TOP_KEYS = frozenset(
    {
        "schema_version",
        "implementation",
        "title",
        "description",
        "sections",
        "materials",
        "result_holder",
        "result_supersedes",
    }
)
# ``result_holder``: the answers naming whom the result license is issued to, when not the applicant.
RESULT_HOLDER_KEYS = frozenset({"code", "name"})
RESULT_HOLDER_CODE_TYPES = {"id_number": "person", "credit_code": "enterprise"}  # field type -> holder kind
SECTION_KEYS = frozenset({"key", "label", "description", "visible_when", "fields"})
FIELD_KEYS = frozenset(
    {
        "key",
        "label",
        "type",
        "required",
        "required_when",
        "visible_when",
        "help",
        "placeholder",
        "validation",
        "options",
        "prefill",
        "material",
        "result_field",
    }
)
PREFILL_KEYS = {
    PREFILL_REGISTER: frozenset({"source", "resource", "item", "key", "applicant_kind"}),
    PREFILL_LICENSE: frozenset({"source", "license_type", "field", "applicant_kind"}),
    PREFILL_ACCOUNT: frozenset({"source", "attribute", "applicant_kind"}),
}
SHARED_DATA_KEYS = frozenset({"resource", "items", "reason"})
MAX_FIELDS = 200
