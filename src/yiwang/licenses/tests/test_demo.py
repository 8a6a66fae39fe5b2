"""The demo catalog uses exactly the documented codes; demo licenses match the registers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from yiwang.catalog.importers import ensure_demo_departments
from yiwang.licenses.demo import DEMO_ISSUERS, load_demo_licenses
from yiwang.licenses.models import License, LicenseType
from yiwang.licenses.selectors import verify_license_identifier
from yiwang.licenses.services import load_license_type_catalog
from yiwang.registers.models import LegalPerson, Person
from yiwang.registers.services import generate_registers

DOC = Path(__file__).resolve().parents[4] / "docs" / "license-types.md"

pytestmark = pytest.mark.django_db


def _documented_codes() -> list[str]:
    return re.findall(r"^\| ([A-Z][A-Z0-9_]+) \|", DOC.read_text("utf-8"), flags=re.M)


def test_catalog_has_exactly_the_documented_codes():
    assert load_license_type_catalog() >= 25
    codes = list(LicenseType.objects.order_by("code").values_list("code", flat=True))
    assert codes == sorted(_documented_codes())
    assert set(DEMO_ISSUERS) == set(codes)


def test_documented_names_match():
    load_license_type_catalog()
    rows = re.findall(
        r"^\| ([A-Z][A-Z0-9_]+) \| ([^|]+) \| (person|enterprise) \|", DOC.read_text("utf-8"), re.M
    )
    for code, name, holder in rows:
        license_type = LicenseType.objects.get(code=code)
        assert (license_type.name, license_type.holder_kind) == (name.strip(), holder)


@pytest.mark.slow
def test_demo_licenses_are_consistent_with_the_registers():
    # given the demo departments and a small synthetic population
    ensure_demo_departments()
    generate_registers(size="test")
    # when the demo licenses are loaded twice
    first = load_demo_licenses()
    again = load_demo_licenses()
    # then each holder is in a register, and the second run adds nothing
    assert first["ID_CARD"] == Person.objects.filter(is_deceased=False).count()
    assert first["BUSINESS_LICENSE"] == LegalPerson.objects.filter(status="active").count()
    assert sum(again.values()) == 0
    people = set(Person.objects.values_list("id_number", flat=True))
    companies = set(LegalPerson.objects.values_list("credit_code", flat=True))
    holders = set(License.objects.values_list("holder_code", flat=True))
    assert holders <= people | companies
    sample = License.objects.order_by("?").first()
    assert verify_license_identifier(identifier=sample.identifier).signature_ok
