"""投诉、咨询、建议: filing, routing, transfer, answer, reopen or accept, publication and FAQ offers.

Every write is one transaction with its audit entry (``audit.services.record_event``) and, where a
department must act, an in-app notice (``notifications.services.notices.raise_notice``). Who may act is
asked of ``selectors.feedback`` (which asks identity); the reminders are ``remind_late_feedback``, run by
``tasks.feedback``. Decisions and formats: docs/supervision-feedback.md.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from yiwang.applications.models import Case
from yiwang.applications.selectors import access_case_by_number, is_applicant_side
from yiwang.applications.services import numbers as case_numbers
from yiwang.applications.services.numbers import hash_query_code
from yiwang.audit.services import record_event
from yiwang.catalog.models import FAQ, Implementation, ServiceItem
from yiwang.catalog.selectors import get_implementation_guide
from yiwang.catalog.services import save_catalog_record
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.throttle import FailureThrottle
from yiwang.core.workdays import add_working_days, load_calendar
from yiwang.identity.constants import PhoneCodePurpose
from yiwang.identity.selectors import list_holders_of_permission, mask_id_number, mask_name, mask_phone
from yiwang.identity.services import consume_phone_code
from yiwang.identity.services.accounts import check_phone
from yiwang.notifications.constants import MessageTopic
from yiwang.notifications.services import notify
from yiwang.notifications.services.notices import raise_notice
from yiwang.regions.models import Department, Region
from yiwang.regions.selectors import region_scope_codes

from ..constants import (
    COMPLAINT_ANSWER_WORKING_DAYS,
    AuditAction,
    FaqOfferStatus,
    FeedbackEventKind,
    FeedbackKind,
    FeedbackStatus,
    FeedbackSubject,
)
from ..models import FaqOffer, Feedback, FeedbackEvent
from ..selectors import feedback as gates

SERIAL_DIGITS = 5
MAX_SERIAL = 10**SERIAL_DIGITS - 1
NUMBER_LENGTH = 12 + 8 + SERIAL_DIGITS + 1
_NUMBER = re.compile(rf"[0-9]{{{NUMBER_LENGTH - 1}}}[0-9X]")
# A department whose name says it is the region's government service office (政务服务管理局, 政务服务和
# 大数据管理局, 行政审批局): where a feedback goes that no item, case or department routes.
SERVICE_OFFICE_MARKERS = ("政务服务", "行政审批局")
OPEN_STATES = (FeedbackStatus.OPEN, FeedbackStatus.REOPENED)
TITLE_MAX, BODY_MAX, TEXT_MAX = 100, 5000, 1000


# Numbers and query codes ------------------------------------------------------------------------------


def normalize_number(number: str) -> str:
    return case_numbers.normalize_case_number(number)[:40]


def is_valid_number(number: str) -> bool:
    """26 characters: region 12 + date 8 + serial 5 + ISO 7064 MOD 11-2 check (the case numbers' check)."""
    value = normalize_number(number)
    return bool(_NUMBER.fullmatch(value)) and case_numbers.check_character(value[:-1]) == value[-1]


def _number_body(region_code: str, day: dt.date, serial: int) -> str:
    if serial > MAX_SERIAL:
        raise Conflict(_("当日投诉咨询建议编号已用尽"), code="feedback_serials_exhausted")
    return f"{region_code}{day:%Y%m%d}{serial:0{SERIAL_DIGITS}d}"


def _next_serial(region_code: str, day: dt.date) -> int:
    prefix = f"{region_code}{day:%Y%m%d}"
    last = (
        Feedback.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
    ).first()
    return int(last[len(prefix) : len(prefix) + SERIAL_DIGITS]) + 1 if last else 1


# Filing -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    department: Department
    region: Region
    item: ServiceItem | None
    case: Case | None
    how: str


def _service_office(region: Region) -> Department:
    codes = region_scope_codes(region=region)[::-1]  # the region, then its ancestors
    candidates = list(Department.objects.filter(region_id__in=codes).select_related("region"))
    for code in codes:
        for department in sorted(candidates, key=lambda d: d.credit_code):
            if department.region_id == code and any(m in department.name for m in SERVICE_OFFICE_MARKERS):
                return department
    raise InvalidInput(_("无法确定承办部门，请选择具体事项或部门"), code="no_responsible_department")


def _region(code: str | None) -> Region:
    region = Region.objects.filter(code=(code or settings.DEFAULT_REGION_CODE)[:12]).first()
    if region is None:
        raise InvalidInput(_("区划代码不存在"), code="unknown_region")
    return region


def route(
    *,
    actor: Any,
    subject: str,
    item_code: str = "",
    case_number: str = "",
    department_code: str = "",
    region_code: str = "",
) -> Route:
    """Where a new feedback goes: the case's department; the item's implementation in the filer's region;
    the named department; else (an item nobody implements here) the region's government service office."""
    if subject == FeedbackSubject.CASE:
        if actor is None:
            raise InvalidInput(_("对办件的投诉请先登录"), code="login_required")
        case = access_case_by_number(actor=actor, number=case_number)  # NotFound alike when not theirs
        if not is_applicant_side(actor=actor, case=case):
            raise NotFound(_("未找到该办件"), code="case_not_found")
        implementation = Implementation.objects.select_related("item").get(pk=case.implementation_id or 0)
        return Route(case.department, case.region, implementation.item, case, "case")
    if subject == FeedbackSubject.ITEM:
        if not item_code:
            raise InvalidInput(_("请选择事项"), code="item_required")
        region = _region(region_code)
        item = ServiceItem.objects.filter(code=item_code[:64], is_active=True).first()
        if item is None:
            raise NotFound(_("未找到该事项"), code="unknown_item")
        try:
            implementation = get_implementation_guide(code=item.code, region_code=region.code)
        except NotFound:
            return Route(_service_office(region), region, item, None, "service_office")
        return Route(implementation.department, implementation.region, item, None, "item")
    if subject == FeedbackSubject.DEPARTMENT:
        if not department_code:
            return _office_route(_region(region_code))
        department = (
            Department.objects.select_related("region").filter(credit_code=department_code[:18]).first()
        )
        if department is None:
            raise NotFound(_("部门不存在"), code="unknown_department")
        return Route(department, department.region, None, None, "department")
    raise InvalidInput(_("投诉对象不正确"), code="invalid_subject")


def _office_route(region: Region) -> Route:
    return Route(_service_office(region), region, None, None, "service_office")


def expected_date(kind: str, *, start: dt.date | None = None) -> dt.date:
    """The answer is due this many working days after ``start`` (today), by kind."""
    return add_working_days(start or timezone.localdate(), COMPLAINT_ANSWER_WORKING_DAYS[kind])


def _clean_text(value: str, *, limit: int, code: str, label: str) -> str:
    text = (value or "").replace("\x00", "").strip()
    if not text:
        raise InvalidInput(_("请填写%(label)s") % {"label": label}, code=code)
    if len(text) > limit:
        raise InvalidInput(
            _("%(label)s不能超过%(limit)s个字") % {"label": label, "limit": limit}, code=f"{code}_too_long"
        )
    return text


@dataclass(frozen=True)
class Filing:
    feedback: Feedback
    query_code: str | None  # shown once; None when an earlier filing with the same key is returned
    created: bool


def _existing(actor: Any, key: str, phone: str) -> Feedback | None:
    if not key:
        return None
    if actor is not None:
        return Feedback.objects.filter(citizen=actor, idempotency_key=key).first()
    return Feedback.objects.filter(citizen__isnull=True, phone=phone, idempotency_key=key).first()


def _check_filer(actor: Any, phone: str, phone_code: str) -> str:
    if actor is not None:
        if getattr(actor, "is_staff_member", False):
            raise PermissionDenied(_("请使用个人账号提交投诉咨询建议"), code="citizens_only")
        return phone or (actor.phone or "")
    if not phone:
        raise InvalidInput(_("匿名提交请填写手机号码"), code="phone_required")
    return phone


def file_feedback(
    *,
    actor: Any,
    kind: str,
    subject: str,
    title: str,
    body: str,
    item_code: str = "",
    case_number: str = "",
    department_code: str = "",
    region_code: str = "",
    contact_name: str = "",
    phone: str = "",
    phone_code: str = "",
    publish_allowed: bool = False,
    idempotency_key: str = "",
) -> Filing:
    """File a complaint, question or suggestion, logged in (``actor``) or anonymous with a verified phone.

    The same ``idempotency_key`` again returns the first filing (``created`` False, no query code).
    """
    if kind not in FeedbackKind.values:
        raise InvalidInput(_("类型不正确"), code="invalid_kind")
    title = _clean_text(title, limit=TITLE_MAX, code="title_required", label=_("标题"))
    body = _clean_text(body, limit=BODY_MAX, code="body_required", label=_("内容"))
    phone = check_phone(phone) if phone else ""
    key = (idempotency_key or "")[:100]
    phone = _check_filer(actor, phone, phone_code)
    earlier = _existing(actor, key, phone)
    if earlier is not None:
        return Filing(earlier, None, False)
    where = route(
        actor=actor,
        subject=subject,
        item_code=item_code,
        case_number=case_number,
        department_code=department_code,
        region_code=region_code,
    )
    if actor is None:
        # The code is used up only once the rest was valid: a typo in the title costs no new SMS.
        consume_phone_code(phone=phone, purpose=PhoneCodePurpose.VERIFY_PHONE, code=phone_code)
    try:
        return _create(
            actor=actor,
            kind=kind,
            subject=subject,
            title=title,
            body=body,
            where=where,
            contact_name=(contact_name or "").strip()[:50],
            phone=phone,
            publish_allowed=bool(publish_allowed),
            key=key,
        )
    except IntegrityError:
        earlier = _existing(actor, key, phone)
        if earlier is None:
            raise
        return Filing(earlier, None, False)


@transaction.atomic
def _create(
    *,
    actor: Any,
    kind: str,
    subject: str,
    title: str,
    body: str,
    where: Route,
    contact_name: str,
    phone: str,
    publish_allowed: bool,
    key: str,
) -> Filing:
    today = timezone.localdate()
    code = case_numbers.new_query_code()
    fields = {
        "query_code_hash": hash_query_code(code),
        "kind": kind,
        "subject": subject,
        "item": where.item,
        "case": where.case,
        "department": where.department,
        "region": where.region,
        "citizen": actor,
        "contact_name": contact_name,
        "phone": phone,
        "title": title,
        "body": body,
        "idempotency_key": key,
        "publish_allowed": publish_allowed,
        "expected_on": expected_date(kind, start=today),
    }
    feedback = None
    for _attempt in range(5):  # two filers of one region and day may reach for the same serial
        body_ = _number_body(where.region.code, today, _next_serial(where.region.code, today))
        try:
            with transaction.atomic():
                feedback = Feedback.objects.create(
                    number=body_ + case_numbers.check_character(body_), **fields
                )
            break
        except IntegrityError:
            if key and _existing(actor, key, phone) is not None:
                raise
    if feedback is None:
        raise Conflict(_("系统繁忙，请稍后重试"), code="feedback_number_busy")
    _event(feedback, FeedbackEventKind.FILED, actor=actor)
    _event(
        feedback,
        FeedbackEventKind.ROUTED,
        actor=None,
        text=where.how,
        to_department=where.department,
        expected_on=feedback.expected_on,
    )
    record_event(
        action=AuditAction.FEEDBACK_FILED,
        actor=actor,
        target=feedback,
        department=feedback.department,
        details={
            "number": feedback.number,
            "kind": kind,
            "subject": subject,
            "routed": where.how,
            "anonymous": actor is None,
            "phone": mask_phone(phone),
        },
    )
    raise_notice(
        department=feedback.department,
        title=_("新的%(kind)s：%(title)s") % {"kind": feedback.get_kind_display(), "title": title},
        body=feedback.number,
    )
    return Filing(feedback, code, True)


def _event(feedback: Feedback, kind: str, *, actor: Any, text: str = "", **fields: Any) -> FeedbackEvent:
    return FeedbackEvent.objects.create(
        feedback=feedback, kind=kind, actor=actor, text=text[:TEXT_MAX], **fields
    )


# Staff: transfer, answer, publish, offer to the FAQ ---------------------------------------------------------


def _lock(feedback: Feedback) -> Feedback:
    return (
        Feedback.objects.select_for_update(of=("self",))
        .select_related("department", "region", "item")
        .get(pk=feedback.pk)
    )


def _require_open(feedback: Feedback) -> None:
    if feedback.status not in OPEN_STATES:
        raise Conflict(_("该事项已答复或已办结，不能再办理"), code="feedback_not_open")


@transaction.atomic
def transfer_feedback(*, actor: Any, feedback: Feedback, to_department: Department, reason: str) -> Feedback:
    """Send the feedback to the department that should answer it, with the reason and a new expected date."""
    reason = _clean_text(reason, limit=TEXT_MAX, code="reason_required", label=_("转办原因"))
    feedback = _lock(feedback)
    authority = gates.require_handling(actor=actor, feedback=feedback)
    _require_open(feedback)
    if to_department.pk == feedback.department_id:
        raise InvalidInput(_("不能转办给本部门"), code="same_department")
    from_department = feedback.department
    feedback.department, feedback.region = to_department, to_department.region
    feedback.expected_on = expected_date(feedback.kind)
    feedback.save(update_fields=["department", "region", "expected_on", "updated_at"])
    _event(
        feedback,
        FeedbackEventKind.TRANSFERRED,
        actor=actor,
        text=reason,
        from_department=from_department,
        to_department=to_department,
        expected_on=feedback.expected_on,
    )
    record_event(
        action=AuditAction.FEEDBACK_TRANSFERRED,
        actor=actor,
        target=feedback,
        department=to_department,
        **gates.authority_facts(authority),
        details={
            "number": feedback.number,
            "from": from_department.credit_code,
            "to": to_department.credit_code,
            "reason": reason[:300],
            "expected_on": feedback.expected_on.isoformat(),
        },
    )
    raise_notice(
        department=to_department,
        title=_("转办来的%(kind)s：%(title)s")
        % {"kind": feedback.get_kind_display(), "title": feedback.title},
        body=_("%(number)s，转办原因：%(reason)s") % {"number": feedback.number, "reason": reason},
    )
    return feedback


@transaction.atomic
def answer_feedback(*, actor: Any, feedback: Feedback, answer: str) -> Feedback:
    answer = _clean_text(answer, limit=BODY_MAX, code="answer_required", label=_("答复"))
    feedback = _lock(feedback)
    authority = gates.require_handling(actor=actor, feedback=feedback)
    _require_open(feedback)
    feedback.answer, feedback.answered_by, feedback.answered_at = answer, actor, timezone.now()
    feedback.status = FeedbackStatus.ANSWERED
    feedback.save(update_fields=["answer", "answered_by", "answered_at", "status", "updated_at"])
    _event(feedback, FeedbackEventKind.ANSWERED, actor=actor, text=answer)
    record_event(
        action=AuditAction.FEEDBACK_ANSWERED,
        actor=actor,
        target=feedback,
        department=feedback.department,
        **gates.authority_facts(authority),
        details={"number": feedback.number},
    )
    if feedback.citizen_id is not None:  # an anonymous filer follows it up with the query code
        notify(
            recipient=feedback.citizen,
            topic=MessageTopic.FEEDBACK_ANSWERED,
            title=ANSWERED_TITLE,
            body=ANSWERED_BODY,
            context={"title": feedback.title, "number": feedback.number},
            link=reverse("supervision:feedback_detail", args=[feedback.number]),
            department=feedback.department,
        )
    return feedback


ANSWERED_TITLE = gettext_noop("您的反映“{title}”已答复")
ANSWERED_BODY = gettext_noop("{number} 已答复，请查看答复内容；如未解决，可申请重新办理。")

_ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:19|20)[0-9]{2}[0-9]{4}[0-9]{3}[0-9Xx](?![0-9Xx])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])0[0-9]{2,3}-?[0-9]{7,8}(?![0-9])")


