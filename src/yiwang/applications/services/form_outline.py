"""A form version in words, for the data administrators' page: each field's type, rules, conditions
(situation questions and options named by their text) and prefill source."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from yiwang.catalog.models import SituationQuestion
from yiwang.exchange.models import Resource
from yiwang.licenses.models import LicenseType

from ..models import ApplicationForm
from .form_schema import iter_fields
from .form_types import PREFILL_ACCOUNT, PREFILL_LICENSE


def _type_labels() -> dict[str, str]:
    return {
        "text": _("文字"),
        "textarea": _("多行文字"),
        "address": _("地址"),
        "number": _("数字"),
        "date": _("日期"),
        "boolean": _("勾选确认"),
        "choice": _("单选"),
        "multi_choice": _("多选"),
        "id_number": _("公民身份号码"),
        "credit_code": _("统一社会信用代码"),
        "phone": _("电话"),
        "region": _("行政区划"),
        "file": _("材料文件"),
    }


def _account_labels() -> dict[str, str]:
    return {
        "name": _("姓名"),
        "id_number": _("公民身份号码"),
        "phone": _("手机号码"),
        "enterprise_name": _("企业名称"),
        "credit_code": _("统一社会信用代码"),
    }


@dataclass
class FieldOutline:
    key: str
    label: str
    label_en: str
    type_label: str
    is_required: bool
    required_when: str
    condition: str
    prefill: str
    rules: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)


@dataclass
class SectionOutline:
    key: str
    label: str
    label_en: str
    condition: str
    fields: list[FieldOutline] = field(default_factory=list)


class _Words:
    """Names of what a definition refers to: questions and options, resources, license types."""

    def __init__(self, form: ApplicationForm):
        self.questions: dict[str, tuple[str, dict[str, str]]] = {}
        for question in SituationQuestion.objects.filter(
            implementation_id=form.implementation_id
        ).prefetch_related("options"):
            self.questions[question.code] = (question.text, {o.code: o.label for o in question.options.all()})
        self.resources = dict(Resource.objects.values_list("code", "name"))
        self.license_types = dict(LicenseType.objects.values_list("code", "name"))
        self.labels = {item["key"]: item["label"]["zh"] for _section, item in iter_fields(form.schema)}

    def condition(self, condition: dict[str, Any] | None) -> str:
        if not condition:
            return ""
        if "all" in condition:
            return _("且").join(f"（{self.condition(part)}）" for part in condition["all"])
        if "any" in condition:
            return _("或").join(f"（{self.condition(part)}）" for part in condition["any"])
        if "not" in condition:
            return _("并非%(condition)s") % {"condition": self.condition(condition["not"])}
        if "situation" in condition:
            text, options = self.questions.get(condition["situation"], (condition["situation"], {}))
            wanted = [condition["is"]] if "is" in condition else condition["in"]
            chosen = "、".join(f"“{options.get(code, code)}”" for code in wanted)
            return _("情形“%(question)s”选择%(options)s") % {"question": text, "options": chosen}
        if "applicant_kind" in condition:
            return _("申请主体为个人") if condition["applicant_kind"] == "person" else _("申请主体为企业")
        name = self.labels.get(condition["field"], condition["field"])
        if "filled" in condition:
            return (_("已填写“%(field)s”") if condition["filled"] else _("未填写“%(field)s”")) % {
                "field": name
            }
        wanted = condition["in"] if "in" in condition else [condition.get("equals")]
        return _("“%(field)s”为%(values)s") % {"field": name, "values": "、".join(str(v) for v in wanted)}

    def prefill(self, spec: dict[str, Any] | None) -> str:
        if not spec:
            return ""
        if spec["source"] == PREFILL_ACCOUNT:
            return _("实名账户：%(attribute)s") % {
                "attribute": _account_labels().get(spec["attribute"], spec["attribute"])
            }
        if spec["source"] == PREFILL_LICENSE:
            name = self.license_types.get(spec["license_type"], spec["license_type"])
            return _("电子证照《%(type)s》照面：%(field)s（经持证人授权）") % {
                "type": name,
                "field": spec["field"],
            }
        key = spec.get("key", "holder")
        by = _("申请主体证件号") if key == "holder" else self.labels.get(key["field"], key["field"])
        return _("数据共享：%(resource)s · %(item)s（按%(key)s查询）") % {
            "resource": self.resources.get(spec["resource"], spec["resource"]),
            "item": spec["item"],
            "key": by,
        }


def _rules(item: dict[str, Any]) -> list[str]:
    rules = []
    for name, value in sorted((item.get("validation") or {}).items()):
        if name == "pattern_message":
            continue
        if name == "different_from":
            rules.append(_("不得与“%(field)s”相同") % {"field": value})
        else:
            rules.append(f"{name}: {value}")
    if item.get("material"):
        rules.append(_("对应材料：%(material)s") % {"material": item["material"]})
    return rules


def outline(*, form: ApplicationForm) -> list[SectionOutline]:
    """The version's sections and fields in words (Chinese, or the page's language)."""
    words, types = _Words(form), _type_labels()
    sections = []
    for section in form.schema.get("sections", []):
        entry = SectionOutline(
            section["key"],
            section["label"]["zh"],
            section["label"]["en"],
            words.condition(section.get("visible_when")),
        )
        for item in section["fields"]:
            entry.fields.append(
                FieldOutline(
                    key=item["key"],
                    label=item["label"]["zh"],
                    label_en=item["label"]["en"],
                    type_label=types.get(item["type"], item["type"]),
                    is_required=bool(item.get("required")),
                    required_when=words.condition(item.get("required_when")),
                    condition=words.condition(item.get("visible_when")),
                    prefill=words.prefill(item.get("prefill")),
                    rules=_rules(item),
                    options=[f"{o['value']}：{o['label']['zh']}" for o in item.get("options", [])],
                )
            )
        sections.append(entry)
    return sections
