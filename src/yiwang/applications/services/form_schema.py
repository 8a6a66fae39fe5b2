"""The application form's definition (JSON), checked on import: every problem at once, each with its path.

The format is described in docs/applications-forms.md. ``check_schema`` checks the definition alone
(shape, types, validation rules, conditions, prefill sources); ``check_references`` checks what it names
in the database: the implementation's situation questions and options, its materials, the exchange's
resources and items, the license types and their surface fields. Both return problems as
``"<path>：<problem>"`` in Chinese; ``FormSchemaError`` carries them all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from yiwang.core.errors import InvalidInput

from .form_types import (
    ACCOUNT_ATTRIBUTES,
    APPLICANT_KINDS,
    BOOLEAN,
    CHOICE_TYPES,
    FIELD_KEYS,
    FIELD_TYPES,
    FILE,
    KEY_PATTERN,
    MAX_FIELDS,
    MULTI_CHOICE,
    PREFILL_KEYS,
    PREFILL_LICENSE,
    PREFILL_REGISTER,
    RESULT_HOLDER_CODE_TYPES,
    RESULT_HOLDER_KEYS,
    RULES,
    SCHEMA_VERSION,
    SECTION_KEYS,
    SHARED_DATA_KEYS,
    TOP_KEYS,
)


class FormSchemaError(InvalidInput):
    """The form definition has problems; ``details["problems"]`` lists every one with its path."""

    code = "invalid_form_schema"


@dataclass
class _Check:
    """Problems found so far, and the field keys defined so far (conditions may name only those)."""

    problems: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # field key -> type
    situation_refs: list[tuple[str, str, list[str]]] = field(default_factory=list)  # path, question, options
    prefills: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)  # path, spec, field type
    materials: list[tuple[str, str]] = field(default_factory=list)  # path, material key
    result_fields: list[tuple[str, str]] = field(default_factory=list)  # path, result surface field
    options: dict[str, set[str]] = field(default_factory=dict)  # choice field key -> option values

    def add(self, path: str, problem: str) -> None:
        self.problems.append(f"{path}：{problem}")


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _unknown_keys(check: _Check, path: str, value: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for key in sorted(set(value) - allowed):
        check.add(f"{path}.{key}", "不认识的属性（请检查拼写）")


def _check_label(check: _Check, path: str, value: object, *, required: bool = True) -> None:
    """A bilingual text: {"zh": "…", "en": "…"}, both given."""
    if value is None and not required:
        return
    if not isinstance(value, dict):
        check.add(path, "应为包含中文（zh）和英文（en）的对象")
        return
    _unknown_keys(check, path, value, frozenset({"zh", "en"}))
    if not _is_text(value.get("zh")):
        check.add(f"{path}.zh", "缺少中文文字")
    if not _is_text(value.get("en")):
        check.add(f"{path}.en", "缺少英文文字")


def _check_key(check: _Check, path: str, value: object, what: str) -> bool:
    if not isinstance(value, str) or not KEY_PATTERN.fullmatch(value):
        check.add(path, f"{what}应为小写字母开头、由小写字母数字和下划线组成的标识（至多64位）")
        return False
    return True


# Conditions ------------------------------------------------------------------------------------------


def _check_condition(check: _Check, path: str, condition: object, depth: int = 0) -> None:
    """One condition: situation answer, another field's value, the applicant's kind, or all/any/not."""
    if depth > 8:
        check.add(path, "条件嵌套过深（至多8层）")
        return
    if not isinstance(condition, dict) or not condition:
        check.add(path, "条件应为非空对象")
        return
    if "all" in condition or "any" in condition:
        word = "all" if "all" in condition else "any"
        _unknown_keys(check, path, condition, frozenset({word}))
        parts = condition[word]
        if not isinstance(parts, list) or not parts:
            check.add(f"{path}.{word}", "应为非空的条件列表")
            return
        for index, part in enumerate(parts):
            _check_condition(check, f"{path}.{word}[{index}]", part, depth + 1)
    elif "not" in condition:
        _unknown_keys(check, path, condition, frozenset({"not"}))
        _check_condition(check, f"{path}.not", condition["not"], depth + 1)
    elif "situation" in condition:
        _check_situation_condition(check, path, condition)
    elif "field" in condition:
        _check_field_condition(check, path, condition)
    elif "applicant_kind" in condition:
        _unknown_keys(check, path, condition, frozenset({"applicant_kind"}))
        if condition["applicant_kind"] not in APPLICANT_KINDS:
            check.add(f"{path}.applicant_kind", "应为 person（个人）或 enterprise（企业）")
    else:
        check.add(path, "条件须为 situation、field、applicant_kind、all、any 或 not 之一")


def _check_situation_condition(check: _Check, path: str, condition: dict[str, Any]) -> None:
    _unknown_keys(check, path, condition, frozenset({"situation", "in", "is"}))
    question = condition["situation"]
    if not _check_key(check, f"{path}.situation", question, "情形问题编码"):
        return
    if ("in" in condition) == ("is" in condition):
        check.add(path, "情形条件须给出 is（一个选项）或 in（选项列表）之一")
        return
    options = [condition["is"]] if "is" in condition else condition["in"]
    if not isinstance(options, list) or not options or not all(_is_text(option) for option in options):
        check.add(f"{path}.{'is' if 'is' in condition else 'in'}", "应为情形选项编码（或其非空列表）")
        return
    check.situation_refs.append((path, question, list(options)))


def _check_field_condition(check: _Check, path: str, condition: dict[str, Any]) -> None:
    _unknown_keys(check, path, condition, frozenset({"field", "equals", "in", "filled"}))
    key = condition["field"]
    if not isinstance(key, str) or key not in check.keys:
        check.add(f"{path}.field", f"条件引用的字段“{key}”不存在或定义在本字段之后")
        return
    tests = [word for word in ("equals", "in", "filled") if word in condition]
    if len(tests) != 1:
        check.add(path, "字段条件须给出 equals、in 或 filled 之一")
        return
    if "in" in condition and (not isinstance(condition["in"], list) or not condition["in"]):
        check.add(f"{path}.in", "应为非空列表")
    if "filled" in condition and not isinstance(condition["filled"], bool):
        check.add(f"{path}.filled", "应为 true 或 false")
    values = condition.get("in") if "in" in condition else [condition.get("equals")]
    known = check.options.get(key)
    if known is not None and "filled" not in condition and isinstance(values, list):
        for value in values:
            if value not in known:
                check.add(path, f"字段“{key}”没有选项“{value}”")


# Validation rules ----------------------------------------------------------------------------------


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_date_bound(value: object) -> bool:
    if value == "today":
        return True
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _check_rule(check: _Check, path: str, name: str, value: object, rules: dict[str, Any]) -> None:
    if name in ("min_length", "max_length", "min_items", "max_items") and not _is_count(value):
        check.add(path, "应为非负整数")
    elif name in ("min", "max") and not _is_number(value):
        check.add(path, "应为数字")
    elif name in ("integer", "must_be_true") and not isinstance(value, bool):
        check.add(path, "应为 true 或 false")
    elif name in ("min_date", "max_date") and not _is_date_bound(value):
        check.add(path, "应为 today 或 YYYY-MM-DD 格式的日期")
    elif name == "pattern":
        try:
            re.compile(str(value))
        except re.error as error:
            check.add(path, f"正则表达式无效：{error}")
        if not isinstance(value, str) or len(value) > 300:
            check.add(path, "应为不超过300个字符的正则表达式")
    elif name == "pattern_message":
        _check_label(check, path, value)
    elif name == "gender" and value not in ("male", "female"):
        check.add(path, "应为 male（男）或 female（女）")
    elif name == "different_from" and (not isinstance(value, str) or value not in check.keys):
        check.add(path, f"引用的字段“{value}”不存在或定义在本字段之后")
    elif name == "within" and not (isinstance(value, str) and re.fullmatch(r"[0-9]{2,12}", value)):
        check.add(path, "应为行政区划代码（或其前缀）")
    if name == "pattern_message" and "pattern" not in rules:
        check.add(path, "只有给出 pattern 时才需要 pattern_message")


def _check_validation(check: _Check, path: str, kind: str, rules: object) -> None:
    if rules is None:
        return
    if not isinstance(rules, dict):
        check.add(path, "应为对象")
        return
    allowed = RULES.get(kind, frozenset())
    for name, value in rules.items():
        if name not in allowed:
            check.add(f"{path}.{name}", f"类型 {kind} 的字段不支持该校验规则")
            continue
        _check_rule(check, f"{path}.{name}", name, value, rules)
    for low, high in (("min_length", "max_length"), ("min", "max"), ("min_items", "max_items")):
        if _is_number(rules.get(low)) and _is_number(rules.get(high)) and rules[low] > rules[high]:
            check.add(f"{path}.{low}", f"不能大于 {high}")


def _check_options(check: _Check, path: str, key: str, options: object) -> None:
    if not isinstance(options, list) or not options:
        check.add(path, "选择题须给出非空的选项列表")
        return
    values: set[str] = set()
    for index, option in enumerate(options):
        where = f"{path}[{index}]"
        if not isinstance(option, dict):
            check.add(where, "选项应为包含 value 和 label 的对象")
            continue
        _unknown_keys(check, where, option, frozenset({"value", "label"}))
        value = option.get("value")
        if not _is_text(value) or len(str(value)) > 64:
            check.add(f"{where}.value", "选项值应为不超过64个字符的文字")
        elif value in values:
            check.add(f"{where}.value", f"选项值“{value}”重复")
        else:
            values.add(str(value))
        _check_label(check, f"{where}.label", option.get("label"))
    check.options[key] = values


# Prefill -------------------------------------------------------------------------------------------


def _check_prefill(check: _Check, path: str, spec: object, kind: str) -> None:
    if spec is None:
        return
    if not isinstance(spec, dict) or spec.get("source") not in PREFILL_KEYS:
        check.add(
            f"{path}.source",
            "预填来源应为 register（数据共享交换）、license（电子证照）或 account（实名账户）",
        )
        return
    source = spec["source"]
    _unknown_keys(check, path, spec, PREFILL_KEYS[source])
    if kind in (FILE, MULTI_CHOICE, BOOLEAN):
        check.add(path, f"类型 {kind} 的字段不能预填")
    if "applicant_kind" in spec and spec["applicant_kind"] not in APPLICANT_KINDS:
        check.add(f"{path}.applicant_kind", "应为 person（个人）或 enterprise（企业）")
    if source == PREFILL_REGISTER:
        for name in ("resource", "item"):
            if not _is_text(spec.get(name)):
                check.add(f"{path}.{name}", "缺少共享资源代码或信息项代码")
        key = spec.get("key", "holder")
        if key != "holder" and not (
            isinstance(key, dict) and set(key) == {"field"} and key["field"] in check.keys
        ):
            check.add(f"{path}.key", '查询主键应为 holder（申请主体证件号）或 {"field": 本字段之前的字段}')
    elif source == PREFILL_LICENSE:
        for name in ("license_type", "field"):
            if not _is_text(spec.get(name)):
                check.add(f"{path}.{name}", "缺少证照类型代码或照面字段")
    elif spec.get("attribute") not in ACCOUNT_ATTRIBUTES:
        check.add(f"{path}.attribute", f"账户属性应为 {'、'.join(ACCOUNT_ATTRIBUTES)} 之一")
    check.prefills.append((path, spec, kind))


def _check_result_field(check: _Check, path: str, item: dict[str, Any], kind: str) -> None:
    """``result_field``: the surface field of the implementation's result license this answer fills."""
    if "result_field" not in item:
        return
    if kind in (FILE, MULTI_CHOICE, BOOLEAN):
        check.add(path, f"类型 {kind} 的字段不能填入结果证照")
    elif _check_key(check, path, item["result_field"], "结果证照照面字段"):
        check.result_fields.append((path, item["result_field"]))


