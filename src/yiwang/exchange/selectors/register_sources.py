"""The base registers as exchange sources: what a query reads and how each verify assertion is judged.

Every register is read here for the exchange, all keys of a call with one ``IN`` query (a single call is
a batch of one). The population and legal-person registers are read through their own gate,
``registers.selectors.read_many_for_system``, which decides each record with ``registers.policy`` as any
other read is decided. The four registers without a gate of their own are read here. Each read (found or
not) is handed back as an entry for ``audit.services.record_reads``: the exchange writes them with its own
entry in one INSERT, in the call's transaction, so the citizen's data tracker shows each one. Only the
platform's exchange calls these, after the grant check.
"""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiwang.audit.constants import GroundKind, Outcome
from yiwang.audit.services import record_reads
from yiwang.core.errors import DomainError, NotFound
from yiwang.registers.constants import (
    CreditRecordKind,
    EnrolmentStatus,
    InsuranceType,
    RegisterCode,
)
from yiwang.registers.models import (
    CreditRecord,
    HousingFundAccount,
    InsuranceEnrolment,
    RealEstate,
)
from yiwang.registers.selectors import read_action, read_many_for_system

from .sources import Assertion, Batch, Reader, ResourceSource, resource_sources

Records = dict[str, Mapping[str, Any] | None]  # per key the full record; None: no record under the key


def _age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _text_is(item: str) -> Assertion:
    return Assertion((item,), (str,), lambda record, wanted: record[item] == wanted.strip())


def _entry(
    register: str,
    reader: Reader,
    *,
    subject: str,
    fields: Sequence[str],
    object_id: str,
    found: bool,
    department: Any,
) -> dict[str, Any]:
    """One read entry as the registers' gate writes it (a missing record: refused, not_found)."""
    return {
        "action": read_action(register),
        "subject": subject,
        "fields": fields,
        "purpose": reader.purpose[:200],
        "outcome": Outcome.ALLOWED if found else Outcome.REFUSED,
        "reason": "" if found else "not_found",
        "system": reader.system,
        "on_behalf_of": reader.acting_for,
        "actor_department": reader.consumer,
        "object_type": f"registers.{register}",
        "object_id": object_id,
        "department": department,
        "ground_kind": GroundKind.CASE,
        "ground_ref": reader.case_number[:100],
    }


def _only(record: Mapping[str, Any], items: Sequence[str]) -> dict[str, Any]:
    return {name: record[name] for name in items}


class RegisterSource(ResourceSource):
    """A register read for the exchange: ``records`` reads all keys with one query and names the reads."""

    register: ClassVar[str]
    not_found: ClassVar[tuple[str, str]]  # the message and code of a key without a record

    @abstractmethod
    def records(
        self, keys: Sequence[str], items: Sequence[str], reader: Reader, *, verifying: bool
    ) -> tuple[Records, list[dict[str, Any]]]:
        """Per key the whole record (None: none), and the read entries to write (one per data subject)."""

    def missing(self, *, verifying: bool) -> Mapping[str, Any] | None:
        """What a key without a record is judged on (None: it is not found)."""
        return None

    def _missing_error(self) -> NotFound:
        message, code = self.not_found
        return NotFound(message, code=code)

    def read_many(self, *, keys: Sequence[str], items: Sequence[str], reader: Reader) -> Batch:
        records, reads = self.records(keys, items, reader, verifying=False)
        batch = Batch(reads=reads)
        for key in keys:
            record = records.get(key) or self.missing(verifying=False)
            batch.records[key] = self._missing_error() if record is None else _only(record, items)
        return batch

    def verify_many(self, *, keys: Sequence[str], assertions: Mapping[str, Any], reader: Reader) -> Batch:
        items = self.needed_items(assertions)
        records, reads = self.records(keys, items, reader, verifying=True)
        batch = Batch(reads=reads)
        for key in keys:
            record = records.get(key) or self.missing(verifying=True)
            batch.records[key] = (
                self._missing_error()
                if record is None
                else {
                    name: bool(self.assertions[name].judge(record, wanted))
                    for name, wanted in sorted(assertions.items())
                }
            )
        return batch

    # One key outside a batch (the exchange itself always goes through the batch methods).

    @staticmethod
    def _one(batch: Batch, key: str) -> Any:
        with transaction.atomic():
            record_reads(batch.reads)
        answer = batch.records[key]
        if isinstance(answer, DomainError):
            raise answer
        return answer

    def read(self, *, key: str, items: Sequence[str], reader: Reader) -> dict[str, Any]:
        return self._one(self.read_many(keys=[key], items=items, reader=reader), key)

    def verify(self, *, key: str, assertions: Mapping[str, Any], reader: Reader) -> dict[str, bool]:
        return self._one(self.verify_many(keys=[key], assertions=assertions, reader=reader), key)


