"""Where a resource's records come from: a plugin per source (``Resource.source``) reading through a gate.

The exchange checks the grant; the source reads the record (logging the read under the case, so the data
subject's tracker shows it) and judges the assertions ``verify`` asks. The base registers' sources are
the exchange's own (``register_sources``); a higher app that publishes a resource registers its source
in its ``AppConfig.ready`` (the licenses app, for the e-license library), so the exchange never names it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured

from yiwang.core.errors import DomainError, InvalidInput, NotFound
from yiwang.core.registry import Registry
from yiwang.regions.models import Department

# The source id of the e-license library (``Resource.source``); the licenses app registers its plugin.
LICENSE_LIBRARY_SOURCE = "licenses"
# What a system may assert: a flag, a number (age_over) or a text (a name, a certificate number).
AssertedValue = bool | int | str


@dataclass(frozen=True)
class Reader:
    """Who reads, for what and under which case: what the source's gate writes in the audit log."""

    system: str  # the consuming system's client id
    acting_for: str  # the consuming department's name
    purpose: str  # the grant's purpose and the service item code of the call
    case_number: str
    provider: Department | None  # the department whose data it is (the resource's provider)
    consumer: Department | None = None  # the consuming department: the reader the data subject is shown


@dataclass(frozen=True)
class Assertion:
    """One verify assertion: the items it relies on (the grant must cover them) and how it is judged."""

    items: tuple[str, ...]
    value_types: tuple[type, ...]  # of bool, int, str: what the asserted value may be
    judge: Callable[[Mapping[str, Any], Any], bool]
    description: str = ""
    choices: frozenset[str] = frozenset()  # the codes a text value must be one of, when it is a code

    def accepts(self, wanted: object) -> bool:
        # bool is an int in Python: an age asserted as ``true`` is refused, not taken as 1
        if type(wanted) not in self.value_types:
            return False
        return not (isinstance(wanted, str) and self.choices and wanted not in self.choices)

    def expected(self) -> str:
        """What the value may be, as the refusal names it: "bool", "int", "str" or the codes."""
        kinds = [kind.__name__ for kind in self.value_types]
        if self.choices:
            kinds[kinds.index("str")] = "|".join(sorted(self.choices))
        return " or ".join(kinds)


@dataclass
class Batch:
    """What a source answered for several keys: per key the record (or the verdicts of a verify), or the
    error that refused that key alone (NotFound, or the gate's refusal); and the read entries
    (``audit.services.record_reads`` arguments, one per data subject) the caller still has to write, in
    its own transaction and one INSERT with its own entry. A source that logs each read itself (the
    default, one key at a time) leaves ``reads`` empty."""

    records: dict[str, Any] = field(default_factory=dict)
    reads: list[dict[str, Any]] = field(default_factory=list)


class ResourceSource(ABC):
    """What the exchange needs of a resource's source; every read is logged by the source's gate."""

    key_name: ClassVar[str] = ""  # the key of a query, as the methods list names it
    verify_key_name: ClassVar[str] = ""  # the key of a verify when it differs (owner_of: the person)
    assertions: ClassVar[Mapping[str, Assertion]] = {}

    @abstractmethod
    def read(self, *, key: str, items: Sequence[str], reader: Reader) -> dict[str, Any]:
        """The record's items under ``key`` (values as stored), logged; NotFound when there is none."""

    def needed_items(self, assertions: Mapping[str, object]) -> tuple[str, ...]:
        """The items the assertions rely on; unknown assertions or values of the wrong type are refused."""
        unknown = sorted(set(assertions) - set(self.assertions))
        if not assertions or unknown:
            raise InvalidInput(
                "不支持的核验项",
                code="unknown_assertion",
                assertions=unknown,
                supported=sorted(self.assertions),
            )
        wrong = sorted(
            name for name, wanted in assertions.items() if not self.assertions[name].accepts(wanted)
        )
        if wrong:
            raise InvalidInput(
                "核验值的类型不正确",
                code="invalid_assertion_value",
                assertions=wrong,
                expected={name: self.assertions[name].expected() for name in wrong},
            )
        return tuple(sorted({item for name in assertions for item in self.assertions[name].items}))

    def verify(self, *, key: str, assertions: Mapping[str, Any], reader: Reader) -> dict[str, bool]:
        """True or false per assertion, judged on one record (read and logged once), never returned."""
        record = self.verification_record(key=key, items=self.needed_items(assertions), reader=reader)
        return {
            name: bool(self.assertions[name].judge(record, wanted))
            for name, wanted in sorted(assertions.items())
        }

    def verification_record(self, *, key: str, items: Sequence[str], reader: Reader) -> Mapping[str, Any]:
        """What the assertions are judged on: by default the record read under the key."""
        return self.read(key=key, items=items, reader=reader)

    # Several keys at once. The default reads them one by one (each read logged by the source itself);
    # a source that can read all keys in one query overrides these and hands its entries back instead.

    def read_many(self, *, keys: Sequence[str], items: Sequence[str], reader: Reader) -> Batch:
        """Each key's record (the items asked), or the error refusing that key alone."""
        batch = Batch()
        for key in keys:
            try:
                batch.records[key] = self.read(key=key, items=items, reader=reader)
            except DomainError as error:
                batch.records[key] = error
        return batch

    def verify_many(self, *, keys: Sequence[str], assertions: Mapping[str, Any], reader: Reader) -> Batch:
        """Each key's true or false per assertion, or the error refusing that key alone."""
        batch = Batch()
        for key in keys:
            try:
                batch.records[key] = self.verify(key=key, assertions=assertions, reader=reader)
            except DomainError as error:
                batch.records[key] = error
        return batch


resource_sources: Registry[ResourceSource] = Registry(
    "exchange-resource-sources", modules=("yiwang.exchange.selectors.register_sources",)
)


def source_for(source_id: str) -> ResourceSource:
    """The plugin that serves a resource's source; a resource without one cannot be called online."""
    try:
        return resource_sources.get(source_id)
    except ImproperlyConfigured:
        raise NotFound("该资源暂不支持在线查询", code="resource_not_queryable") from None