def anonymize(text: str, *, names: list[str]) -> str:
    """The text without ID numbers, phone numbers and the given names (each masked, not removed)."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text or "")
    text = _MOBILE.sub(lambda m: mask_phone(m.group()), text)
    text = _LANDLINE.sub(lambda m: m.group()[:4] + "****", text)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text


def _personal_names(feedback: Feedback) -> list[str]:
    names = [feedback.contact_name]
    if feedback.citizen_id is not None:
        citizen: Any = feedback.citizen
        names += [citizen.full_name, getattr(citizen, "given_name", "")]
    if feedback.case is not None:
        names.append(feedback.case.holder_name)
    return names


@transaction.atomic
def publish_answer(*, actor: Any, feedback: Feedback, question: str = "", answer: str = "") -> Feedback:
    """Publish an answered consultation the citizen allowed, anonymized (the texts may be edited first)."""
    feedback = _lock(feedback)
    authority = gates.require_handling(actor=actor, feedback=feedback, department_only=True)
    if feedback.kind != FeedbackKind.CONSULTATION:
        raise Conflict(_("只有咨询的答复可以公开"), code="not_a_consultation")
    if not feedback.publish_allowed:
        raise Conflict(_("提交人未同意公开答复"), code="publish_not_allowed")
    if feedback.status not in (FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED):
        raise Conflict(_("尚未答复，不能公开"), code="not_answered")
    names = _personal_names(feedback)
    default_question = f"{feedback.title}\n{feedback.body}"
    feedback.published_question = anonymize(
        (question or "").strip()[:BODY_MAX] or default_question, names=names
    )
    feedback.published_answer = anonymize((answer or "").strip()[:BODY_MAX] or feedback.answer, names=names)
    feedback.published_at = timezone.now()
    feedback.save(update_fields=["published_question", "published_answer", "published_at", "updated_at"])
    _event(feedback, FeedbackEventKind.PUBLISHED, actor=actor, is_public=True)
    record_event(
        action=AuditAction.FEEDBACK_PUBLISHED,
        actor=actor,
        target=feedback,
        department=feedback.department,
        **gates.authority_facts(authority),
        details={"number": feedback.number},
    )
    return feedback


def _guide_implementation(feedback: Feedback) -> Implementation:
    implementation = (
        Implementation.objects.filter(item_id=feedback.item_id, department_id=feedback.department_id)
        .select_related("department", "region")
        .order_by("code")
        .first()
    )
    if implementation is None:
        item: Any = feedback.item
        implementation = get_implementation_guide(code=item.code, region_code=feedback.region_id)
    return implementation


@transaction.atomic
def offer_to_faq(*, actor: Any, feedback: Feedback) -> FaqOffer:
    """Offer a published answer to the FAQ of the item's guide; its editors (data administrators) decide."""
    feedback = _lock(feedback)
    authority = gates.require_handling(actor=actor, feedback=feedback, department_only=True)
    if feedback.published_at is None or feedback.item_id is None:
        raise Conflict(_("只有已公开且关联事项的咨询答复可以推荐为常见问题"), code="not_published")
    if FaqOffer.objects.filter(feedback=feedback).exists():
        raise Conflict(_("已推荐过"), code="already_offered")
    implementation = _guide_implementation(feedback)
    offer = FaqOffer.objects.create(
        feedback=feedback,
        item_id=feedback.item_id,
        question=feedback.published_question[:300],
        answer=feedback.published_answer,
    )
    _event(
        feedback,
        FeedbackEventKind.OFFERED_TO_FAQ,
        actor=actor,
        is_public=False,
        to_department=implementation.department,
    )
    record_event(
        action=AuditAction.FAQ_OFFERED,
        actor=actor,
        target=offer,
        department=implementation.department,
        **gates.authority_facts(authority),
        details={"number": feedback.number, "implementation": implementation.code},
    )
    # The notice goes to the department's data administrators: the guide's editors.
    raise_notice(
        department=implementation.department,
        title=_("推荐的常见问题待采纳：%(title)s") % {"title": feedback.title},
        body=implementation.code,
    )
    return offer


