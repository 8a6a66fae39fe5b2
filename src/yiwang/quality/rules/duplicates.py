"""Duplicates: one person (or one company name) registered twice under different keys.

The records are streamed sorted by the compared items, so a group of equal ones is adjacent: one pass,
no table in memory, whatever the register's size.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any, ClassVar

from django.db.models import Model, QuerySet

from yiwang.registers.constants import FIELD_LABELS, LegalPersonStatus, RegisterCode
from yiwang.registers.models import LegalPerson, Person

from ..constants import RuleKind
from .base import CHUNK, QualityRule, Violation, quality_rules


class Duplicates(QualityRule):
    kind = RuleKind.DUPLICATE
    model: ClassVar[type[Model]]
    key_field: ClassVar[str]
    items: ClassVar[tuple[str, ...]]

    def records(self) -> QuerySet:
        return self.model._default_manager.all()

    def _message(self, others: int) -> str:
        labels = "、".join(str(FIELD_LABELS.get(item, item)) for item in self.items)
        return f"与另外 {others} 条记录的{labels}相同，疑似重复登记"

    def _groups(self, rows) -> Iterator[list[tuple]]:
        group: list[tuple] = []
        for row in rows:
            if group and row[2:] != group[0][2:]:
                yield group
                group = []
            group.append(row)
        if group:
            yield group

    def check(
        self, *, parameters: Mapping[str, Any], record_ids: Collection[int] | None = None
    ) -> Iterator[Violation]:
        rows = self.records()
        if record_ids is not None:  # a re-check: only the groups the given records belong to
            wanted = self.records().filter(pk__in=list(record_ids)).values_list(*self.items)
            rows = rows.filter(**{f"{self.items[0]}__in": [values[0] for values in wanted]})
        ordered = rows.order_by(*self.items, "pk").values_list("pk", self.key_field, *self.items)
        for group in self._groups(ordered.iterator(chunk_size=CHUNK)):
            if len(group) < 2:
                continue
            for pk, key, *_values in group:
                if record_ids is None or pk in record_ids:
                    yield Violation(pk, key, self.items[0], self._message(len(group) - 1))


@quality_rules.register("population.duplicate_people")
class DuplicatePeople(Duplicates):
    label = "同一姓名、出生日期与户籍地址只登记一人"
    source = RegisterCode.POPULATION
    model = Person
    key_field = "id_number"
    items = ("name", "birth_date", "household_address")


@quality_rules.register("legal_person.duplicate_names")
class DuplicateCompanyNames(Duplicates):
    label = "存续市场主体名称不重复"
    source = RegisterCode.LEGAL_PERSON
    model = LegalPerson
    key_field = "credit_code"
    items = ("name",)

    def records(self) -> QuerySet:
        return LegalPerson.objects.filter(status=LegalPersonStatus.ACTIVE)
