"""The base registers as exchange sources: what a query reads and how each verify assertion is judged.

Population and legal persons are read through the registers' gate (``registers.selectors``). The other
four registers have no gate of their own yet, so their source is it: one query for the record, and each
read (found or not) logged in the same transaction as the gate logs it (``registers.<register>_read``,
the data subject's keyed hash, the fields, the consuming system and department, the case), so the
citizen's data tracker shows it. Only the platform's exchange calls these, after the grant check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiwang.audit.constants import GroundKind, Outcome
from yiwang.audit.services import record_read
from yiwang.core.errors import NotFound
from yiwang.registers.constants import CreditRecordKind, EnrolmentStatus, InsuranceType, RegisterCode
from yiwang.registers.models import CreditRecord, HousingFundAccount, InsuranceEnrolment, RealEstate
from yiwang.registers.selectors import (
    access_legal_person_by_credit_code,
    access_person_by_id_number,
    read_action,
)

from .sources import Assertion, Reader, ResourceSource, resource_sources


def _gate_facts(reader: Reader, items: Sequence[str]) -> dict[str, Any]:
    return {
        "actor": None,
        "purpose": reader.purpose,
        "fields": items,
        "system": reader.system,
        "acting_for": reader.acting_for,
        "ground_kind": GroundKind.CASE,
        "ground_ref": reader.case_number,
    }


def _age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _text_is(item: str) -> Assertion:
    return Assertion((item,), (str,), lambda record, wanted: record[item] == wanted.strip())


@resource_sources.register(RegisterCode.POPULATION.value)
class PopulationSource(ResourceSource):
    key_name = "id_number"
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

    def read(self, *, key: str, items: Sequence[str], reader: Reader) -> dict[str, Any]:
        return access_person_by_id_number(id_number=key, **_gate_facts(reader, items))


@resource_sources.register(RegisterCode.LEGAL_PERSON.value)
class LegalPersonSource(ResourceSource):
    key_name = "credit_code"
    assertions = {
        "name": _text_is("name"),
        "active": Assertion(
            ("status",), (bool,), lambda record, wanted: (record["status"] == "active") == wanted
        ),
        "representative": _text_is("legal_representative_name"),
    }

    def read(self, *, key: str, items: Sequence[str], reader: Reader) -> dict[str, Any]:
        return access_legal_person_by_credit_code(credit_code=key, **_gate_facts(reader, items))


# The registers without a gate of their own -----------------------------------------------------------


def _log_read(
    register: str,
    reader: Reader,
    *,
    subjects: Iterable[str],
    fields: Sequence[str],
    object_id: str,
    found: bool,
) -> None:
    """One entry per data subject, as the registers' gate writes it (a missing record: refused, not_found)."""
    for subject in subjects:
        record_read(
            action=read_action(register),
            subject=subject,
            fields=fields,
            purpose=reader.purpose[:200],
            outcome=Outcome.ALLOWED if found else Outcome.REFUSED,
            reason="" if found else "not_found",
            system=reader.system,
            on_behalf_of=reader.acting_for,
            object_type=f"registers.{register}",
            object_id=object_id,
            department=reader.provider,
            ground_kind=GroundKind.CASE,
            ground_ref=reader.case_number[:100],
        )


def _only(record: Mapping[str, Any], items: Sequence[str]) -> dict[str, Any]:
    return {name: record[name] for name in items}