@transaction.atomic
def decide_faq_offer(*, actor: Any, offer: FaqOffer, accept: bool) -> FaqOffer:
    """The guide's editor accepts (the question joins the guide's FAQ) or declines the offer."""
    offer = FaqOffer.objects.select_for_update().select_related("feedback").get(pk=offer.pk)
    implementation = _guide_implementation(offer.feedback)
    authority = gates.require_guide_editor(actor=actor, implementation=implementation)
    if offer.status != FaqOfferStatus.PENDING:
        raise Conflict(_("该推荐已处理"), code="offer_decided")
    offer.status = FaqOfferStatus.ACCEPTED if accept else FaqOfferStatus.DECLINED
    offer.decided_by, offer.decided_at = actor, timezone.now()
    offer.save(update_fields=["status", "decided_by", "decided_at"])
    if accept:
        last = implementation.faqs.order_by("-order").values_list("order", flat=True).first() or 0
        save_catalog_record(
            record=FAQ(
                implementation=implementation,
                order=min(last + 1, 32767),
                question=offer.question[:300],
                answer=offer.answer,
            ),
            changed_by=actor,
            changed=["question", "answer"],
        )
    record_event(
        action=AuditAction.FAQ_OFFERED,
        actor=actor,
        target=offer,
        department=implementation.department,
        **gates.authority_facts(authority),
        details={"decision": offer.status, "implementation": implementation.code},
    )
    return offer