# The registers with a gate: read as the gate reads them for a platform system ---------------------------


class _GatedRegisterSource(RegisterSource):
    """A register with a gate of its own: read through ``registers.selectors.read_many_for_system``,
    which decides each record as every other read of that register is decided."""

    def records(
        self, keys: Sequence[str], items: Sequence[str], reader: Reader, *, verifying: bool
    ) -> tuple[Records, list[dict[str, Any]]]:
        records, reads = read_many_for_system(
            register=self.register,
            keys=keys,
            fields=items,
            system=reader.system,
            purpose=reader.purpose,
            acting_for=reader.acting_for,
            actor_department=reader.consumer,
            ground_kind=GroundKind.CASE,
            ground_ref=reader.case_number,
        )
        return dict(records), reads


@resource_sources.register(RegisterCode.POPULATION.value)
class PopulationSource(_GatedRegisterSource):
    key_name = "id_number"
    register = RegisterCode.POPULATION
    not_found = ("人口库中未找到该记录", "person_not_found")
    assertions = {
        "alive": Assertion(
            ("is_deceased",), (bool,), lambda record, wanted: (not record["is_deceased"]) == wanted
        ),
        "age_over": Assertion(
            ("birth_date",),
            (int,),
            lambda record, wanted: _age_on(record["birth_date"], timezone.localdate()) >= wanted,
        ),
        "name": _text_is("name"),
    }


@resource_sources.register(RegisterCode.LEGAL_PERSON.value)
class LegalPersonSource(_GatedRegisterSource):
    key_name = "credit_code"
    register = RegisterCode.LEGAL_PERSON
    not_found = ("法人库中未找到该记录", "legal_person_not_found")
    assertions = {
        "name": _text_is("name"),
        "active": Assertion(
            ("status",), (bool,), lambda record, wanted: (record["status"] == "active") == wanted
        ),
        "representative": _text_is("legal_representative_name"),
    }


# The registers without a gate of their own -----------------------------------------------------------


def _pks(rows: Iterable[Any]) -> str:
    return ",".join(str(row.pk) for row in rows)[:64]


