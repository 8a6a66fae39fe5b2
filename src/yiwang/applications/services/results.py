"""What a decision produces, run by the workflow's service tasks (ADR 0009): issue, refuse, deliver, escalate.

- ``issue_result``: the implementation's result (``Implementation.result_license_type``) is issued as an
  e-license signed by the case's department into the holder's wallet, with a 准予 decision document.
- ``notify_refusal``: the 不予 decision document with its reasons, legal basis and the applicant's rights
  (行政复议 within 60 days, 行政诉讼 within 6 months, each with its last day). Fees are refunded by
  ``cases.decide`` (one place for every refusal).
- ``deliver_result``: 送达, on the timeline and as a notice to the applicant.
- ``escalate``: a deadline timer fired (督办): the department's supervisors are alerted; the case stays open.

Each is a service (keyword-only, one transaction, audited, outbox event) and also the workflow handler of
the same BPMN id, called as ``handler(case, data)`` inside the workflow step's transaction.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.workdays import WorkdayCalendar, load_calendar
from yiwang.identity.selectors import list_holders_of_permission
from yiwang.licenses.constants import HolderKind, LicenseStatus
from yiwang.licenses.models import License, LicenseType
from yiwang.licenses.services import issue_license
from yiwang.licenses.services.issuance import check_issuer
from yiwang.licenses.services.status import change_license_status
from yiwang.licenses.services.validation import schema_errors
from yiwang.notifications.constants import MessageTopic
from yiwang.notifications.services import notify, raise_notice, render

from ..constants import (
    CASE_ESCALATED,
    CASE_REFUSAL_NOTIFIED,
    CASE_RESULT_DELIVERED,
    CASE_RESULT_ISSUED,
    LITIGATION_MONTHS,
    RECONSIDERATION_DAYS,
    ApplicantKind,
    AuditAction,
)
from ..models import Case
from ..workflow.handlers import register_handler
from .applicant_messages import tell_applicant
from .cases.flags import sparing
from .cases.recording import record_case_action
from .decision_documents import Approval, Refusal, Rights, approval_pdf, refusal_pdf
from .form_schema import iter_fields
from .form_types import RESULT_HOLDER_CODE_TYPES

# Surface fields a result license takes from the case itself rather than from the form's answers.
_HOLDER_NAME_FIELDS = ("name",)
_PERSON_CODE_FIELDS = ("id_number",)
_ENTERPRISE_CODE_FIELDS = ("credit_code",)
# Numbers the issuing department assigns with the result: the case number makes them unique and traceable.
_ASSIGNED_NUMBER_FIELDS = (
    "certificate_number",
    "permit_number",
    "license_number",
    "proof_number",
    "registration_number",
    "file_number",
)
# Dates a result records as the day of the decision.
_DECISION_DATE_FIELDS = ("registered_on", "established_on", "first_issued_on")
DELIVERY_METHODS = {"electronic": "电子送达", "window": "窗口领取", "mail": "邮寄送达"}


# --- the applicant's rights -------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    """The corresponding day ``months`` later, or that month's last day (民法典 第二百零二条)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, month_calendar.monthrange(year, month)[1]))


def _first_working_day_from(day: dt.date, calendar: WorkdayCalendar) -> dt.date:
    """A period ending on a rest day or holiday ends on the next working day (民法典 第二百零三条)."""
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def rights_of_remedy(*, decided_on: dt.date) -> Rights:
    """The last days to apply for 行政复议 (60 days) and to sue (6 months), the decision day not counted."""
    calendar = load_calendar(range(decided_on.year, decided_on.year + 2))
    reconsideration = decided_on + dt.timedelta(days=RECONSIDERATION_DAYS)
    litigation = _add_months(decided_on, LITIGATION_MONTHS)
    return Rights(
        decided_on=decided_on,
        reconsideration_until=_first_working_day_from(reconsideration, calendar),
        litigation_until=_first_working_day_from(litigation, calendar),
    )