# The citizen: reopen or accept -----------------------------------------------------------------------------


@transaction.atomic
def reopen_feedback(*, actor: Any, feedback: Feedback, reason: str) -> Feedback:
    """ "Not solved": back to the department with a new expected date (the gate checked the filer)."""
    reason = _clean_text(reason, limit=TEXT_MAX, code="reason_required", label=_("未解决的原因"))
    feedback = _lock(feedback)
    if feedback.status != FeedbackStatus.ANSWERED:
        raise Conflict(_("只有已答复的事项可以申请重新办理"), code="feedback_not_answered")
    feedback.status = FeedbackStatus.REOPENED
    feedback.reopen_count += 1
    feedback.expected_on = expected_date(feedback.kind)
    feedback.last_reminded_at = None
    feedback.save(update_fields=["status", "reopen_count", "expected_on", "last_reminded_at", "updated_at"])
    _event(
        feedback,
        FeedbackEventKind.REOPENED,
        actor=actor,
        text=reason,
        to_department=feedback.department,
        expected_on=feedback.expected_on,
    )
    record_event(
        action=AuditAction.FEEDBACK_REOPENED,
        actor=actor,
        target=feedback,
        department=feedback.department,
        details={
            "number": feedback.number,
            "reopen_count": feedback.reopen_count,
            "expected_on": feedback.expected_on.isoformat(),
        },
    )
    raise_notice(
        department=feedback.department,
        title=_("群众反映未解决，请重新办理：%(title)s") % {"title": feedback.title},
        body=_("%(number)s：%(reason)s") % {"number": feedback.number, "reason": reason},
    )
    return feedback