@resource_sources.register(RegisterCode.REAL_ESTATE.value)
class RealEstateSource(ResourceSource):
    """Queried by certificate or unit number; ``owner_of`` is verified with the person's ID number as key."""

    key_name = "certificate_number"
    verify_key_name = "owner_id_number"
    assertions = {
        "owner_of": Assertion(
            ("certificate_number", "owner_id_numbers"),
            (str,),
            lambda record, wanted: wanted.strip().upper() in record["owned"],
            "该身份号码为该不动产权证书号（或单元号）的权利人",
        ),
    }

    def read(self, *, key: str, items: Sequence[str], reader: Reader) -> dict[str, Any]:
        with transaction.atomic():
            estate = (
                RealEstate.objects.filter(Q(certificate_number=key) | Q(unit_number=key))
                .prefetch_related("owners")
                .first()
            )
            owners = sorted(estate.owners.all(), key=lambda owner: owner.pk) if estate else []
            subjects = [owner.owner_id_number for owner in owners] or [key]
            _log_read(
                RegisterCode.REAL_ESTATE,
                reader,
                subjects=subjects,
                fields=items,
                object_id=str(estate.pk) if estate else "",
                found=estate is not None,
            )
        if estate is None:
            raise NotFound("不动产登记中未找到该记录", code="real_estate_not_found")
        record = {
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
        return _only(record, items)

    def verification_record(self, *, key: str, items: Sequence[str], reader: Reader) -> Mapping[str, Any]:
        """The certificate and unit numbers the person owns (a person owning nothing: none)."""
        with transaction.atomic():
            owned = list(
                RealEstate.objects.filter(owners__owner_id_number=key).values_list(
                    "pk", "certificate_number", "unit_number"
                )
            )
            _log_read(
                RegisterCode.REAL_ESTATE,
                reader,
                subjects=[key],
                fields=items,
                object_id=",".join(str(pk) for pk, _, _ in owned)[:64],
                found=True,  # owning nothing is an answer, not a missing record
            )
        return {"owned": {number.upper() for _, *numbers in owned for number in numbers}}


def _scheme_assertion(item: str, description: str) -> Assertion:
    """``true``: in some scheme; a scheme code (pension, medical, …): in that one; ``false``: in none."""

    def judge(record: Mapping[str, Any], wanted: bool | str) -> bool:
        return (bool(record[item]) == wanted) if isinstance(wanted, bool) else wanted in record[item]

    return Assertion((item,), (bool, str), judge, description, frozenset(InsuranceType.values))


@resource_sources.register(RegisterCode.SOCIAL_INSURANCE.value)
class SocialInsuranceSource(ResourceSource):
    key_name = "id_number"
    assertions = {
        "insured": _scheme_assertion("schemes", "已参保（未终止）"),
        "insurance_active": _scheme_assertion("contributing_schemes", "正常缴费"),
    }

    def _enrolments(self, key: str, items: Sequence[str], reader: Reader) -> list[InsuranceEnrolment]:
        with transaction.atomic():
            rows = list(InsuranceEnrolment.objects.filter(id_number=key).order_by("started_on", "pk"))
            _log_read(
                RegisterCode.SOCIAL_INSURANCE,
                reader,
                subjects=[key],
                fields=items,
                object_id=",".join(str(row.pk) for row in rows)[:64],
                found=bool(rows),
            )
        return rows

    def read(self, *, key: str, items: Sequence[str], reader: Reader) -> dict[str, Any]:
        rows = self._enrolments(key, items, reader)
        if not rows:
            raise NotFound("社会保险中未找到该参保记录", code="insurance_not_found")
        return _only(self._record(rows), items)

    def verification_record(self, *, key: str, items: Sequence[str], reader: Reader) -> Mapping[str, Any]:
        rows = self._enrolments(key, items, reader)
        return self._record(rows) if rows else {"schemes": [], "contributing_schemes": []}

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
class HousingFundSource(ResourceSource):
    key_name = "id_number"
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

    def _account(self, key: str, items: Sequence[str], reader: Reader) -> dict[str, Any] | None:
        with transaction.atomic():
            # a person with several accounts: the one paid into, else the latest opened
            account = (
                HousingFundAccount.objects.filter(id_number=key)
                .order_by("-is_active", "-opened_on", "-pk")
                .values(*self._COLUMNS)
                .first()
            )
            _log_read(
                RegisterCode.HOUSING_FUND,
                reader,
                subjects=[key],
                fields=items,
                object_id=str(account["pk"]) if account else "",
                found=account is not None,
            )
        return account

    def read(self, *, key: str, items: Sequence[str], reader: Reader) -> dict[str, Any]:
        account = self._account(key, items, reader)
        if account is None:
            raise NotFound("住房公积金中未找到该账户", code="housing_fund_not_found")
        return _only(account, items)

    def verification_record(self, *, key: str, items: Sequence[str], reader: Reader) -> Mapping[str, Any]:
        return self._account(key, items, reader) or {"is_active": False}


_DISHONEST = {CreditRecordKind.DISHONEST_DEBTOR, CreditRecordKind.SERIOUS_DISHONESTY}


@resource_sources.register(RegisterCode.CREDIT.value)
class CreditSource(ResourceSource):
    """The subject's records in force (within their publicity period); no record is an answer, not a 404."""

    key_name = "subject_code"
    assertions = {
        "has_dishonest_record": Assertion(
            ("has_dishonest_record",),
            (bool,),
            lambda record, wanted: record["has_dishonest_record"] == wanted,
            "列入失信被执行人或严重失信主体名单（公示期内）",
        ),
    }

    def read(self, *, key: str, items: Sequence[str], reader: Reader) -> dict[str, Any]:
        today = timezone.localdate()
        with transaction.atomic():
            rows = list(
                CreditRecord.objects.filter(subject_code=key)
                .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
                .order_by("-decided_on", "-pk")
            )
            _log_read(
                RegisterCode.CREDIT,
                reader,
                subjects=[key],
                fields=items,
                object_id=",".join(str(row.pk) for row in rows)[:64],
                found=True,
            )
        record = {
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
        return _only(record, items)
