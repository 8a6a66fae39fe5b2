"""The applications benchmarks' own logic: synthetic holders, COPY defaults, the durability check."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import applications_bench
import applications_data
import durability


@pytest.mark.django_db
def test_synthetic_holders_have_valid_distinct_id_numbers_of_the_city():
    from yiwang.core.identifiers import is_valid_resident_id

    people = applications_data._holders(random.Random(1), 300)
    numbers = [person[0] for person in people]
    assert len(set(numbers)) == 300
    assert all(is_valid_resident_id(number) for number in numbers)
    assert all(number[:6] in applications_data.CITY_COUNTIES for number in numbers)
    assert {person[4] for person in people} <= {2, 3, 4}
    assert all(person[1] and person[2] for person in people)  # surname and given name


def test_copier_fills_every_other_column_with_its_default():
    from yiwang.applications.models import Case

    copier = applications_data.Copier(Case, applications_data.CASE_COLUMNS)
    assert copier.constants["visits"] == 0
    assert copier.constants["situation"] == "{}"
    assert copier.constants["idempotency_key"] == ""
    assert copier.constants["parent_id"] is None
    assert copier.all_columns[:2] == ["id", "number"]
    assert "revision" not in copier.constants


def test_copier_refuses_a_required_column_without_a_value():
    from yiwang.applications.models import Case

    with pytest.raises(ValueError, match="needs a value"):
        applications_data.Copier(Case, ["id"])  # number, submitted_at… have no default


def test_planned_dates_count_working_days_as_calendar_days():
    import datetime as dt

    assert applications_data._calendar_due(dt.date(2026, 12, 7), 5) == dt.date(2026, 12, 14)
    assert applications_data._open_probability(400) == 0.0


@pytest.mark.django_db
def test_durability_check_reports_a_lost_acknowledgement():
    ledger = durability.Ledger()
    ledger.keys["durability-run1-0-0"] = "citizen_l4"
    ledger.acknowledged["durability-run1-0-0"] = "511602000000202612060000010"
    ledger.answers["durability-run1-0-0"] = {"511602000000202612060000010"}
    result = durability.check(ledger, "run1")
    assert not result["ok"]
    assert result["problems"]["lost_acknowledged"] == ["durability-run1-0-0"]


@pytest.mark.django_db
def test_durability_check_reports_a_key_answered_with_two_numbers():
    ledger = durability.Ledger()
    ledger.keys["durability-run2-0-0"] = "citizen_l4"
    ledger.answers["durability-run2-0-0"] = {"A", "B"}
    result = durability.check(ledger, "run2")
    assert result["problems"]["key_answered_with_two_numbers"] == ["durability-run2-0-0"]
    assert result["problems"]["key_never_acknowledged"] == ["durability-run2-0-0"]


def test_wrk_submit_script_sends_a_fresh_key_per_request():
    script = applications_bench._SUBMIT_LUA % (
        applications_bench._lua_strings(['{"a": "[x]"}']),
        applications_bench._lua_strings(["token"]),
        "bench-http-1-",
    )
    assert '[==[{"a": "[x]"}]==]' in script
    assert 'headers["Idempotency-Key"] = prefix .. tid .. "-" .. counter' in script


def test_percentile_of_samples():
    values = [float(n) for n in range(1, 101)]
    assert applications_bench._percentile(values, 0.5) == 51.0
    assert applications_bench._percentile(values, 0.99) == 99.0
    assert applications_bench._percentile([], 0.5) == 0.0