@transaction.atomic
def accept_answer(*, actor: Any, feedback: Feedback) -> Feedback:
    feedback = _lock(feedback)
    if feedback.status != FeedbackStatus.ANSWERED:
        raise Conflict(_("只有已答复的事项可以确认办结"), code="feedback_not_answered")
    feedback.status, feedback.closed_at = FeedbackStatus.CLOSED, timezone.now()
    feedback.save(update_fields=["status", "closed_at", "updated_at"])
    _event(feedback, FeedbackEventKind.CLOSED, actor=actor)
    record_event(
        action=AuditAction.FEEDBACK_CLOSED,
        actor=actor,
        target=feedback,
        department=feedback.department,
        details={"number": feedback.number},
    )
    return feedback


# Reminders -----------------------------------------------------------------------------------------------


def remind_late_feedback(*, today: dt.date | None = None) -> int:
    """Remind the handlers and heads of each late feedback's department, at most once a day; how many."""
    today = today or timezone.localdate()
    if not load_calendar([today.year]).is_working_day(today):
        return 0  # reminders go out on working days only
    late = Feedback.objects.filter(status__in=OPEN_STATES, expected_on__lt=today).values_list("pk", flat=True)
    reminded = 0
    for pk in list(late.order_by("expected_on", "pk")[:5000]):
        reminded += int(_remind_one(pk=pk, today=today))
    return reminded


