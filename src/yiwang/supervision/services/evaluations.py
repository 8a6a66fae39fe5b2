"""好差评 (国办发〔2019〕51号): invitations on closing, ratings by the applicant, additions (追评).

- When a case closes (办结, 不予许可, 不予受理; not a withdrawal) the applicant is invited in the closing
  action's transaction: a web invitation on their account, announced in their inbox (and by email if
  they chose it) with a link to the logged-in rating page, and an SMS link whose token is kept only as
  a keyed hash and never put in a stored message. The text goes out after commit through identity's SMS
  backend; the inbox message makes no second SMS.
- At the window (一次一评) a clerk starts an evaluation on the window device; the applicant rates there.
- A rating is refused, and the refusal audited, when it comes from staff who handled the case (a
  claimant or completer of any of its tasks, its window clerk, its decider) or from any staff member of
  its department. A bad rating opens a rectification ticket in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from yiwang.applications.constants import (
    CASE_CLOSED,
    CASE_DECIDED,
    CASE_NOT_ACCEPTED,
    CLOSED_STATUSES,
    CaseStatus,
)
from yiwang.applications.models import Case
from yiwang.applications.selectors import is_applicant_side
from yiwang.audit.constants import Outcome
from yiwang.audit.services import record_event
from yiwang.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from yiwang.identity import services as identity_services
from yiwang.identity.models import User
from yiwang.identity.selectors import assignment_covering_region, assignment_with_permission
from yiwang.notifications.constants import Channel, MessageTopic
from yiwang.notifications.services import notify

from ..constants import (
    BAD_LEVELS,
    EVALUATION_INDICATORS,
    AuditAction,
    EvaluationChannel,
    EvaluationLevel,
    EvaluationStage,
)
from ..models import Evaluation, EvaluationAddition, EvaluationInvitation
from ..selectors.evaluations import handled_case
from ..selectors.scope import OVERSEE
from . import rectifications
from .subscriptions import react

# Audit action of an invitation (not a state change of a rating; kept beside the service that writes it).
EVALUATION_INVITED = "supervision.evaluation_invited"
WINDOW_EVALUATION_STARTED = "supervision.window_evaluation_started"

RATEABLE_STATUSES = frozenset(CLOSED_STATUSES - {CaseStatus.WITHDRAWN})
CLOSING_EVENTS = frozenset({CASE_CLOSED, CASE_NOT_ACCEPTED, CASE_DECIDED})
INVITATION_DAYS = 30
WINDOW_DEVICE_MINUTES = 30
# The inbox message of an invitation: the logged-in rating page, never the SMS token. The invitation's
# own SMS is the text; the message may still go by email, where the person chose it (no secret in it).
INVITED_TITLE = gettext_noop("请评价办件 {number} 的服务")
INVITED_BODY = gettext_noop("您申请的“{item}”已办结，欢迎对本次政务服务进行评价（好差评）。")
INVITED_CHANNELS = (Channel.EMAIL,)
MAX_COMMENT = 1000
logger = logging.getLogger(__name__)
_TOKEN_SALT = "yiwang.supervision.evaluation-token"  # noqa: S105 (an HMAC salt, not a secret)


def hash_token(token: str) -> str:
    """The keyed hash kept in ``EvaluationInvitation.token_hash`` (a leaked table reveals no link)."""
    return salted_hmac(_TOKEN_SALT, (token or "").strip(), algorithm="sha256").hexdigest()


def token_matches(*, token: str, token_hash: str) -> bool:
    return bool(token_hash) and constant_time_compare(hash_token(token), token_hash)


def _new_token() -> str:
    return secrets.token_urlsafe(24)


def _applicant_phone(case: Case) -> str:
    phone = ""
    if isinstance(case.data, dict):
        phone = str(case.data.get("phone") or "")
    return phone or (case.applicant.phone if case.applicant_id else "")


def sms_link(token: str) -> str:
    """The link a text carries: absolute, on the platform's public address (``SITE_URL``)."""
    return f"{settings.SITE_URL}/supervision/e/{token}/"


# Invitations ------------------------------------------------------------------------------------------


@react
def invite_on_closing(
    *, case_id: int, event: str, actor_id: int | None = None, occurred_at: str = "", **_: Any
) -> None:
    """In the closing action's transaction: invite the applicant (web notice and SMS link), once."""
    if event not in CLOSING_EVENTS:
        return
    case = Case.objects.select_related("applicant").filter(pk=case_id).first()
    if case is None or case.status not in RATEABLE_STATUSES or case.parent_id is not None:
        return  # a bundle's parts are rated through the one bundle (一件事一评)
    if EvaluationInvitation.objects.filter(case=case, stage=EvaluationStage.SERVICE).exists():
        return
    invite(case=case)


