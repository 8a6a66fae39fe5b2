"""Runs: findings routed to the department holding the record, no duplicates on a re-run, fixes closed,
false positives left alone, the score as documented, notices and audit in the run's transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.core.errors import Conflict, InvalidInput, NotFound
from yiwang.notifications.models import Notice
from yiwang.quality.constants import FindingStatus
from yiwang.quality.models import Finding, QualityRun, RuleSetting
from yiwang.quality.selectors import access_finding_by_id, finding_record_key, list_findings_for
from yiwang.quality.services import (
    dismiss_finding,
    mark_finding_fixed,
    run_all_quality_checks,
    run_quality_checks,
    score_of,
)
from yiwang.registers.constants import EnrolmentStatus
from yiwang.registers.models import InsuranceEnrolment
from yiwang.registers.tests.factories import PersonFactory

from .factories import enrolment, make_quality_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_quality_world()


def test_score_formula():
    assert score_of(records_checked=0, failing_records=0) == Decimal("100.00")
    assert score_of(records_checked=3, failing_records=1) == Decimal("66.67")
    assert score_of(records_checked=2, failing_records=5) == Decimal("0.00")


def test_a_run_returns_findings_to_the_source_and_scores_the_resource(world):
    # given four people, one with an empty item, one deceased but still insured
    PersonFactory.create_batch(2)
    PersonFactory(ethnicity="")
    dead = PersonFactory(is_deceased=True)
    insured = enrolment(dead.id_number)
    # when the population resource is checked
    run = run_quality_checks(resource=world.population, trigger="test")
    # then each finding is a work item of the department holding the flagged record
    findings = {f.rule_id: f for f in Finding.objects.filter(run=run)}
    assert set(findings) == {"population.required_items", "population.deceased_with_active_insurance"}
    assert findings["population.required_items"].department == world.police
    conflict = findings["population.deceased_with_active_insurance"]
    assert conflict.department == world.insurance and conflict.record_id == insured.pk
    assert run.records_checked == 4 and run.failing_records == 2 and run.findings_new == 2
    assert run.score == Decimal("50.00")
    # each department is alerted once, without personal data; the run is in the audit log
    notices = Notice.objects.filter(title__contains="数据质量检查")
    assert {n.department for n in notices} == {world.police, world.insurance}
    assert not any(dead.id_number in n.title + n.body for n in notices)
    assert AuditEntry.objects.filter(action="quality.run_finished", object_id=str(run.pk)).exists()


def test_a_rerun_does_not_duplicate_open_findings_and_closes_fixed_ones(world):
    wrong = PersonFactory(ethnicity="")
    other = PersonFactory(household_address="")
    first = run_quality_checks(resource=world.population)
    assert Finding.objects.filter(status=FindingStatus.OPEN).count() == 2
    # the source fixes one record; the next run sees the other again and closes the fixed one
    other.household_address = "广安区已补录路1号"
    other.save()
    second = run_quality_checks(resource=world.population)
    assert second.findings_new == 0 and second.findings_fixed == 1
    still = Finding.objects.get(status=FindingStatus.OPEN)
    assert still.record_id == wrong.pk and still.run == first and still.last_run == second
    assert Finding.objects.get(record_id=other.pk).status == FindingStatus.FIXED
    assert Notice.objects.filter(title__contains="数据质量检查").count() == 1  # nothing new, no alert


def test_a_disabled_rule_does_not_run_for_that_resource(world):
    PersonFactory(ethnicity="")
    RuleSetting.objects.create(
        resource=world.population, rule_id="population.required_items", is_enabled=False
    )
    run = run_quality_checks(resource=world.population)
    assert "population.required_items" not in run.rule_ids
    assert not Finding.objects.exists()


def test_finding_deadline_skips_the_national_day_holiday(world, monkeypatch):
    # given a run on 30 September 2026 with 3 working days to fix
    RuleSetting.objects.create(
        resource=world.population, rule_id="population.required_items", deadline_working_days=3
    )
    PersonFactory(ethnicity="")
    noon = timezone.make_aware(dt.datetime(2026, 9, 30, 12))
    monkeypatch.setattr("django.utils.timezone.now", lambda: noon)
    run_quality_checks(resource=world.population)
    # then 1–7 October are skipped and the make-up Saturday counts
    assert Finding.objects.get().due_on == dt.date(2026, 10, 10)


def test_marking_fixed_is_rechecked(world):
    person = PersonFactory(ethnicity="")
    run_quality_checks(resource=world.population)
    finding = Finding.objects.get()
    # when the source says fixed but the record still fails, the finding stays open
    still = mark_finding_fixed(actor=world.police_admin, finding_id=finding.pk)
    assert still.status == FindingStatus.OPEN and still.recheck_failed_at is not None
    # after the record is corrected the re-check closes it
    person.ethnicity = "汉族"
    person.save()
    fixed = mark_finding_fixed(actor=world.police_admin, finding_id=finding.pk, note="已补录")
    assert fixed.status == FindingStatus.FIXED and fixed.resolved_by == world.police_admin
    actions = set(AuditEntry.objects.filter(object_id=str(finding.pk)).values_list("action", flat=True))
    assert {"quality.finding_recheck_failed", "quality.finding_fixed"} <= actions
    with pytest.raises(Conflict):
        mark_finding_fixed(actor=world.police_admin, finding_id=finding.pk)


def test_a_false_positive_needs_a_reason_and_is_not_found_again(world):
    PersonFactory(ethnicity="")
    run_quality_checks(resource=world.population)
    finding = Finding.objects.get()
    with pytest.raises(InvalidInput):
        dismiss_finding(actor=world.police_admin, finding_id=finding.pk, explanation="  ")
    dismiss_finding(actor=world.police_admin, finding_id=finding.pk, explanation="外籍人员，无民族信息")
    rerun = run_quality_checks(resource=world.population)
    assert rerun.findings_new == 0 and Finding.objects.count() == 1
    assert Finding.objects.get().status == FindingStatus.FALSE_POSITIVE


def test_only_the_holding_departments_administrators_work_a_finding(world):
    dead = PersonFactory(is_deceased=True)
    enrolment(dead.id_number)
    run_quality_checks(resource=world.population)
    finding = Finding.objects.get()  # held by social insurance, found on the population resource
    for outsider in (world.police_admin, world.civil_admin, world.platform_admin):
        with pytest.raises(NotFound):
            mark_finding_fixed(actor=outsider, finding_id=finding.pk)
    # the provider of the resource sees the finding, with the record's key masked
    assert access_finding_by_id(actor=world.police_admin, finding_id=finding.pk)
    masked = finding_record_key(actor=world.police_admin, finding=finding)
    assert masked != dead.id_number and masked.endswith(dead.id_number[-4:]) and "*" in masked
    # the holder sees it in full, and that read is logged
    assert finding_record_key(actor=world.insurance_admin, finding=finding) == dead.id_number
    assert AuditEntry.objects.filter(action="quality.finding_record_read").count() == 1
    # a third department sees nothing
    assert not list_findings_for(actor=world.civil_admin).exists()
    # once the enrolment ends, the holder's "fixed" passes the re-check
    InsuranceEnrolment.objects.filter(pk=finding.record_id).update(status=EnrolmentStatus.ENDED)
    assert (
        mark_finding_fixed(actor=world.insurance_admin, finding_id=finding.pk).status == FindingStatus.FIXED
    )


def test_run_all_checks_each_register_resource_in_its_own_run(world):
    runs = run_all_quality_checks(trigger="test")
    assert {run.resource for run in runs} == {world.population, world.legal_person}
    assert QualityRun.objects.count() == 2
    assert run_all_quality_checks(codes=[world.legal_person.code])[0].resource == world.legal_person