# --- the result license -----------------------------------------------------------------------------


def _decided_on(case: Case) -> dt.date:
    return timezone.localdate(case.decided_at) if case.decided_at else timezone.localdate()


def _coerce(value: Any, spec: Mapping[str, Any]) -> Any:
    """A form answer in the JSON type the license type's schema asks for (numbers typed as text)."""
    kind = spec.get("type")
    try:
        if kind == "number" and isinstance(value, str):
            number = float(value)
            return int(number) if number.is_integer() else number
        if kind == "integer" and isinstance(value, str | float):
            return int(value)
    except ValueError:
        return value
    if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


@dataclass(frozen=True)
class ResultHolder:
    """Whom the result license is issued to: the case's holder, or the party its form names."""

    code: str
    name: str
    kind: str  # HolderKind
    is_case_holder: bool


def result_holder(case: Case) -> ResultHolder:
    """The holder of the case's result license. A form with ``result_holder`` names it by two answers (on
    转移登记 the buyer, who owns the house after it, not the selling applicant); otherwise, and when those
    answers are missing, the case's holder."""
    schema: Mapping[str, Any] = case.form.schema if case.form is not None else {}
    spec = schema.get("result_holder")
    answers = case.data or {}
    if spec:
        code = str(answers.get(spec["code"]) or "").strip()
        name = str(answers.get(spec["name"]) or "").strip()
        kind = _field_types(schema).get(spec["code"])
        if code and name and kind in RESULT_HOLDER_CODE_TYPES:
            return ResultHolder(code, name, RESULT_HOLDER_CODE_TYPES[kind], code == case.holder_code)
    kind = HolderKind.PERSON if case.applicant_kind == ApplicantKind.PERSON else HolderKind.ENTERPRISE
    return ResultHolder(case.holder_code, case.holder_name, kind, True)


def _field_types(schema: Mapping[str, Any]) -> dict[str, str]:
    return {item["key"]: item.get("type", "") for _section, item in iter_fields(schema) if "key" in item}


def _derived(key: str, case: Case, holder: ResultHolder) -> Any:
    if key in _HOLDER_NAME_FIELDS:
        return holder.name
    if key in _PERSON_CODE_FIELDS and holder.kind == HolderKind.PERSON:
        return holder.code
    if key in _ENTERPRISE_CODE_FIELDS and holder.kind == HolderKind.ENTERPRISE:
        return holder.code
    if key in _ASSIGNED_NUMBER_FIELDS:
        return case.number
    if key in _DECISION_DATE_FIELDS:
        return _decided_on(case).isoformat()
    return None


def result_surface(*, case: Case, license_type: LicenseType, given: Mapping[str, Any]) -> dict[str, Any]:
    """The license surface: the schema's fields from ``given`` (the decision's entries over the form's
    answers), else from the case (holder, number, decision date); refused unless it fits the schema."""
    properties: Mapping[str, Mapping[str, Any]] = license_type.field_schema.get("properties", {})
    holder = result_holder(case)
    surface: dict[str, Any] = {}
    for key, spec in properties.items():
        value = given.get(key)
        if value is None or value == "":
            value = _derived(key, case, holder)
        if value is None or value == "":
            continue
        surface[key] = _coerce(value, spec)
    errors = schema_errors(license_type=license_type, surface=surface)
    if errors:
        raise InvalidInput(
            f"申请内容不足以生成“{license_type.name}”的照面信息：{'；'.join(errors)}",
            code="result_surface_incomplete",
            errors=errors,
        )
    return surface


def _result_license_type(case: Case) -> LicenseType | None:
    code = case.implementation.result_license_type if case.implementation is not None else ""
    if not code:
        return None
    license_type = LicenseType.objects.filter(code=code).first()
    if license_type is None:
        raise NotFound(
            f"实施清单的结果证照类型 {code} 不在证照目录中，无法签发办理结果",
            code="result_license_type_unknown",
        )
    return license_type