@resource_sources.register(RegisterCode.REAL_ESTATE.value)
class RealEstateSource(RegisterSource):
    """Queried by certificate or unit number; ``owner_of`` is verified with the person's ID number as key."""

    key_name = "certificate_number"
    verify_key_name = "owner_id_number"
    register = RegisterCode.REAL_ESTATE
    not_found = ("不动产登记中未找到该记录", "real_estate_not_found")
    assertions = {
        "owner_of": Assertion(
            ("certificate_number", "owner_id_numbers"),
            (str,),
            lambda record, wanted: wanted.strip().upper() in record["owned"],
            "该身份号码为该不动产权证书号（或单元号）的权利人",
        ),
    }

    def records(
        self, keys: Sequence[str], items: Sequence[str], reader: Reader, *, verifying: bool
    ) -> tuple[Records, list[dict[str, Any]]]:
        return (self._owned if verifying else self._estates)(keys, items, reader)

    def _estates(
        self, keys: Sequence[str], items: Sequence[str], reader: Reader
    ) -> tuple[Records, list[dict[str, Any]]]:
        estates = (
            RealEstate.objects.filter(Q(certificate_number__in=keys) | Q(unit_number__in=keys))
            .prefetch_related("owners")
            .order_by("pk")
        )
        by_key: dict[str, RealEstate] = {}
        for row in estates:  # the first by pk, as one key's read always took
            by_key.setdefault(row.certificate_number, row)
            by_key.setdefault(row.unit_number, row)
        records: Records = {}
        reads: list[dict[str, Any]] = []
        for key in keys:
            estate = by_key.get(key)
            owners = sorted(estate.owners.all(), key=lambda owner: owner.pk) if estate else []
            reads.extend(
                _entry(
                    self.register,
                    reader,
                    subject=subject,
                    fields=items,
                    object_id=str(estate.pk) if estate else "",
                    found=estate is not None,
                    department=reader.provider,
                )
                for subject in [owner.owner_id_number for owner in owners] or [key]
            )
            records[key] = (
                {
                    "certificate_number": estate.certificate_number,
                    "unit_number": estate.unit_number,
                    "address": estate.address,
                    "region_code": estate.region_id,
                    "area": estate.area,
                    "use": estate.use,
                    "is_mortgaged": estate.is_mortgaged,
                    "mortgagee": estate.mortgagee,
                    "registered_on": estate.registered_on,
                    "owner_names": [owner.owner_name for owner in owners],
                    "owner_id_numbers": [owner.owner_id_number for owner in owners],
                    "share": owners[0].share if owners else None,
                }
                if estate
                else None
            )
        return records, reads

    def _owned(
        self, keys: Sequence[str], items: Sequence[str], reader: Reader
    ) -> tuple[Records, list[dict[str, Any]]]:
        """The certificate and unit numbers each person owns (a person owning nothing: none)."""
        owned: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        rows = (
            RealEstate.objects.filter(owners__owner_id_number__in=keys)
            .values_list("owners__owner_id_number", "pk", "certificate_number", "unit_number")
            .order_by("pk")
        )
        for owner, *estate in rows:
            owned[owner].append(tuple(estate))  # type: ignore[arg-type]
        records: Records = {}
        reads = []
        for key in keys:
            estates = owned.get(key, [])
            records[key] = {"owned": {number.upper() for _, *numbers in estates for number in numbers}}
            reads.append(
                _entry(
                    self.register,
                    reader,
                    subject=key,
                    fields=items,
                    object_id=",".join(str(pk) for pk, _, _ in estates)[:64],
                    found=True,  # owning nothing is an answer, not a missing record
                    department=reader.provider,
                )
            )
        return records, reads


def _scheme_assertion(item: str, description: str) -> Assertion:
    """``true``: in some scheme; a scheme code (pension, medical, …): in that one; ``false``: in none."""

    def judge(record: Mapping[str, Any], wanted: bool | str) -> bool:
        return (bool(record[item]) == wanted) if isinstance(wanted, bool) else wanted in record[item]

    return Assertion((item,), (bool, str), judge, description, frozenset(InsuranceType.values))


@resource_sources.register(RegisterCode.SOCIAL_INSURANCE.value)
class SocialInsuranceSource(RegisterSource):
    key_name = "id_number"
    register = RegisterCode.SOCIAL_INSURANCE
    not_found = ("社会保险中未找到该参保记录", "insurance_not_found")
    assertions = {
        "insured": _scheme_assertion("schemes", "已参保（未终止）"),
        "insurance_active": _scheme_assertion("contributing_schemes", "正常缴费"),
    }

    def missing(self, *, verifying: bool) -> Mapping[str, Any] | None:
        return {"schemes": [], "contributing_schemes": []} if verifying else None

    def records(
        self, keys: Sequence[str], items: Sequence[str], reader: Reader, *, verifying: bool
    ) -> tuple[Records, list[dict[str, Any]]]:
        enrolments: dict[str, list[InsuranceEnrolment]] = defaultdict(list)
        for row in InsuranceEnrolment.objects.filter(id_number__in=keys).order_by("started_on", "pk"):
            enrolments[row.id_number].append(row)
        records: Records = {}
        reads = []
        for key in keys:
            rows = enrolments.get(key, [])
            records[key] = self._record(rows) if rows else None
            reads.append(
                _entry(
                    self.register,
                    reader,
                    subject=key,
                    fields=items,
                    object_id=_pks(rows),
                    found=bool(rows),
                    department=reader.provider,
                )
            )
        return records, reads

    @staticmethod
    def _record(rows: list[InsuranceEnrolment]) -> dict[str, Any]:
        contributing = [row for row in rows if row.status == EnrolmentStatus.CONTRIBUTING]
        # the employer of record: the pension scheme's, else any scheme still paid into, else the first
        main = next((row for row in contributing if row.insurance_type == InsuranceType.PENSION), None)
        main = main or (contributing[0] if contributing else rows[0])
        return {
            "id_number": main.id_number,
            "name": main.name,
            "schemes": sorted({row.insurance_type for row in rows if row.status != EnrolmentStatus.ENDED}),
            "contributing_schemes": sorted({row.insurance_type for row in contributing}),
            "employer_name": main.employer_name,
            "employer_credit_code": main.employer_credit_code,
            "region_code": main.region_id,
            "started_on": rows[0].started_on,
            "months_paid": max(row.months_paid for row in rows),
        }


