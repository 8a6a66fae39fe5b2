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
from yiwang.registers.constants import EnrolmentStatus, RegisterCode
from yiwang.registers.models import InsuranceEnrolment, Register
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
    enrolment(dead.id_number, status=EnrolmentStatus.ENDED, kind="medical")
    # when the population and the social-insurance resources are checked
    population = run_quality_checks(resource=world.population, trigger="test")
    insurance = run_quality_checks(resource=world.social_insurance, trigger="test")
    # then each finding is a work item of the department holding the flagged record
    (missing,) = Finding.objects.filter(run=population)
    assert missing.rule_id == "population.required_items" and missing.department == world.police
    (conflict,) = Finding.objects.filter(run=insurance)
    assert conflict.rule_id == "social_insurance.deceased_still_contributing"
    assert conflict.department == world.insurance and conflict.record_id == insured.pk
    # and each resource is scored: 100 × (1 − failing / checked)
    assert (population.records_checked, population.failing_records, population.score) == (
        4,
        1,
        Decimal("75.00"),
    )
    assert (insurance.records_checked, insurance.failing_records, insurance.score) == (2, 1, Decimal("50.00"))
    # each department is alerted once, without personal data; each run is in the audit log
    notices = Notice.objects.filter(title__contains="数据质量检查")
    assert sorted(n.department.name for n in notices) == sorted([world.police.name, world.insurance.name])
    assert not any(dead.id_number in n.title + n.body for n in notices)
    assert AuditEntry.objects.filter(action="quality.run_finished", object_id=str(population.pk)).exists()


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
    run_quality_checks(resource=world.social_insurance)
    finding = Finding.objects.get()
    for outsider in (world.police_admin, world.civil_admin, world.platform_admin):
        with pytest.raises(NotFound):
            mark_finding_fixed(actor=outsider, finding_id=finding.pk)
        with pytest.raises(NotFound):
            access_finding_by_id(actor=outsider, finding_id=finding.pk)
        assert not list_findings_for(actor=outsider).exists()
    # the holder sees the key in full where it must (the finding's page), and that read is logged
    assert access_finding_by_id(actor=world.insurance_admin, finding_id=finding.pk)
    assert finding_record_key(actor=world.insurance_admin, finding=finding) == dead.id_number
    assert AuditEntry.objects.filter(action="quality.finding_record_read").count() == 1
    # once the enrolment ends, the holder's "fixed" passes the re-check
    InsuranceEnrolment.objects.filter(pk=finding.record_id).update(status=EnrolmentStatus.ENDED)
    assert (
        mark_finding_fixed(actor=world.insurance_admin, finding_id=finding.pk).status == FindingStatus.FIXED
    )


def test_a_resource_provider_that_does_not_hold_the_record_sees_the_key_masked(world):
    # given a resource published by the police but a register now held by the civil affairs bureau
    Register.objects.filter(code=RegisterCode.POPULATION).update(department=world.civil)
    person = PersonFactory(ethnicity="")
    run_quality_checks(resource=world.population)
    finding = Finding.objects.get()
    assert finding.department == world.civil
    # the provider sees the finding with the key masked, the holder in full
    masked = finding_record_key(actor=world.police_admin, finding=finding)
    assert masked != person.id_number and masked.endswith(person.id_number[-4:]) and "*" in masked
    assert finding_record_key(actor=world.civil_admin, finding=finding) == person.id_number
    with pytest.raises(NotFound):
        mark_finding_fixed(actor=world.police_admin, finding_id=finding.pk)


def test_run_all_checks_each_register_resource_in_its_own_run(world):
    runs = run_all_quality_checks(trigger="test")
    assert {run.resource for run in runs} == {
        world.population,
        world.legal_person,
        world.social_insurance,
        world.housing_fund,
    }
    assert QualityRun.objects.count() == 4
    assert run_all_quality_checks(codes=[world.legal_person.code])[0].resource == world.legal_person