def _check_can_issue(case: Case, license_type: LicenseType, holder: ResultHolder) -> None:
    if license_type.holder_kind != holder.kind:
        of_whom = "申请主体" if holder.is_case_holder else "表单所填的结果持证人"
        raise Conflict(
            f"“{license_type.name}”的持证主体是{HolderKind(license_type.holder_kind).label}，"
            f"与本办件{of_whom}（{HolderKind(holder.kind).label}）不一致，无法签发",
            code="result_holder_kind_mismatch",
        )
    try:
        check_issuer(license_type=license_type, issuer=case.department)
    except InvalidInput as error:  # the type is no longer issued
        raise Conflict(f"无法签发“{license_type.name}”：{error.message}", code=error.code) from None
    except PermissionDenied:  # the department is not among the type's issuers
        raise Conflict(
            f"{case.department.name}不是“{license_type.name}”的签发部门，不能签发本办件的结果证照；"
            "请证照管理员在证照目录中登记签发部门",
            code="result_issuer_not_allowed",
        ) from None


def _store_document(case: Case, kind: str, content: bytes) -> None:
    case.decision_document.save(f"{case.number}-{kind}.pdf", ContentFile(content), save=False)


def _as_written(field: Mapping[str, Any], value: Any) -> Any:
    """A choice answer as the license writes it: its option's Chinese label (``residential`` → 住宅)."""
    for option in field.get("options") or []:
        if isinstance(option, Mapping) and option.get("value") == value:
            label = option.get("label")
            return label.get("zh", value) if isinstance(label, Mapping) else value
    return value


def form_answers_for_result(case: Case) -> dict[str, Any]:
    """The answers the case's form maps to the result's surface (a field's ``result_field``; a choice
    as its option's label), over the answers whose key is itself a surface field."""
    answers = dict(case.data or {})
    schema = case.form.schema if case.form is not None else {}
    for section in schema.get("sections", []):
        for field in section.get("fields", []):
            target, key = field.get("result_field"), field.get("key")
            if target and key in answers:
                answers[target] = _as_written(field, answers[key])
    return answers


def _result_valid_until(data: Mapping[str, Any]) -> dt.date | None:
    """The last valid day the approver set for a result whose type has no fixed validity (完税证明)."""
    value = data.get("result_valid_until")
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("结果证照的有效期截止日期格式不正确", code="invalid_result_validity") from None


def _issue_license(case: Case, license_type: LicenseType, data: Mapping[str, Any]) -> License:
    holder = result_holder(case)
    _check_can_issue(case, license_type, holder)
    given = {**form_answers_for_result(case), **(data.get("result_surface") or {})}
    return issue_license(
        license_type=license_type,
        issuer=case.department,
        holder_code=holder.code,
        holder_name=holder.name,
        surface=result_surface(case=case, license_type=license_type, given=given),
        issued_by=case.decided_by,
        issued_on=_decided_on(case),
        valid_until=_result_valid_until(data),
    )


def _supersede(case: Case, new: License) -> list[License]:
    """Revoke (注销) the licenses the form's ``result_supersedes`` material was proven by in this case, of
    the new license's type and still in force: 转移登记's new 不动产权证书 replaces the seller's, which must
    not stay valid for a house they no longer own. The case and its bundle are not flagged for it."""
    key = (case.form.schema if case.form is not None else {}).get("result_supersedes")
    if not key:
        return []
    used = (
        case.materials.filter(key=key, superseded=False, license__license_type=new.license_type)
        .filter(license__status__in=[LicenseStatus.VALID, LicenseStatus.SUSPENDED])
        .select_related("license__license_type")
    )
    family = {case.pk}
    if case.parent_id:
        family |= {
            case.parent_id,
            *Case.objects.filter(parent_id=case.parent_id).values_list("pk", flat=True),
        }
    olds = {material.license.pk: material.license for material in used if material.license is not None}
    replaced = []
    with sparing(family):
        for old in olds.values():
            change_license_status(
                license=old,
                to_status=LicenseStatus.REVOKED,
                reason=f"已由办件 {case.number} 的办理结果 {new.identifier} 替代",
                changed_by=case.decided_by,
            )
            replaced.append(old)
    return replaced


