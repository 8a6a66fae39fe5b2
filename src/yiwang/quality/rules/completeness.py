"""Required items: a record must not leave an item the resource promises empty."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from functools import reduce
from operator import or_
from typing import Any, ClassVar

from django.db.models import Model, Q

from yiwang.core.errors import InvalidInput
from yiwang.registers.constants import FIELD_LABELS, RegisterCode
from yiwang.registers.models import LegalPerson, Person

from ..constants import RuleKind
from .base import CHUNK, QualityRule, Violation, only, quality_rules


class RequiredItems(QualityRule):
    """Parameter ``items``: the items that must hold a value (default: the rule's own list)."""

    kind = RuleKind.REQUIRED
    model: ClassVar[type[Model]]
    key_field: ClassVar[str]

    def _items(self, parameters: Mapping[str, Any]) -> list[str]:
        items = list(parameters.get("items") or self.default_parameters["items"])
        known = {field.name for field in self.model._meta.concrete_fields}
        if unknown := sorted(set(items) - known):
            raise InvalidInput("必填项规则配置了不存在的信息项", code="unknown_rule_item", items=unknown)
        return items

    def check(
        self, *, parameters: Mapping[str, Any], record_ids: Collection[int] | None = None
    ) -> Iterator[Violation]:
        items = self._items(parameters)
        empty = reduce(or_, (Q(**{f"{item}__isnull": True}) | Q(**{item: ""}) for item in items))
        rows = only(self.model._default_manager.order_by().filter(empty), record_ids)
        for row in rows.values("pk", self.key_field, *items).iterator(chunk_size=CHUNK):
            for item in items:
                if row[item] in (None, ""):
                    label = FIELD_LABELS.get(item, item)
                    yield Violation(row["pk"], row[self.key_field], item, f"必填项“{label}”为空")


@quality_rules.register("population.required_items")
class PersonRequiredItems(RequiredItems):
    label = "人口信息必填项完整"
    source = RegisterCode.POPULATION
    model = Person
    key_field = "id_number"
    default_parameters = {
        "items": [
            "name",
            "gender",
            "ethnicity",
            "household_address",
            "household_number",
            "household_relation",
        ]
    }


@quality_rules.register("legal_person.required_items")
class LegalPersonRequiredItems(RequiredItems):
    label = "法人信息必填项完整"
    source = RegisterCode.LEGAL_PERSON
    model = LegalPerson
    key_field = "credit_code"
    default_parameters = {
        "items": ["name", "entity_type", "legal_representative_name", "address", "status", "business_scope"]
    }