def invite(*, case: Case) -> tuple[EvaluationInvitation, EvaluationInvitation]:
    """The web invitation and the SMS link of a closed case; the text goes out after commit."""
    expires = timezone.now() + dt.timedelta(days=INVITATION_DAYS)
    token = _new_token()
    with transaction.atomic():
        web = EvaluationInvitation.objects.create(
            case=case,
            stage=EvaluationStage.SERVICE,
            channel=EvaluationChannel.WEB,
            invitee=case.applicant,
            expires_at=expires,
        )
        sms = EvaluationInvitation.objects.create(
            case=case,
            stage=EvaluationStage.SERVICE,
            channel=EvaluationChannel.SMS,
            invitee=case.applicant,
            token_hash=hash_token(token),
            expires_at=expires,
        )
        phone = _applicant_phone(case)
        message = _("【一网通办】您的办件 %(number)s 已办结，请对本次服务进行评价：%(link)s") % {
            "number": case.number,
            "link": sms_link(token),
        }
        sent = bool(phone) and _send_text_after_commit(phone=phone, message=message)
        if case.applicant_id is not None:
            _tell_invited(case)
        record_event(
            action=EVALUATION_INVITED,
            target=case,
            department=case.department,
            subject=case.holder_code,
            details={"number": case.number, "channels": ["web", "sms"], "sms_sent": sent},
        )
    return web, sms


def _tell_invited(case: Case) -> None:
    """The applicant's inbox message (email too if they chose it; no SMS: the invitation texts itself)."""
    service = case.implementation or case.bundle  # a bundle (一件事) is rated as one
    notify(
        recipient=case.applicant,
        topic=MessageTopic.EVALUATION_INVITED,
        title=INVITED_TITLE,
        body=INVITED_BODY,
        context={"number": case.number, "item": service.name if service is not None else case.number},
        link=reverse("supervision:evaluate", args=[case.number]),
        department=case.department,
        channels=INVITED_CHANNELS,
    )


def _send_text_after_commit(*, phone: str, message: str) -> bool:
    """Hand the text to identity's SMS service once the invitation is committed."""
    transaction.on_commit(lambda: identity_services.send_text(phone=phone, message=message))
    return True


def start_window_evaluation(*, actor: Any, case: Case) -> tuple[EvaluationInvitation, str]:
    """一次一评: a clerk of the case's department starts the window device for the visiting applicant.

    Returns the invitation and its token (the device page's address); the clerk cannot rate with it."""
    assignment = assignment_with_permission(
        actor=actor,
        permission="application.accept",
        department_id=case.department_id,
        region_code=case.region_id,
    )
    if assignment is None:
        raise PermissionDenied(_("仅本部门窗口工作人员可以发起窗口评价"), code="not_window_clerk")
    if Evaluation.objects.filter(case=case, stage=EvaluationStage.WINDOW_VISIT).exists():
        raise Conflict(_("该办件的窗口服务已评价"), code="already_evaluated")
    token = _new_token()
    with transaction.atomic():
        invitation = EvaluationInvitation.objects.create(
            case=case,
            stage=EvaluationStage.WINDOW_VISIT,
            channel=EvaluationChannel.WINDOW_DEVICE,
            invitee=case.applicant,
            token_hash=hash_token(token),
            expires_at=timezone.now() + dt.timedelta(minutes=WINDOW_DEVICE_MINUTES),
        )
        record_event(
            action=WINDOW_EVALUATION_STARTED,
            actor=actor,
            target=case,
            department=case.department,
            subject=case.holder_code,
            details={"number": case.number, "invitation": invitation.pk},
            actor_role=assignment.role,
            actor_department=assignment.department,
            actor_region_code=assignment.region_id,
        )
    return invitation, token


