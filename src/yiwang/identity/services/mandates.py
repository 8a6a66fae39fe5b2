"""Enterprises bound by their legal representative, mandates to agents, and checking an agent's action."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NoReturn

from django.db import transaction
from django.utils import timezone

from yiwang.audit.constants import GroundKind, Outcome
from yiwang.audit.services import record_event
from yiwang.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from yiwang.core.identifiers import InvalidIdentifier, normalize_credit_code, parse_resident_id

from ..constants import AssuranceLevel, AuditAction, PrincipalKind
from ..masking import mask_id_number
from ..models import Enterprise, Mandate, User
from .register_checks import register_checks

MAX_MANDATE_DAYS = 3 * 366


def _mandate_facts(mandate: Mandate | None) -> dict:
    """Whom an agent acts for under a mandate, as the audit log records it."""
    if mandate is None:
        return {}
    principal = mandate.enterprise.credit_code if mandate.enterprise else mandate.granted_by.id_number
    return {
        "mandate_id": mandate.pk,
        "on_behalf_of": mandate.principal_label,
        "subject": principal or "",
        "ground_kind": GroundKind.MANDATE,
        "ground_ref": str(mandate.pk),
    }


def _refuse(
    *, action: str, actor: User, error: Exception, details: dict, mandate: Mandate | None = None, subject=""
) -> NoReturn:
    reason = getattr(error, "code", "refused")
    facts = _mandate_facts(mandate) or {"subject": subject}
    with transaction.atomic():
        record_event(
            action=action,
            actor=actor,
            outcome=Outcome.REFUSED,
            reason=reason,
            details={"reason": reason, **details},
            **facts,
        )
    raise error


def bind_enterprise(*, user: User, credit_code: str) -> Enterprise:
    """Bind a company whose registered legal representative is this (level 3+) user."""
    details = {"credit_code": (credit_code or "")[:18]}
    try:
        if user.assurance_level < AssuranceLevel.REGISTER_VERIFIED:
            raise PermissionDenied("绑定企业需要三级及以上实名认证", code="level_3_required")
        credit_code = normalize_credit_code(credit_code)
        record = register_checks.configured().legal_person(
            requested_by=user, credit_code=credit_code, purpose="企业法定代表人身份核验"
        )
        if record is None:
            raise InvalidInput("法人库中没有该统一社会信用代码的登记信息", code="legal_person_unknown")
        if record.legal_representative_id_number != user.id_number:
            raise PermissionDenied("您不是该企业登记的法定代表人", code="not_legal_representative")
        if not record.is_active:
            raise InvalidInput("该企业已吊销或注销，不能绑定", code="legal_person_inactive")
    except (InvalidInput, PermissionDenied) as error:
        _refuse(
            action=AuditAction.ENTERPRISE_BIND_REFUSED,
            actor=user,
            error=error,
            details=details,
            subject=details["credit_code"],
        )
    with transaction.atomic():
        enterprise, _ = Enterprise.objects.update_or_create(
            credit_code=credit_code,
            defaults={"name": record.name, "representative": user},
        )
        record_event(
            action=AuditAction.ENTERPRISE_BOUND,
            actor=user,
            target=enterprise,
            subject=enterprise.credit_code,
            details=details,
        )
    return enterprise


def _find_agent(*, id_number: str, name: str) -> User:
    try:
        id_number = parse_resident_id(id_number).number
    except InvalidIdentifier as error:
        raise InvalidInput(f"经办人身份号码不正确：{error.message}", code=error.code) from None
    agent = User.objects.filter(id_number=id_number, is_active=True).first()
    if agent is None or agent.full_name != (name or "").strip():
        raise InvalidInput("未找到该姓名和身份号码对应的平台用户", code="agent_unknown")
    if agent.assurance_level < AssuranceLevel.REGISTER_VERIFIED:
        raise InvalidInput("经办人需完成三级及以上实名认证", code="agent_level_too_low")
    return agent


def _check_dates(valid_from: dt.date, valid_until: dt.date) -> None:
    if valid_until < valid_from:
        raise InvalidInput("截止日期不能早于生效日期", code="mandate_dates_reversed")
    if valid_until < timezone.localdate():
        raise InvalidInput("截止日期已过", code="mandate_already_expired")
    if (valid_until - valid_from).days > MAX_MANDATE_DAYS:
        raise InvalidInput("委托期限最长三年", code="mandate_too_long")


def grant_mandate(
    *,
    granted_by: User,
    agent_id_number: str,
    agent_name: str,
    valid_from: dt.date,
    valid_until: dt.date,
    enterprise: Enterprise | None = None,
    covers_all_items: bool = False,
    items: Sequence = (),
    note: str = "",
) -> Mandate:
    """Authorize an agent, found by ID number and name, for all or chosen items between two dates."""
    from yiwang.catalog.models import ServiceItem

    details = {
        "agent": mask_id_number(agent_id_number),
        "enterprise": enterprise.credit_code if enterprise else "",
    }
    try:
        if enterprise is not None and enterprise.representative_id != granted_by.pk:
            raise PermissionDenied("只有企业法定代表人可以授权经办人", code="not_legal_representative")
        if granted_by.assurance_level < AssuranceLevel.REGISTER_VERIFIED:
            raise PermissionDenied("授权委托需要三级及以上实名认证", code="level_3_required")
        agent = _find_agent(id_number=agent_id_number, name=agent_name)
        if agent.pk == granted_by.pk:
            raise InvalidInput("不能委托给自己", code="mandate_to_self")
        _check_dates(valid_from, valid_until)
        item_list = list(items)
        if not covers_all_items and not item_list:
            raise InvalidInput("请选择授权的事项，或授权全部事项", code="mandate_scope_empty")
        if any(not isinstance(item, ServiceItem) for item in item_list):
            raise InvalidInput("授权事项无效", code="unknown_item")
    except (InvalidInput, PermissionDenied) as error:
        _refuse(action=AuditAction.MANDATE_GRANT_REFUSED, actor=granted_by, error=error, details=details)
    with transaction.atomic():
        mandate = Mandate.objects.create(
            principal_kind=PrincipalKind.ENTERPRISE if enterprise else PrincipalKind.PERSON,
            enterprise=enterprise,
            granted_by=granted_by,
            agent=agent,
            covers_all_items=covers_all_items,
            valid_from=valid_from,
            valid_until=valid_until,
            note=note[:200],
        )
        if not covers_all_items:
            mandate.items.set(item_list)
        record_event(
            action=AuditAction.MANDATE_GRANTED,
            actor=granted_by,
            target=mandate,
            **_mandate_facts(mandate),
            details={
                **details,
                "items": [item.code for item in item_list],
                "all_items": covers_all_items,
                "valid_from": valid_from.isoformat(),
                "valid_until": valid_until.isoformat(),
            },
        )
    return mandate


@transaction.atomic
def revoke_mandate(*, mandate: Mandate, revoked_by: User) -> Mandate:
    """End a mandate now; the principal (or the enterprise's current representative) or the agent may."""
    locked = Mandate.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=mandate.pk)
    principal_ids = {locked.granted_by_id, locked.enterprise.representative_id if locked.enterprise else None}
    if revoked_by.pk not in principal_ids | {locked.agent_id}:
        raise NotFound("未找到该授权委托", code="mandate_not_found")
    if locked.revoked_at is None:
        locked.revoked_at, locked.revoked_by = timezone.now(), revoked_by
        locked.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        record_event(
            action=AuditAction.MANDATE_REVOKED, actor=revoked_by, target=locked, **_mandate_facts(locked)
        )
    return locked