@resource_sources.register(RegisterCode.HOUSING_FUND.value)
class HousingFundSource(RegisterSource):
    key_name = "id_number"
    register = RegisterCode.HOUSING_FUND
    not_found = ("住房公积金中未找到该账户", "housing_fund_not_found")
    assertions = {
        "housing_fund_active": Assertion(
            ("is_active",),
            (bool,),
            lambda record, wanted: record["is_active"] == wanted,
            "正常缴存住房公积金",
        ),
    }
    _COLUMNS = (
        "pk",
        "account_number",
        "id_number",
        "name",
        "employer_name",
        "employer_credit_code",
        "balance",
        "monthly_deposit",
        "is_active",
        "opened_on",
    )

    def missing(self, *, verifying: bool) -> Mapping[str, Any] | None:
        return {"is_active": False} if verifying else None

    def records(
        self, keys: Sequence[str], items: Sequence[str], reader: Reader, *, verifying: bool
    ) -> tuple[Records, list[dict[str, Any]]]:
        accounts: dict[str, dict[str, Any]] = {}
        # a person with several accounts: the one paid into, else the latest opened
        for account in (
            HousingFundAccount.objects.filter(id_number__in=keys)
            .order_by("-is_active", "-opened_on", "-pk")
            .values(*self._COLUMNS)
        ):
            accounts.setdefault(account["id_number"], account)
        records: Records = {}
        reads = []
        for key in keys:
            account = accounts.get(key)
            records[key] = account
            reads.append(
                _entry(
                    self.register,
                    reader,
                    subject=key,
                    fields=items,
                    object_id=str(account["pk"]) if account else "",
                    found=account is not None,
                    department=reader.provider,
                )
            )
        return records, reads


_DISHONEST = {CreditRecordKind.DISHONEST_DEBTOR, CreditRecordKind.SERIOUS_DISHONESTY}


@resource_sources.register(RegisterCode.CREDIT.value)
class CreditSource(RegisterSource):
    """The subject's records in force (within their publicity period); no record is an answer, not a 404."""

    key_name = "subject_code"
    register = RegisterCode.CREDIT
    not_found = ("信用信息中未找到该主体", "credit_not_found")  # never raised: no record is an answer
    assertions = {
        "has_dishonest_record": Assertion(
            ("has_dishonest_record",),
            (bool,),
            lambda record, wanted: record["has_dishonest_record"] == wanted,
            "列入失信被执行人或严重失信主体名单（公示期内）",
        ),
    }

    def records(
        self, keys: Sequence[str], items: Sequence[str], reader: Reader, *, verifying: bool
    ) -> tuple[Records, list[dict[str, Any]]]:
        today = timezone.localdate()
        in_force: dict[str, list[CreditRecord]] = defaultdict(list)
        for row in (
            CreditRecord.objects.filter(subject_code__in=keys)
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            .order_by("-decided_on", "-pk")
        ):
            in_force[row.subject_code].append(row)
        records: Records = {}
        reads = []
        for key in keys:
            rows = in_force.get(key, [])
            records[key] = {
                "subject_code": key,
                "subject_name": rows[0].subject_name if rows else None,
                "has_dishonest_record": any(row.kind in _DISHONEST for row in rows),
                "record_count": len(rows),
                "kinds": [row.kind for row in rows],
                "authorities": [row.authority for row in rows],
                "document_numbers": [row.document_number for row in rows],
                "reasons": [row.reason for row in rows],
                "decided_on": [row.decided_on for row in rows],
                "expires_on": [row.expires_on for row in rows],
            }
            reads.append(
                _entry(
                    self.register,
                    reader,
                    subject=key,
                    fields=items,
                    object_id=_pks(rows),
                    found=True,
                    department=reader.provider,
                )
            )
        return records, reads