# Fields and sections --------------------------------------------------------------------------------


def _check_field(check: _Check, path: str, item: object) -> None:
    if not isinstance(item, dict):
        check.add(path, "字段应为对象")
        return
    _unknown_keys(check, path, item, FIELD_KEYS)
    key = item.get("key")
    key_ok = _check_key(check, f"{path}.key", key, "字段标识")
    if key_ok and key in check.keys:
        check.add(f"{path}.key", f"字段标识“{key}”重复")
    _check_label(check, f"{path}.label", item.get("label"))
    _check_label(check, f"{path}.help", item.get("help"), required=False)
    _check_label(check, f"{path}.placeholder", item.get("placeholder"), required=False)
    kind = item.get("type")
    if kind not in FIELD_TYPES:
        check.add(f"{path}.type", f"字段类型应为 {'、'.join(FIELD_TYPES)} 之一")
        kind = ""
    if "required" in item and not isinstance(item["required"], bool):
        check.add(f"{path}.required", "应为 true 或 false")
    for name in ("visible_when", "required_when"):
        if name in item:
            _check_condition(check, f"{path}.{name}", item[name])
    if kind in CHOICE_TYPES:
        _check_options(check, f"{path}.options", str(key), item.get("options"))
    elif "options" in item:
        check.add(f"{path}.options", "只有 choice 和 multi_choice 字段可以有选项")
    if kind == FILE:
        if _check_key(check, f"{path}.material", item.get("material"), "材料标识"):
            check.materials.append((f"{path}.material", item["material"]))
    elif "material" in item:
        check.add(f"{path}.material", "只有 file 字段引用材料")
    _check_validation(check, f"{path}.validation", kind, item.get("validation"))
    _check_prefill(check, f"{path}.prefill", item.get("prefill"), kind)
    _check_result_field(check, f"{path}.result_field", item, kind)
    if key_ok and key not in check.keys:
        check.keys[str(key)] = kind  # defined from here on: later fields' conditions may name it


