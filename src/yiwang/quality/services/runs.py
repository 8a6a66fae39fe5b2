"""Quality runs: every enabled rule of a resource over its records, findings returned to the source.

Score of a run (per resource, 0–100, two decimals):

    score = 100 × (1 − failing_records / records_checked)

``records_checked`` is the number of records in the resource's register; ``failing_records`` the number
of distinct records (of any register the rules flag, so a cross-register conflict counts too) with at
least one violation in this run, findings explained as false positives left out. An empty register
scores 100. The score is never below 0.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.core.workdays import load_calendar
from yiwang.exchange.models import Resource
from yiwang.notifications.services.notices import raise_notice
from yiwang.regions.models import Department
from yiwang.registers.models import Register

from ..constants import FINDING_WORKING_DAYS, FindingStatus
from ..models import Finding, QualityRun, RuleSetting
from ..rules.base import QualityRule, Violation, register_models, rules_for

RUN_FINISHED = "quality.run_finished"
BATCH = 1000

FindingKey = tuple[str, str, int, str]  # rule id, register, record id, item


def score_of(*, records_checked: int, failing_records: int) -> Decimal:
    """The documented formula (module docstring), rounded half up to two decimals."""
    if records_checked <= 0:
        return Decimal("100.00")
    share = max(Decimal(0), 1 - Decimal(failing_records) / Decimal(records_checked))
    return (share * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class _Plan:
    rule: QualityRule
    parameters: dict
    due_on: dt.date
    department: Department


def _plans(resource: Resource, today: dt.date) -> list[_Plan]:
    settings = {row.rule_id: row for row in RuleSetting.objects.filter(resource=resource)}
    holders = {
        register.code: register.department
        for register in Register.objects.select_related("department")
        if register.department is not None
    }
    calendar = load_calendar()
    plans = []
    for rule in rules_for(resource.source):
        setting = settings.get(rule.id)
        if setting is not None and not setting.is_enabled:
            continue
        days = setting.deadline_working_days if setting and setting.deadline_working_days else None
        plans.append(
            _Plan(
                rule=rule,
                parameters={**rule.default_parameters, **(setting.parameters if setting else {})},
                due_on=calendar.add_working_days(today, days or FINDING_WORKING_DAYS),
                # The department holding the flagged records fixes them (返回源头); else the provider.
                department=holders.get(rule.flagged_register, resource.provider),
            )
        )
    return plans


@dataclass
class _Tally:
    violations: int = 0
    failing: set[tuple[str, int]] = field(default_factory=set)
    seen_open: set[int] = field(default_factory=set)
    created_keys: set[FindingKey] = field(default_factory=set)
    new_by_department: Counter[Department] = field(default_factory=Counter)


def _finding(run: QualityRun, plan: _Plan, violation: Violation, now: dt.datetime) -> Finding:
    return Finding(
        resource=run.resource,
        run=run,
        last_run=run,
        rule_id=plan.rule.id,
        kind=plan.rule.kind,
        register=plan.rule.flagged_register,
        record_id=violation.record_id,
        record_key=violation.record_key[:40],
        item=violation.item,
        message=violation.message[:300],
        department=plan.department,
        status=FindingStatus.OPEN,
        found_at=now,
        due_on=plan.due_on,
    )


def _known(rule_ids: list[str], status: str) -> dict[FindingKey, int]:
    rows = Finding.objects.filter(rule_id__in=rule_ids, status=status).values_list(
        "pk", "rule_id", "register", "record_id", "item"
    )
    return {
        (rule_id, register, record_id, item): pk for pk, rule_id, register, record_id, item in rows.iterator()
    }


def _apply(run: QualityRun, plans: list[_Plan], tally: _Tally) -> None:
    """Stream every rule's violations: new ones become findings (in batches), open ones are seen again."""
    rule_ids = [plan.rule.id for plan in plans]
    open_findings = _known(rule_ids, FindingStatus.OPEN)
    dismissed = set(_known(rule_ids, FindingStatus.FALSE_POSITIVE))
    pending: list[Finding] = []
    for plan in plans:
        for violation in plan.rule.check(parameters=plan.parameters):
            key = (plan.rule.id, plan.rule.flagged_register, violation.record_id, violation.item)
            if key in dismissed:
                continue
            tally.violations += 1
            tally.failing.add((key[1], key[2]))
            if key in open_findings:
                tally.seen_open.add(open_findings[key])
            elif key not in tally.created_keys:
                tally.created_keys.add(key)
                tally.new_by_department[plan.department] += 1
                pending.append(_finding(run, plan, violation, run.started_at))
                if len(pending) >= BATCH:
                    Finding.objects.bulk_create(pending)
                    pending.clear()
    Finding.objects.bulk_create(pending)


