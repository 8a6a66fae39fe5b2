"""好差评: invitations on closing, who may rate, one rating per case and stage, additions, rates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.applications.services import cases
from yiwang.applications.tests.cases_world import make_world, submit
from yiwang.audit.constants import Outcome
from yiwang.audit.models import AuditEntry
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.supervision.constants import (
    AuditAction,
    EvaluationChannel,
    EvaluationLevel,
    EvaluationStage,
    RectificationStatus,
)
from yiwang.supervision.models import Evaluation, EvaluationInvitation, Rectification
from yiwang.supervision.selectors import evaluations as selectors
from yiwang.supervision.services import evaluations, rectifications

from .evaluations_world import closed_case, make_eval_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_eval_world()


def test_closing_a_case_invites_its_applicant_on_the_web_and_by_sms_with_only_a_hashed_token(
    monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        evaluations.identity_services, "send_text", lambda **kw: sent.append(kw), raising=False
    )
    world = make_world()
    case, _created = submit(world, key="invite")
    with django_capture_on_commit_callbacks(execute=True):
        cases.refuse_to_accept(
            actor=world.clerk,
            case=case,
            reason="不属于本部门职权范围",
            legal_basis="《行政许可法》第三十二条",
        )
    invitations = {row.channel: row for row in EvaluationInvitation.objects.filter(case=case)}
    assert set(invitations) == {EvaluationChannel.WEB, EvaluationChannel.SMS}
    assert invitations["web"].invitee == world.applicant
    assert len(sent) == 1 and sent[0]["phone"] == "13800000000"
    token = sent[0]["message"].split("/supervision/e/")[1].rstrip("/")
    assert token not in invitations["sms"].token_hash
    assert evaluations.invitation_for_token(token) == invitations["sms"]


def test_the_sms_invitation_is_texted_to_the_applicant_once_committed(
    world, settings, django_capture_on_commit_callbacks
):
    from yiwang.notifications.sms.backends import outbox

    settings.NOTIFICATIONS_SMS_BACKEND = "console"
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        web, sms = evaluations.invite(case=world.case)
    assert not outbox  # nothing leaves before the invitation is committed
    for callback in callbacks:
        callback()
    assert sms.token_hash and web.invitee == world.people["applicant"]
    [message] = list(outbox)
    assert world.case.number in message["message"]
    assert f"{settings.SITE_URL}/supervision/e/" in message["message"]  # a link the phone can open
    entry = AuditEntry.objects.get(action=evaluations.EVALUATION_INVITED)
    assert entry.details["sms_sent"] is True


def test_a_withdrawn_case_is_not_invited(world):
    case = closed_case(department=world.department, status="withdrawn")
    evaluations.invite_on_closing(case_id=case.pk, event="case.withdrawn")
    evaluations.invite_on_closing(case_id=case.pk, event="case.closed")
    assert not EvaluationInvitation.objects.filter(case=case).exists()


def test_the_applicant_rates_once_per_stage_and_the_same_rating_again_is_the_same_one(world):
    applicant = world.people["applicant"]
    first, created = evaluations.evaluate(
        actor=applicant,
        case=world.case,
        level=5,
        indicators={"efficiency": 5, "ease_of_use": 4},
        comment="很快",
    )
    again, created_again = evaluations.evaluate(
        actor=applicant,
        case=world.case,
        level=5,
        indicators={"efficiency": 5, "ease_of_use": 4},
        comment="很快",
    )
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(Conflict) as error:
        evaluations.evaluate(actor=applicant, case=world.case, level=1)
    assert error.value.code == "already_evaluated"
    assert Evaluation.objects.filter(case=world.case).count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.EVALUATED, object_id=str(first.pk)).count() == 1


@pytest.mark.parametrize("who", ["clerk", "approver", "handler", "head"])
def test_staff_who_handled_the_case_cannot_rate_it_and_the_refusal_is_audited(world, who):
    actor = world.people[who]
    with pytest.raises(PermissionDenied) as error:
        evaluations.evaluate(actor=actor, case=world.case, level=5)
    assert error.value.code == "handler_cannot_evaluate"
    assert not Evaluation.objects.exists()
    refused = AuditEntry.objects.get(action=AuditAction.EVALUATION_REFUSED)
    assert refused.outcome == Outcome.REFUSED and refused.actor == actor


def test_a_handler_who_is_also_the_applicant_cannot_rate_their_own_case(world):
    clerk = world.people["clerk"]
    case = closed_case(department=world.department, applicant=clerk, holder_code=clerk.id_number or "")
    with pytest.raises(PermissionDenied) as error:
        evaluations.evaluate(actor=clerk, case=case, level=5)
    assert error.value.code == "handler_cannot_evaluate"


def test_another_citizen_cannot_rate_and_learns_nothing(world):
    with pytest.raises(NotFound):
        evaluations.evaluate(actor=world.people["citizen"], case=world.case, level=5)


def test_an_open_case_cannot_be_rated_yet(world):
    case = closed_case(department=world.department, status="accepted", closed_at=None)
    with pytest.raises(Conflict) as error:
        evaluations.evaluate(actor=case.applicant, case=case, level=4)
    assert error.value.code == "case_not_closed"


@pytest.mark.parametrize(
    ("level", "indicators", "comment", "code"),
    [
        (0, None, "", "invalid_level"),
        ("x", None, "", "invalid_level"),
        (6, None, "", "invalid_level"),
        (True, None, "", "invalid_level"),
        (4.5, None, "", "invalid_level"),
        (5, {"speed": 3}, "", "invalid_indicators"),
        (5, {"efficiency": 9}, "", "invalid_indicators"),
        (5, ["efficiency"], "", "invalid_indicators"),
        (5, None, "长" * 1001, "comment_too_long"),
    ],
)
def test_bad_input_is_refused_with_a_stable_code(world, level, indicators, comment, code):
    with pytest.raises(InvalidInput) as error:
        evaluations.evaluate(
            actor=world.people["applicant"],
            case=world.case,
            level=level,
            indicators=indicators,
            comment=comment,
        )
    assert error.value.code == code


def test_the_sms_link_holder_rates_for_the_applicant_once(world):
    _web, _sms = evaluations.invite(case=world.case)
    token = "t" * 32
    EvaluationInvitation.objects.filter(pk=_sms.pk).update(token_hash=evaluations.hash_token(token))
    evaluation, _created = evaluations.evaluate(
        actor=None, case=world.case, level=4, channel=EvaluationChannel.SMS, token=token
    )
    assert (
        evaluation.rater == world.people["applicant"] and evaluation.channel == "sms" and evaluation.real_name
    )
    with pytest.raises(NotFound):
        evaluations.invitation_for_token(token)  # used once


def test_a_supervisor_records_a_phone_rating_only_with_the_callers_identity(world):
    supervisor, applicant = world.people["supervisor"], world.people["applicant"]
    with pytest.raises(InvalidInput):
        evaluations.evaluate(
            actor=supervisor, case=world.case, level=4, channel="phone", caller_id_number="110101199001011237"
        )
    with pytest.raises(PermissionDenied):
        evaluations.evaluate(
            actor=world.people["supervisor_other_region"],
            case=world.case,
            level=4,
            channel="phone",
            caller_id_number=applicant.id_number,
        )
    evaluation, _created = evaluations.evaluate(
        actor=supervisor, case=world.case, level=4, channel="phone", caller_id_number=applicant.id_number
    )
    assert evaluation.rater == applicant and evaluation.channel == "phone"


def test_at_the_window_the_clerk_starts_the_device_and_only_the_visitor_rates(world):
    clerk = world.people["clerk"]
    with pytest.raises(PermissionDenied):
        evaluations.start_window_evaluation(actor=world.people["head_other_department"], case=world.case)
    _invitation, token = evaluations.start_window_evaluation(actor=clerk, case=world.case)
    with pytest.raises(PermissionDenied) as error:
        evaluations.evaluate(actor=clerk, case=world.case, level=5, channel="window_device", token=token)
    assert error.value.code == "handler_cannot_evaluate"
    evaluation, _created = evaluations.evaluate(
        actor=None, case=world.case, level=5, channel="window_device", token=token
    )
    assert evaluation.stage == EvaluationStage.WINDOW_VISIT
    # The online service is rated separately (一事一评 and 一次一评).
    online, _created = evaluations.evaluate(actor=world.people["applicant"], case=world.case, level=4)
    assert online.stage == EvaluationStage.SERVICE


def test_additions_by_the_rater_only_and_a_new_level_counts_from_then_on(world):
    applicant = world.people["applicant"]
    evaluation, _created = evaluations.evaluate(actor=applicant, case=world.case, level=5)
    with pytest.raises(NotFound):
        evaluations.add_to_evaluation(
            actor=world.people["citizen"], evaluation=evaluation, comment="我也说两句"
        )
    with pytest.raises(InvalidInput):
        evaluations.add_to_evaluation(actor=applicant, evaluation=evaluation, comment=" ")
    evaluations.add_to_evaluation(actor=applicant, evaluation=evaluation, comment="证书寄错地址", level=2)
    assert Rectification.objects.filter(evaluation=evaluation, status=RectificationStatus.OPEN).exists()
    [rate] = selectors.rates(by="department")
    assert (rate.total, rate.good, rate.bad) == (1, 0, 1)


def test_rates_per_item_department_and_region_count_only_counted_ratings(world):
    department = world.department
    for level in (5, 4, 3, 2):
        case = closed_case(department=department)
        evaluations.evaluate(actor=case.applicant, case=case, level=level)
    bad = Rectification.objects.get()
    bad.evaluation.counted = False
    bad.evaluation.save(update_fields=["counted"])
    by_department = {rate.key: rate for rate in selectors.rates(by="department")}
    rate = by_department[str(department.pk)]
    assert (rate.total, rate.good, rate.bad, rate.satisfaction) == (3, 2, 0, round(2 / 3, 4))
    by_region = selectors.rates(by="region", region_code=department.region_id)
    assert sum(rate.total for rate in by_region) == 3
    assert len(selectors.rates(by="item")) == 3
    today = timezone.localdate()
    assert selectors.rates(by="department", start=today + dt.timedelta(days=1)) == []
    with pytest.raises(InvalidInput):
        selectors.rates(by="nonsense")


def test_the_scorecard_shows_distribution_and_rectifications_and_is_refreshed_on_change(world):
    case = world.case
    code = case.implementation.item.code
    assert selectors.item_scorecard(item_code=code).total == 0
    evaluation, _created = evaluations.evaluate(actor=case.applicant, case=case, level=1)
    card = selectors.item_scorecard(item_code=code)
    assert card.total == 1 and {lvl: n for lvl, _label, n in card.distribution}[1] == 1
    assert card.rectifications_open == 1 and card.rectifications_done == 0
    ticket = Rectification.objects.get(evaluation=evaluation)
    rectifications.record_measures(actor=world.people["head"], rectification=ticket, measures="加强培训")
    rectifications.record_revisit(actor=world.people["supervisor"], rectification=ticket, result="satisfied")
    card = selectors.item_scorecard(item_code=code)
    assert card.rectifications_done == 1 and card.rectifications_open == 0
    assert card.average_days_to_close == 0
    assert card.satisfaction == 0.0 and int(EvaluationLevel.VERY_DISSATISFIED) == 1