@transaction.atomic
def _remind_one(*, pk: int, today: dt.date) -> bool:
    feedback = Feedback.objects.select_for_update().select_related("department", "region").get(pk=pk)
    if feedback.status not in OPEN_STATES or feedback.expected_on >= today:
        return False
    if feedback.last_reminded_at is not None and timezone.localdate(feedback.last_reminded_at) >= today:
        return False
    holders = [
        assignment.user
        for assignment in list_holders_of_permission(permission=gates.HANDLE_COMPLAINTS)
        if assignment.department_id == feedback.department_id
    ]
    title = _("投诉咨询建议已超期：%(title)s") % {"title": feedback.title}
    body = _("%(number)s，预计答复日期 %(date)s") % {"number": feedback.number, "date": feedback.expected_on}
    for user in {user.pk: user for user in holders}.values():
        raise_notice(department=feedback.department, title=title, body=body, recipient=user)
    if not holders:
        raise_notice(department=feedback.department, title=title, body=body)
    feedback.last_reminded_at = timezone.now()
    feedback.save(update_fields=["last_reminded_at", "updated_at"])
    _event(
        feedback, FeedbackEventKind.REMINDED, actor=None, is_public=False, expected_on=feedback.expected_on
    )
    record_event(
        action=AuditAction.FEEDBACK_REMINDED,
        target=feedback,
        department=feedback.department,
        details={"number": feedback.number, "recipients": len(holders)},
    )
    return True


# Guessing a query code is slowed like the case status query: failures are counted per address and per
# number in the shared cache (core.throttle); past the limit the query refuses for a window.

QUERY_IP_LIMIT, QUERY_NUMBER_LIMIT, QUERY_WINDOW_SECONDS = 20, 5, 15 * 60
_QUERY_THROTTLE = FailureThrottle(
    prefix="feedback-query-failures",
    ip_limit=QUERY_IP_LIMIT,
    key_limit=QUERY_NUMBER_LIMIT,
    window_seconds=QUERY_WINDOW_SECONDS,
)


def query_throttled(*, ip_address: str | None, number: str) -> bool:
    return _QUERY_THROTTLE.is_throttled(ip_address=ip_address, key=normalize_number(number))


def count_query_failure(*, ip_address: str | None, number: str) -> None:
    _QUERY_THROTTLE.count_failure(ip_address=ip_address, key=normalize_number(number))