def invitation_for_token(token: str) -> EvaluationInvitation:
    """The open invitation (SMS link or window device) a token opens; else NotFound (expired alike)."""
    value = (token or "").strip()
    if not value or len(value) > 100:
        raise NotFound(_("评价链接无效或已过期"), code="invitation_not_found")
    invitation = (
        EvaluationInvitation.objects.select_related(
            "case__department", "case__implementation", "case__applicant"
        )
        .filter(token_hash=hash_token(value), used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None:
        raise NotFound(_("评价链接无效或已过期"), code="invitation_not_found")
    return invitation


# Who may rate -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rater:
    user: User | None
    channel: str
    stage: str
    invitation: EvaluationInvitation | None = None
    recorded_by: Any = None  # the supervisor who took a phone rating
    assignment: Any = None


def _refuse(*, actor: Any, case: Case, error: DomainError, channel: str) -> None:
    """Log the refused rating in its own transaction, then raise the error the caller sees."""
    with transaction.atomic():
        record_event(
            action=AuditAction.EVALUATION_REFUSED,
            actor=actor,
            outcome=Outcome.REFUSED,
            reason=error.code,
            target=case,
            department=case.department,
            subject=case.holder_code,
            details={"number": case.number, "channel": channel, "reason": error.code},
        )
    raise error


def refuse_if_handler(*, actor: Any, case: Case, channel: str, logged_actor: Any = None) -> None:
    """Refuse (and audit, in its own transaction) a rating by staff who handled the case."""
    if handled_case(user=actor, case=case):
        _refuse(
            actor=logged_actor if logged_actor is not None else actor,
            case=case,
            channel=channel,
            error=PermissionDenied(
                _("办理过该办件的工作人员及本部门工作人员不能评价该办件"), code="handler_cannot_evaluate"
            ),
        )


def _rater(*, actor: Any, case: Case, channel: str, token: str, caller_id_number: str) -> Rater:
    if channel == EvaluationChannel.WEB:
        if not is_applicant_side(actor=actor, case=case):
            raise NotFound(_("未找到该办件，请核对办件编号"), code="case_not_found")
        return Rater(user=actor, channel=channel, stage=EvaluationStage.SERVICE)
    if channel in (EvaluationChannel.SMS, EvaluationChannel.WINDOW_DEVICE):
        invitation = invitation_for_token(token)
        if invitation.case_id != case.pk or invitation.channel != channel:
            raise NotFound(_("评价链接无效或已过期"), code="invitation_not_found")
        return Rater(user=invitation.invitee, channel=channel, stage=invitation.stage, invitation=invitation)
    if channel == EvaluationChannel.PHONE:
        assignment = assignment_covering_region(actor=actor, permission=OVERSEE, region_code=case.region_id)
        if assignment is None:
            raise PermissionDenied(_("电话评价仅由本区域效能监察人员代为记录"), code="not_supervisor")
        caller = (caller_id_number or "").strip().upper()
        applicant_code = (case.applicant.id_number or "").upper() if case.applicant_id else ""
        if not caller or caller not in {case.holder_code.upper(), applicant_code}:
            raise InvalidInput(_("来电人身份与办件申请人不符"), code="caller_mismatch")
        return Rater(
            user=case.applicant,
            channel=channel,
            stage=EvaluationStage.SERVICE,
            recorded_by=actor,
            assignment=assignment,
        )
    raise InvalidInput(_("不支持的评价渠道"), code="invalid_channel")


def _required_level(level: Any) -> int:
    value = _clean_level(level)
    if value is None:
        raise InvalidInput(_("请选择评价等级（1–5）"), code="invalid_level")
    return value


def _score(raw: Any) -> int:
    """A whole number given as an int or its digits (never a bool or a fraction); 0 when it is not one."""
    if isinstance(raw, bool):
        return 0
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        return int(raw.strip())
    return 0


def _clean_level(level: Any, *, required: bool = True) -> int | None:
    if level in (None, "") and not required:
        return None
    value = _score(level)
    if value not in EvaluationLevel.values:
        raise InvalidInput(_("请选择评价等级（1–5）"), code="invalid_level")
    return value


def _clean_indicators(indicators: Any) -> dict[str, int]:
    if not indicators:
        return {}
    if not isinstance(indicators, dict):
        raise InvalidInput(_("分项评价格式不正确"), code="invalid_indicators")
    cleaned: dict[str, int] = {}
    for key, raw in indicators.items():
        if key not in EVALUATION_INDICATORS:
            raise InvalidInput(
                _("未知的分项评价：%(key)s") % {"key": str(key)[:40]}, code="invalid_indicators"
            )
        if raw in (None, ""):
            continue
        value = _score(raw)
        if value not in range(1, 6):
            raise InvalidInput(_("分项评价须为 1–5 分"), code="invalid_indicators")
        cleaned[key] = value
    return cleaned


def _clean_comment(comment: Any, *, required: bool = False) -> str:
    text = str(comment or "").strip()
    if required and not text:
        raise InvalidInput(_("请填写追加评价内容"), code="comment_required")
    if len(text) > MAX_COMMENT:
        raise InvalidInput(_("评价内容最多 %(n)d 字") % {"n": MAX_COMMENT}, code="comment_too_long")
    return text


# Rating -------------------------------------------------------------------------------------------------


def evaluate(
    *,
    actor: Any,
    case: Case,
    level: Any,
    indicators: Any = None,
    comment: Any = "",
    channel: str = EvaluationChannel.WEB,
    token: str = "",
    caller_id_number: str = "",
) -> tuple[Evaluation, bool]:
    """Rate the case's stage (the service; a window visit through the device). Returns (evaluation,
    created); the same rating again by the same rater is answered with the first one (idempotent).

    Errors: ``case_not_found`` (not the actor's case), ``invitation_not_found``, ``not_supervisor``,
    ``caller_mismatch``, ``handler_cannot_evaluate`` (refused and audited), ``case_not_closed``,
    ``invalid_level``, ``invalid_indicators``, ``comment_too_long``, ``already_evaluated`` (409).
    """
    clean_level = _required_level(level)
    clean_indicators = _clean_indicators(indicators)
    text = _clean_comment(comment)
    if channel != EvaluationChannel.PHONE:  # on the phone the supervisor only records the caller's rating
        refuse_if_handler(actor=actor, case=case, channel=channel)
    rater = _rater(actor=actor, case=case, channel=channel, token=token, caller_id_number=caller_id_number)
    refuse_if_handler(actor=rater.user, case=case, channel=channel, logged_actor=actor)
    if rater.stage == EvaluationStage.SERVICE and case.status not in RATEABLE_STATUSES:
        raise Conflict(_("办件办结后才能评价"), code="case_not_closed")
    with transaction.atomic():
        existing = Evaluation.objects.filter(case=case, stage=rater.stage).first()
        if existing is not None:
            return _replayed(
                existing, rater=rater, level=clean_level, indicators=clean_indicators, comment=text
            )
        implementation = case.implementation
        try:
            with transaction.atomic():
                evaluation = Evaluation.objects.create(
                    case=case,
                    stage=rater.stage,
                    level=clean_level,
                    indicators=clean_indicators,
                    comment=text,
                    channel=channel,
                    rater=rater.user,
                    real_name=rater.user is not None,
                    implementation=implementation,
                    item_code=implementation.item.code if implementation is not None else "",
                    department_id=case.department_id,
                    region_id=case.region_id,
                )
        except IntegrityError:
            existing = Evaluation.objects.get(case=case, stage=rater.stage)
            return _replayed(
                existing, rater=rater, level=clean_level, indicators=clean_indicators, comment=text
            )
        EvaluationInvitation.objects.filter(case=case, stage=rater.stage, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        facts: dict[str, Any] = {}
        if rater.assignment is not None:
            facts = {
                "actor_role": rater.assignment.role,
                "actor_department": rater.assignment.department,
                "actor_region_code": rater.assignment.region_id,
            }
        record_event(
            action=AuditAction.EVALUATED,
            actor=actor if getattr(actor, "is_authenticated", False) else rater.user,
            target=evaluation,
            department=case.department,
            subject=case.holder_code,
            details={
                "number": case.number,
                "stage": rater.stage,
                "channel": channel,
                "level": clean_level,
                "rater": str(rater.user.public_id) if rater.user is not None else None,
            },
            **facts,
        )
        if clean_level in BAD_LEVELS:
            rectifications.open_rectification(evaluation=evaluation, actor=rater.user)
        rectifications.forget_scorecard(evaluation.item_code)
    return evaluation, True


def _replayed(existing: Evaluation, *, rater: Rater, level: int | None, indicators: dict, comment: str):
    same = (
        existing.rater_id == (rater.user.pk if rater.user is not None else None)
        and existing.level == level
        and existing.indicators == indicators
        and existing.comment == comment
    )
    if not same:
        raise Conflict(_("该办件已评价过；如需补充，请使用追加评价"), code="already_evaluated")
    return existing, False


def add_to_evaluation(
    *, actor: Any, evaluation: Evaluation, comment: Any, level: Any = None
) -> EvaluationAddition:
    """追评 by the rater: a comment and optionally a new level (which counts from then on; a new bad
    level opens a rectification ticket if none is open)."""
    text = _clean_comment(comment, required=True)
    new_level = _clean_level(level, required=False)
    if (
        evaluation.rater_id is None
        or not getattr(actor, "is_authenticated", False)
        or evaluation.rater_id != actor.pk
    ):
        raise NotFound(_("未找到该评价"), code="evaluation_not_found")
    case = evaluation.case
    if handled_case(user=actor, case=case):
        _refuse(
            actor=actor,
            case=case,
            channel=evaluation.channel,
            error=PermissionDenied(
                _("办理过该办件的工作人员及本部门工作人员不能评价该办件"), code="handler_cannot_evaluate"
            ),
        )
    with transaction.atomic():
        addition = EvaluationAddition.objects.create(evaluation=evaluation, level=new_level, comment=text)
        record_event(
            action=AuditAction.EVALUATION_ADDED,
            actor=actor,
            target=evaluation,
            department=case.department,
            subject=case.holder_code,
            details={"number": case.number, "level": new_level, "addition": addition.pk},
        )
        if new_level in BAD_LEVELS and evaluation.counted:
            rectifications.open_rectification(evaluation=evaluation, actor=actor)
        rectifications.forget_scorecard(evaluation.item_code)
    return addition