@transaction.atomic
def issue_result(*, case: Case, data: Mapping[str, Any] | None = None) -> License | None:
    """Issue the case's result license (if its implementation has one) and its 准予 decision document.

    ``data`` are the workflow's data: ``result_surface`` (surface fields the approver entered at the
    decision, e.g. the tax assessed) wins over the form's answers (``form_answers_for_result``). Issued
    once: a case that already has its result returns it.
    """
    data = data or {}
    implementation = case.implementation
    if implementation is None:
        raise Conflict("一件事主件没有自己的办理结果，结果由各分办件签发", code="bundle_parent_has_no_result")
    if case.result_license_id:
        return case.result_license
    license_type = _result_license_type(case)
    license = _issue_license(case, license_type, data) if license_type else None
    case.result_license = license
    replaced = _supersede(case, license) if license is not None else []
    approval = Approval(
        decided_on=_decided_on(case),
        basis=case.decision_basis or str(data.get("legal_basis") or "") or implementation.item.legal_basis,
        result_name=implementation.result_name or implementation.name,
        license_name=license_type.name if license_type else "",
        license_identifier=license.identifier if license else "",
    )
    _store_document(case, "approval", approval_pdf(case=case, approval=approval))
    text = "准予决定书已出具"
    if license_type and license:
        wallet = "电子证照夹"
        if license.holder_code != case.holder_code:
            wallet = f"权利人{license.holder_name}的电子证照夹"
        text = f"办理结果“{license_type.name}”已签发至{wallet}（证照标识 {license.identifier}），" + text
    for old in replaced:
        text += f"；原“{old.license_type.name}”（证照标识 {old.identifier}）已注销，由本结果替代"
    identifier = license.identifier if license else None
    record_case_action(
        case=case,
        actor=case.decided_by,
        action=AuditAction.RESULT_ISSUED,
        topic=CASE_RESULT_ISSUED,
        text=text,
        changed=("result_license", "decision_document"),
        details={"license": identifier},
        published={"license": identifier},
    )
    return license


# --- refusal ----------------------------------------------------------------------------------------


@transaction.atomic
def notify_refusal(*, case: Case, data: Mapping[str, Any] | None = None) -> Rights:
    """Write the 不予 decision document (reasons, basis, rights and their last days); tell the applicant."""
    data = data or {}
    reason = (case.decision_reason or str(data.get("reason") or "")).strip()
    if not reason:
        raise InvalidInput("不予决定须说明理由", code="refusal_reason_required")
    implementation = case.implementation
    basis = (case.decision_basis or str(data.get("legal_basis") or "")).strip()
    basis = basis or (implementation.item.legal_basis if implementation else "")
    rights = rights_of_remedy(decided_on=_decided_on(case))
    refusal = Refusal(decided_on=rights.decided_on, reason=reason, basis=basis, rights=rights)
    _store_document(case, "refusal", refusal_pdf(case=case, refusal=refusal))
    record_case_action(
        case=case,
        actor=case.decided_by,
        action=AuditAction.REFUSAL_NOTIFIED,
        topic=CASE_REFUSAL_NOTIFIED,
        text=(
            f"不予决定书已出具：可于 {rights.reconsideration_until} 前申请行政复议，"
            f"或于 {rights.litigation_until} 前提起行政诉讼"
        ),
        changed=("decision_document",),
        published={
            "reconsideration_until": rights.reconsideration_until.isoformat(),
            "litigation_until": rights.litigation_until.isoformat(),
        },
    )
    tell_applicant(
        case=case,
        topic=MessageTopic.CASE_REFUSED,
        context={
            "reconsideration_until": rights.reconsideration_until.isoformat(),
            "litigation_until": rights.litigation_until.isoformat(),
        },
    )
    return rights


