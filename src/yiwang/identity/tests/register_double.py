"""A stand-in for the registers in identity's own tests: identity sits below the registers and asks them
through the ``identity-register-checks`` plugin, so its tests plug in this double. The real plugin, reading
the population and legal-person registers through their logged gate, is tested in the registers app."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from yiwang.core.identifiers import credit_code_check_character
from yiwang.identity.services.register_checks import LegalPersonRecord, RegisterChecks, register_checks

from .factories import synthetic_id_number

_numbers = itertools.count(5000)


@dataclass
class RegisteredPerson:
    id_number: str
    name: str


@dataclass
class RegisteredCompany:
    credit_code: str
    name: str
    legal_representative_id_number: str
    is_active: bool = True


@dataclass
class RegisterDouble:
    people: dict[str, str] = field(default_factory=dict)
    companies: dict[str, RegisteredCompany] = field(default_factory=dict)
    reads: list[tuple[str, str, int]] = field(default_factory=list)  # (register, key, requested_by pk)

    def person(self, *, name: str) -> RegisteredPerson:
        person = RegisteredPerson(id_number=synthetic_id_number(next(_numbers)), name=name)
        self.people[person.id_number] = name
        return person

    def company(
        self, *, legal_representative_id_number: str = "", is_active: bool = True
    ) -> RegisteredCompany:
        n = next(_numbers)
        body = f"91511602{n:08d}0"
        company = RegisteredCompany(
            credit_code=body + credit_code_check_character(body),
            name=f"广安区测试科技有限公司{n}",
            legal_representative_id_number=legal_representative_id_number or synthetic_id_number(n),
            is_active=is_active,
        )
        self.companies[company.credit_code] = company
        return company


DOUBLE = RegisterDouble()


@register_checks.register("test-double")
class DoubleRegisterChecks(RegisterChecks):
    def person_name_matches(self, *, requested_by, id_number, name, purpose) -> bool:
        DOUBLE.reads.append(("population", id_number, requested_by.pk))
        return DOUBLE.people.get(id_number) == (name or "").strip()

    def legal_person(self, *, requested_by, credit_code, purpose) -> LegalPersonRecord | None:
        DOUBLE.reads.append(("legal_person", credit_code, requested_by.pk))
        company = DOUBLE.companies.get(credit_code)
        if company is None:
            return None
        return LegalPersonRecord(
            name=company.name,
            legal_representative_id_number=company.legal_representative_id_number,
            is_active=company.is_active,
        )