def _check_sections(check: _Check, sections: object) -> None:
    if not isinstance(sections, list) or not sections:
        check.add("sections", "表单至少要有一个分组")
        return
    section_keys: set[str] = set()
    for index, section in enumerate(sections):
        path = f"sections[{index}]"
        if not isinstance(section, dict):
            check.add(path, "分组应为对象")
            continue
        _unknown_keys(check, path, section, SECTION_KEYS)
        key = section.get("key")
        if _check_key(check, f"{path}.key", key, "分组标识"):
            if key in section_keys:
                check.add(f"{path}.key", f"分组标识“{key}”重复")
            section_keys.add(str(key))
        _check_label(check, f"{path}.label", section.get("label"))
        _check_label(check, f"{path}.description", section.get("description"), required=False)
        if "visible_when" in section:
            _check_condition(check, f"{path}.visible_when", section["visible_when"])
        fields = section.get("fields")
        if not isinstance(fields, list) or not fields:
            check.add(f"{path}.fields", "分组至少要有一个字段")
            continue
        for position, item in enumerate(fields):
            _check_field(check, f"{path}.fields[{position}]", item)
    if len(check.keys) > MAX_FIELDS:
        check.add("sections", f"字段过多（至多 {MAX_FIELDS} 个）")


def _check_materials(check: _Check, materials: object) -> None:
    """``materials``: per material key, the shared data that stands for it (免提交, 部门共享)."""
    if materials is None:
        return
    if not isinstance(materials, dict):
        check.add("materials", "应为以材料标识为键的对象")
        return
    for key, entry in materials.items():
        path = f"materials.{key}"
        if _check_key(check, path, key, "材料标识"):
            check.materials.append((path, key))
        if not isinstance(entry, dict) or not isinstance(entry.get("shared_data"), dict):
            check.add(path, '应为 {"shared_data": {"resource", "items", "reason"}}')
            continue
        _unknown_keys(check, path, entry, frozenset({"shared_data"}))
        shared = entry["shared_data"]
        _unknown_keys(check, f"{path}.shared_data", shared, SHARED_DATA_KEYS)
        if not _is_text(shared.get("resource")):
            check.add(f"{path}.shared_data.resource", "缺少共享资源代码")
        items = shared.get("items")
        if not isinstance(items, list) or not items or not all(_is_text(item) for item in items):
            check.add(f"{path}.shared_data.items", "应为非空的信息项代码列表")
        _check_label(check, f"{path}.shared_data.reason", shared.get("reason"))


