"""The demo step 效能监察: three months of history for the demo departments, so the cards, 好差评, complaints
and dashboards have something to show on a fresh machine.

The history is synthetic and says so: its cases belong to a few "history" accounts nobody logs in with
(people of the synthetic population register), carry real case numbers of their past days (each day's
serials taken from ``CaseSerial`` like a submission) and go straight to their final state — they stand
for cases handled before the platform's demo began. Their ratings are written through the evaluation
service (so a bad one opens its rectification ticket), the complaints through the feedback service, the
cards by the sweep and the figures by the daily refresh. Idempotent: a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from yiwang.applications.constants import CaseStatus, Channel, Decision
from yiwang.applications.models import ApplicationForm, Case, CaseSerial
from yiwang.applications.services.numbers import format_case_number, hash_query_code, new_query_code
from yiwang.core.workdays import DayUnit, add_days
from yiwang.registers.models import Person

from .constants import EvaluationChannel, FeedbackKind, FeedbackSubject
from .services import cards, evaluations, feedback, stats

HISTORY_DAYS = 90
HISTORY_CASES = 480
HISTORY_KEY = "demo-history"
HISTORY_ACCOUNTS = 24
SEED = 20261206
# Levels drawn for rated history cases: mostly satisfied (≈ 90%, as provinces report), a few bad (each opens
# a rectification ticket).
LEVELS = (5,) * 10 + (4,) * 7 + (3,) + (2, 1)
COMMENTS = {
    5: "网上申请很方便，没跑腿就办好了",
    4: "办理及时，工作人员答复清楚",
    3: "整体还可以，材料说明可以再清楚一些",
    2: "补正了两次才通过，希望一次性告知清楚",
    1: "等了很久没有进展，电话也打不通",
}


def _history_accounts() -> list[Any]:
    """People of the synthetic register standing in for the applicants of earlier cases."""
    user_model = get_user_model()
    people = Person.objects.filter(is_deceased=False, birth_date__lte=dt.date(2004, 1, 1)).order_by("-id")[
        :HISTORY_ACCOUNTS
    ]
    accounts = []
    for index, person in enumerate(people):
        user, created = user_model.objects.get_or_create(
            username=f"history_{index:02d}",
            defaults={
                "surname": person.surname,
                "given_name": person.given_name,
                "id_number": person.id_number,
                "phone": person.phone,
                "assurance_level": 3,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        accounts.append(user)
    return accounts


def _serial(region_code: str, day: dt.date) -> int:
    serial, _created = CaseSerial.objects.select_for_update().get_or_create(region_code=region_code, day=day)
    serial.last += 1
    serial.save(update_fields=["last"])
    return serial.last


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(hour=rng.randint(8, 17), minute=rng.randint(0, 59)))
    return timezone.make_aware(local)


def _history_case(
    form: ApplicationForm, applicant: Any, day: dt.date, today: dt.date, rng: random.Random
) -> Case:
    implementation = form.implementation
    limit = implementation.promised_limit_days or implementation.statutory_limit_days or 10
    channel = Channel.ONLINE if rng.random() < 0.78 else Channel.WINDOW
    submitted_at = _moment(day, rng)
    accepted_on = add_days(day, rng.choice((0, 0, 1, 1, 2)), unit=DayUnit.WORKING)
    promised_due = add_days(accepted_on, limit, unit=DayUnit.WORKING)
    region_code = implementation.region_id
    case = Case(
        number=format_case_number(region_code=region_code, day=day, serial=_serial(region_code, day)),
        query_code_hash=hash_query_code(new_query_code()),
        implementation=implementation,
        form=form,
        department=implementation.department,
        region_id=region_code,
        applicant=applicant,
        applicant_kind="person",
        holder_code=applicant.id_number or "",
        holder_name=applicant.full_name,
        channel=channel,
        visits=0 if channel == Channel.ONLINE and rng.random() < 0.85 else rng.choice((1, 1, 2)),
        idempotency_key=f"{HISTORY_KEY}-{day:%Y%m%d}-{rng.randrange(10**9)}",
        data={"applicant_name": applicant.full_name},
        submitted_at=submitted_at,
        accepted_at=_moment(accepted_on, rng) if accepted_on <= today else None,
        promised_limit_days=limit,
        statutory_limit_days=implementation.statutory_limit_days or limit,
        promised_due=promised_due,
        statutory_due=add_days(
            accepted_on, implementation.statutory_limit_days or limit, unit=DayUnit.WORKING
        ),
        status=CaseStatus.ACCEPTED if accepted_on <= today else CaseStatus.SUBMITTED,
    )
    # Most cases are closed by now, a few late; the youngest are still running (the sweep cards the late).
    finish = add_days(accepted_on, max(1, round(limit * rng.uniform(0.2, 1.25))), unit=DayUnit.WORKING)
    if finish < today and rng.random() < 0.97:
        refused = rng.random() < 0.06
        case.status = CaseStatus.REFUSED if refused else CaseStatus.APPROVED
        case.decision = Decision.REFUSE if refused else Decision.APPROVE
        case.decided_at = case.closed_at = _moment(finish, rng)
        if refused:
            case.decision_reason = "申请材料与登记信息不一致，不符合办理条件"
    return case


@transaction.atomic
def _load_history(today: dt.date) -> list[Case]:
    rng = random.Random(SEED)
    forms = list(
        ApplicationForm.objects.filter(status="active", implementation__isnull=False)
        .select_related("implementation__department", "implementation__item")
        .order_by("pk")
    )
    accounts = _history_accounts()
    if not forms or not accounts:
        return []
    created = []
    for _index in range(HISTORY_CASES):
        day = today - dt.timedelta(days=rng.randint(1, HISTORY_DAYS))
        case = _history_case(rng.choice(forms), rng.choice(accounts), day, today, rng)
        case.save(force_insert=True)
        created.append(case)
    return created


def _rate_history(history: list[Case]) -> int:
    rng = random.Random(SEED + 1)
    rated = 0
    for case in history:
        if case.status not in {CaseStatus.APPROVED, CaseStatus.REFUSED} or rng.random() > 0.45:
            continue
        level = rng.choice(LEVELS)
        evaluations.evaluate(
            actor=case.applicant,
            case=case,
            level=level,
            comment=COMMENTS[level],
            channel=EvaluationChannel.WEB,
        )
        rated += 1
    return rated


def _file_feedback(history: list[Case]) -> int:
    filed = 0
    for kind, text in (
        (
            FeedbackKind.COMPLAINT,
            ("办件超过承诺时限仍未办结", "提交后一直显示办理中，打电话无人接听，请尽快处理。"),
        ),
        (FeedbackKind.CONSULTATION, ("材料可以邮寄吗", "请问这个事项的纸质材料可以邮寄提交吗？需要原件吗？")),
        (FeedbackKind.SUGGESTION, ("希望增加周末办理", "建议窗口周六上午开放，方便上班族办理。")),
    ):
        case = history[filed * 7]
        feedback.file_feedback(
            actor=case.applicant,
            kind=kind,
            subject=FeedbackSubject.CASE,
            case_number=case.number,
            title=text[0],
            body=text[1],
            publish_allowed=kind == FeedbackKind.CONSULTATION,
            idempotency_key=f"{HISTORY_KEY}-feedback-{kind}",
        )
        filed += 1
    return filed


def load_demo_supervision(*, today: dt.date | None = None) -> str:
    """The demo step: history, its ratings and complaints, the card sweep and the figures; idempotent."""
    today = today or timezone.localdate()
    if Case.objects.filter(idempotency_key__startswith=HISTORY_KEY).exists():
        history: list[Case] = []
    else:
        history = _load_history(today)
    rated = _rate_history(history) if history else 0
    filed = _file_feedback(history) if len(history) > 21 else 0
    swept = cards.sweep(today=today)
    rows = stats.refresh_since(since=today - dt.timedelta(days=HISTORY_DAYS + 1), until=today)
    raised = sum(swept.raised.values())
    return (
        f"{len(history)} history cases, {rated} ratings, {filed} complaints/questions, "
        f"{raised} new cards, {rows} daily figure rows"
    )
