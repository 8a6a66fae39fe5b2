"""Guide completeness: which guide elements an implementation carries, scored in bulk."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiwang.catalog.completeness import recompute_completeness, update_completeness
from yiwang.catalog.constants import GUIDE_ELEMENTS
from yiwang.catalog.models import Implementation

from .factories import FeeFactory, ImplementationFactory, ProcessStepFactory

# Recomputing 1,200 implementations takes 11–15 statements (batched); one a row would be 1,200+.
QUERY_BOUND = 30

pytestmark = pytest.mark.django_db


def test_complete_guide_scores_100_with_nothing_missing():
    # given
    implementation = ImplementationFactory(complete=True)
    # when
    update_completeness(implementation=implementation)
    # then
    implementation.refresh_from_db()
    assert (implementation.completeness, implementation.missing_elements) == (100, [])


def test_empty_guide_lists_every_missing_element_in_standard_order():
    # given: no fee information at all (not free, no fee rows)
    implementation = ImplementationFactory(is_free=False)
    # when
    update_completeness(implementation=implementation)
    # then: everything is missing except consistency (nothing there contradicts anything)
    assert implementation.completeness == round(100 / len(GUIDE_ELEMENTS))
    assert implementation.missing_elements == [key for key in GUIDE_ELEMENTS if key != "consistency"]


@pytest.mark.parametrize(
    ("change", "element"),
    [
        ({"item__legal_basis": ""}, "legal_basis"),
        ({"promised_limit_days": None}, "time_limits"),
        ({"phone": "  "}, "phone"),
        ({"visits": None}, "visits"),
        ({"result_name": ""}, "result"),
    ],
)
def test_each_missing_field_is_reported(change, element):
    # given
    implementation = ImplementationFactory(complete=True, **change)
    # when
    update_completeness(implementation=implementation)
    # then
    assert implementation.missing_elements == [element]
    assert implementation.completeness == round(100 * 14 / 15)


def test_legal_basis_may_come_from_implementation_basis_and_process_from_steps():
    # given
    implementation = ImplementationFactory(
        complete=True,
        item__legal_basis="",
        item__implementation_basis="《四川省某条例》",
        process_description="",
    )
    # when
    update_completeness(implementation=implementation)
    # then: steps exist, so the process is described
    assert implementation.missing_elements == []
    implementation.steps.all().delete()
    assert "process" in update_completeness(implementation=implementation).missing_elements


def test_fees_need_a_basis_unless_free():
    # given
    charged = ImplementationFactory(complete=True, is_free=False)
    FeeFactory(implementation=charged, basis="")
    # when / then: a fee without basis is not enough
    assert update_completeness(implementation=charged).missing_elements == ["fees"]
    FeeFactory(implementation=charged)
    assert update_completeness(implementation=charged).missing_elements == []


def test_recompute_in_bulk_counts_changes_in_a_bounded_number_of_queries():
    # given: 1,200 implementations with nothing but fees known, one with a step
    ImplementationFactory.create_batch(3, complete=True)
    item = ImplementationFactory().item
    department = ImplementationFactory().department
    Implementation.objects.bulk_create(
        Implementation(
            code=f"BULK-{n}", item=item, department=department, region_id="511602000000", name="批量"
        )
        for n in range(1200)
    )
    ProcessStepFactory(implementation=Implementation.objects.get(code="BULK-7"))
    # when (in bulk: the statements do not grow with the 1,200 rows; its speed is bench/'s business)
    with CaptureQueriesContext(connection) as queries:
        changed = recompute_completeness()
    # then
    assert changed == Implementation.objects.count()
    assert len(queries) <= QUERY_BOUND, [q["sql"][:120] for q in queries]
    assert Implementation.objects.get(code="BULK-7").completeness == round(100 * 3 / 15)
    assert "process" not in Implementation.objects.get(code="BULK-7").missing_elements
    # and a second run changes nothing
    assert recompute_completeness() == 0
    assert recompute_completeness(implementation_ids=[]) == 0