def _check(schema: object) -> _Check:
    check = _Check()
    if not isinstance(schema, dict):
        check.add("（根）", "表单定义应为 JSON 对象")
        return check
    _unknown_keys(check, "（根）", schema, TOP_KEYS)
    if schema.get("schema_version") != SCHEMA_VERSION:
        check.add("schema_version", f"应为 {SCHEMA_VERSION}")
    if not _is_text(schema.get("implementation")):
        check.add("implementation", "缺少实施编码")
    _check_label(check, "title", schema.get("title"))
    _check_label(check, "description", schema.get("description"), required=False)
    _check_sections(check, schema.get("sections"))
    _check_materials(check, schema.get("materials"))
    _check_result_holder(check, schema.get("result_holder"))
    superseded = schema.get("result_supersedes")
    if superseded is not None and _check_key(
        check, "result_supersedes", superseded, "被结果替代的申请材料编码"
    ):
        check.materials.append(("result_supersedes", superseded))  # the implementation must list it
    return check


def _check_result_holder(check: _Check, spec: object) -> None:
    """``result_holder``: {"code": <an id_number or credit_code field>, "name": <a text field>}: the result
    license is issued to the party these answers name (转移登记: the buyer), not to the applicant."""
    if spec is None:
        return
    path = "result_holder"
    if not isinstance(spec, dict):
        check.add(path, '应为 {"code": "<证件号码字段>", "name": "<名称字段>"}')
        return
    _unknown_keys(check, path, spec, RESULT_HOLDER_KEYS)
    for part, types, wanted in (
        ("code", set(RESULT_HOLDER_CODE_TYPES), "公民身份号码（id_number）或统一社会信用代码（credit_code）"),
        ("name", {"text"}, "文本（text）"),
    ):
        key = spec.get(part)
        if not _is_text(key) or key not in check.keys:
            check.add(f"{path}.{part}", "应为本表单中已定义的字段")
        elif check.keys[key] not in types:
            check.add(f"{path}.{part}", f"字段 {key} 的类型应为{wanted}")


def check_schema(schema: object) -> list[str]:
    """Every problem of the definition alone (no database), each as ``"<path>：<problem>"``."""
    return _check(schema).problems


def raise_problems(problems: list[str], *, message: str = "表单定义有误") -> None:
    if problems:
        shown = "；".join(problems[:5]) + ("……" if len(problems) > 5 else "")
        raise FormSchemaError(f"{message}（{len(problems)} 处）：{shown}", problems=problems)


def iter_fields(schema: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Each (section, field) of a definition, in order."""
    for section in schema.get("sections", []):
        for item in section.get("fields", []):
            yield section, item


def prefill_specs(schema: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """Each (field, prefill spec) of a definition."""
    for _section, item in iter_fields(schema):
        if item.get("prefill"):
            yield item, item["prefill"]


def collected(schema: object) -> _Check:
    """The definition's problems and what it names (for ``check_references``)."""
    return _check(schema)