def _chunks(values: Iterable[int], size: int = BATCH) -> Iterable[list[int]]:
    chunk: list[int] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _close_fixed(run: QualityRun, rule_ids: list[str], seen: set[int]) -> int:
    """Open findings of these rules that the run no longer sees were fixed at the source: close them."""
    stale = Finding.objects.filter(resource=run.resource, rule_id__in=rule_ids, status=FindingStatus.OPEN)
    stale = stale.exclude(run=run)
    fixed = [pk for pk in stale.values_list("pk", flat=True).iterator() if pk not in seen]
    for chunk in _chunks(fixed):
        # Only still open: one the holder worked meanwhile keeps the holder's answer.
        Finding.objects.filter(pk__in=chunk, status=FindingStatus.OPEN).update(
            status=FindingStatus.FIXED,
            resolved_at=run.finished_at,
            explanation="复核通过（质量检查未再发现）",
        )
    for chunk in _chunks(seen):
        Finding.objects.filter(pk__in=chunk).update(last_run=run)
    return len(fixed)


def _alert(resource: Resource, new_by_department: Counter) -> None:
    for department, count in new_by_department.items():
        raise_notice(
            department=department,
            title=f"数据质量检查发现 {count} 个新问题：{resource.name}",
            body="请在“数据质量”页面查看问题清单，在整改期限内更正源头数据或说明误报。",
        )


@transaction.atomic
def run_quality_checks(*, resource: Resource, trigger: str = "manual") -> QualityRun:
    """Run the resource's enabled rules in one transaction; record the run, its findings and its score."""
    # One run of a resource at a time: a second waits here instead of racing for the same open findings.
    Resource.objects.select_for_update().filter(pk=resource.pk).first()
    now = timezone.now()
    plans = _plans(resource, timezone.localdate(now))
    run = QualityRun.objects.create(
        resource=resource,
        trigger=trigger[:20],
        rule_ids=[plan.rule.id for plan in plans],
        started_at=now,
        finished_at=now,
        score=Decimal("100.00"),
    )
    tally = _Tally()
    _apply(run, plans, tally)
    run.finished_at = timezone.now()
    run.findings_fixed = _close_fixed(run, run.rule_ids, tally.seen_open)
    model = register_models().get(resource.source)
    run.records_checked = model.objects.count() if model else 0
    run.failing_records = len(tally.failing)
    run.violations = tally.violations
    run.findings_new = len(tally.created_keys)
    run.score = score_of(records_checked=run.records_checked, failing_records=run.failing_records)
    run.save()
    _alert(resource, tally.new_by_department)
    record_event(
        action=RUN_FINISHED,
        target=run,
        department=resource.provider,
        reason=trigger[:60],
        details={
            "records_checked": run.records_checked,
            "violations": run.violations,
            "new": run.findings_new,
            "fixed": run.findings_fixed,
            "score": str(run.score),
        },
    )
    return run


def run_all_quality_checks(
    *, trigger: str = "schedule", codes: Iterable[str] | None = None
) -> list[QualityRun]:
    """One run (one transaction) per resource with quality rules, or per resource code given."""
    resources = Resource.objects.exclude(source="").select_related("provider").order_by("code")
    if codes is not None:
        resources = resources.filter(code__in=list(codes))
    return [
        run_quality_checks(resource=resource, trigger=trigger)
        for resource in resources
        if rules_for(resource.source)
    ]