def mandate_problem(
    *, mandate: Mandate, agent: User, item_code: str | None, today: dt.date
) -> DomainError | None:
    """Why this mandate does not let this agent act on this item today, or None when it does."""
    if mandate.agent_id != agent.pk:
        return PermissionDenied("您不是该委托的经办人", code="not_mandate_agent")
    if mandate.revoked_at is not None:
        return PermissionDenied("该委托已被撤销", code="mandate_revoked")
    if today < mandate.valid_from:
        return PermissionDenied("该委托尚未生效", code="mandate_not_yet_valid")
    if today > mandate.valid_until:
        return PermissionDenied(f"该委托已于{mandate.valid_until:%Y年%m月%d日}到期", code="mandate_expired")
    if item_code and not mandate.covers_all_items and not mandate.items.filter(code=item_code).exists():
        return PermissionDenied("该事项不在委托授权范围内", code="item_outside_mandate")
    return None


def authorize_agent_action(*, agent: User, mandate: Mandate, item_code: str | None, action: str) -> Mandate:
    """Let an agent act for the principal within the mandate, recording it; refuse and log otherwise."""
    mandate = Mandate.objects.select_related("enterprise", "granted_by").get(pk=mandate.pk)  # current state
    problem = mandate_problem(mandate=mandate, agent=agent, item_code=item_code, today=timezone.localdate())
    details = {"item": item_code or "", "action": action}
    if problem is not None:
        _refuse(
            action=AuditAction.MANDATE_REFUSED, actor=agent, error=problem, details=details, mandate=mandate
        )
    with transaction.atomic():
        record_event(
            action=AuditAction.ACTED_FOR,
            actor=agent,
            target=mandate,
            details=details,
            **_mandate_facts(mandate),
        )
    return mandate