# --- delivery and escalation ------------------------------------------------------------------------


@transaction.atomic
def deliver_result(*, case: Case, data: Mapping[str, Any] | None = None) -> str:
    """送达: the result reaches the applicant (electronically by default); timeline, notice, event."""
    method = str((data or {}).get("delivery") or "electronic")
    if method not in DELIVERY_METHODS:
        raise InvalidInput(f"不支持的送达方式：{method}", code="invalid_delivery_method")
    what = "电子证照和决定书" if case.result_license_id else "决定书"
    record_case_action(
        case=case,
        actor=None,
        action=AuditAction.RESULT_DELIVERED,
        topic=CASE_RESULT_DELIVERED,
        text=f"办理结果已{DELIVERY_METHODS[method]}：{what}可在办件详情中查看和下载",
        published={"delivery": method},
    )
    tell_applicant(case=case, topic=MessageTopic.CASE_RESULT_DELIVERED)
    return method


ESCALATED_TITLE = gettext_noop("督办：办件 {number} 临近或超过承诺办结日期")
ESCALATED_BODY = gettext_noop("{department}办理的办件 {number}（承诺办结日期 {due}）尚未办结，请督促办理。")


def _supervisors(case: Case) -> list[Any]:
    holders = list_holders_of_permission(permission="supervision.view", region_code=case.region_id)
    return [holder.user for holder in holders if holder.department_id == case.department_id]


@transaction.atomic
def escalate(*, case: Case, data: Mapping[str, Any] | None = None) -> int:
    """A deadline timer fired (督办): timeline (staff only), audit, event and a notice to each of the
    department's supervisors (or to the department when it has none); returns the notices raised."""
    due = case.promised_due.isoformat() if case.promised_due else "未定"
    text = f"办件临近或超过承诺办结日期（{due}），已提请效能监察督办"
    record_case_action(
        case=case,
        actor=None,
        action=AuditAction.CASE_ESCALATED,
        topic=CASE_ESCALATED,
        text=text,
        is_public=False,
        details={"timer": str((data or {}).get("timer") or "")},
    )
    title = render(ESCALATED_TITLE, {"number": case.number}, language="zh-hans")
    body = render(
        ESCALATED_BODY,
        {"number": case.number, "department": case.department.name, "due": due},
        language="zh-hans",
    )
    supervisors = _supervisors(case)
    if not supervisors:  # no supervisor: the department's administrators are alerted
        raise_notice(department=case.department, title=title, body=body)
        return 1
    for supervisor in supervisors:
        notify(
            recipient=supervisor,
            topic=MessageTopic.CASE_ESCALATED,
            title=ESCALATED_TITLE,
            body=ESCALATED_BODY,
            context={"number": case.number, "department": case.department.name, "due": due},
            link=reverse("applications:workbench_case", args=[case.number]),
            department=case.department,
        )
    return len(supervisors)


# --- the workflow's service tasks -------------------------------------------------------------------


@register_handler("issue_result")
def handle_issue_result(case: Case, data: dict[str, Any]) -> dict[str, Any]:
    license = issue_result(case=case, data=data)
    return {"result_license": license.identifier if license else None}


@register_handler("notify_refusal")
def handle_notify_refusal(case: Case, data: dict[str, Any]) -> dict[str, Any]:
    rights = notify_refusal(case=case, data=data)
    return {
        "reconsideration_until": rights.reconsideration_until.isoformat(),
        "litigation_until": rights.litigation_until.isoformat(),
    }


@register_handler("deliver_result")
def handle_deliver_result(case: Case, data: dict[str, Any]) -> dict[str, Any]:
    return {"delivered_by": deliver_result(case=case, data=data)}


@register_handler("escalate")
def handle_escalate(case: Case, data: dict[str, Any]) -> dict[str, Any]:
    return {"escalated": escalate(case=case, data=data)}
