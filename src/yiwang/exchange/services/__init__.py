"""Writes of the exchange: publishing register resources, requesting, deciding and revoking grants.

Each service is one transaction, takes row locks before a state change and records its audit event in
that transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.audit.services import record_event
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.workdays import load_calendar
from yiwang.identity.models import ClientProfile
from yiwang.identity.selectors import assignment_with_permission, department_ids_with_permission
from yiwang.regions.models import Department
from yiwang.registers.models import Register

from ..catalog import REGISTER_RESOURCES, ResourceSpec
from ..constants import (
    AGGREGATION_LIMIT,
    DECISION_WORKING_DAYS,
    MANAGE_PERMISSION,
    MASK_ORDER,
    SENSITIVE_PERMISSION,
    Grade,
    Mask,
    OpenType,
    RequestStatus,
    SharingType,
)
from ..models import DataItem, Grant, Resource, ShareRequest

if TYPE_CHECKING:
    from yiwang.identity.models import StaffAssignment, User

RESOURCE_PUBLISHED = "exchange.resource_published"
REQUEST_SUBMITTED = "exchange.request_submitted"
REQUEST_DECIDED = "exchange.request_decided"
REQUEST_SECOND_DECIDED = "exchange.request_second_decided"
GRANT_REVOKED = "exchange.grant_revoked"


# The catalog ---------------------------------------------------------------------------------------


def _publish(spec: ResourceSpec, provider: Department, published_on: dt.date) -> Resource:
    values = {
        "name": spec.name,
        "provider": provider,
        "summary": spec.summary,
        "source": spec.source,
        "sharing_type": spec.sharing_type,
        "sharing_conditions": spec.sharing_conditions,
        "open_type": OpenType.NOT_OPEN,
        "update_cycle": spec.update_cycle,
    }
    resource, created = Resource.objects.update_or_create(
        code=spec.code, defaults=values, create_defaults={**values, "published_on": published_on}
    )
    for item in spec.items:
        DataItem.objects.update_or_create(
            resource=resource,
            code=item.code,
            defaults={
                "name": item.name,
                "data_type": item.data_type,
                "length": item.length,
                "grade": item.grade,
                "is_personal": item.is_personal,
                "is_sensitive_personal": item.is_sensitive_personal,
            },
        )
    if created:
        record_event(action=RESOURCE_PUBLISHED, target=resource, department=provider)
    return resource


@transaction.atomic
def publish_register_resources(*, published_on: dt.date | None = None) -> list[Resource]:
    """Publish the population and legal-person registers as resources of their holders; idempotent."""
    published_on = published_on or timezone.localdate()
    holders: dict[str, Department] = {
        register.code: register.department
        for register in Register.objects.select_related("department").filter(department__isnull=False)
        if register.department is not None
    }
    return [
        _publish(spec, holders[spec.source], published_on)
        for spec in REGISTER_RESOURCES
        if spec.source in holders
    ]


# Requests --------------------------------------------------------------------------------------------


def _manager_in(actor: User, department_id: int) -> StaffAssignment | None:
    return assignment_with_permission(actor=actor, permission=MANAGE_PERMISSION, department_id=department_id)


def _role_facts(assignment: StaffAssignment | None) -> dict[str, Any]:
    if assignment is None:
        return {}
    return {
        "actor_role": assignment.role,
        "actor_department": assignment.department,
        "actor_region_code": assignment.region_id,
    }


def _check_system(system: Application, consumer: Department) -> None:
    belongs = ClientProfile.objects.filter(application=system, department=consumer).exists()
    if not belongs or system.authorization_grant_type != Application.GRANT_CLIENT_CREDENTIALS:
        raise InvalidInput("使用系统须为本部门登记的、以客户端凭证接入的业务系统", code="invalid_system")


def _requested_masks(resource: Resource, item_codes: Iterable[str], full_items: Iterable[str]) -> dict:
    items = {item.code: item for item in resource.items.all()}
    wanted, full = set(item_codes), set(full_items)
    unknown = sorted((wanted | full) - set(items))
    if not wanted or unknown or not full <= wanted:
        raise InvalidInput("信息项不在该资源的目录中", code="unknown_item", items=unknown)
    return {
        code: Mask.PARTIAL if items[code].grade == Grade.SENSITIVE and code not in full else Mask.FULL
        for code in sorted(wanted)
    }


def needs_second_approval(resource: Resource, item_codes: Iterable[str]) -> bool:
    """Grade-4 items, or more grade-3 personal items than the aggregation limit, need a second approval."""
    items = list(resource.items.filter(code__in=list(item_codes)))
    sensitive = sum(1 for item in items if item.grade == Grade.SENSITIVE and item.is_personal)
    return any(item.grade == Grade.CORE for item in items) or sensitive > AGGREGATION_LIMIT


def _check_request_text(*, purpose: str, service_item_codes: list[str], legal_basis: str, ends_on: dt.date):
    if not purpose.strip() or not legal_basis.strip() or not [code for code in service_item_codes if code]:
        raise InvalidInput("申请须写明用途、对应的事项编码和依据", code="purpose_required")
    if ends_on <= timezone.localdate():
        raise InvalidInput("授权截止日期须晚于今天", code="invalid_end_date")


@transaction.atomic
def request_resource(
    *,
    actor: User,
    resource: Resource,
    consumer: Department,
    system: Application,
    purpose: str,
    service_item_codes: list[str],
    legal_basis: str,
    item_codes: Iterable[str],
    ends_on: dt.date,
    full_items: Iterable[str] = (),
) -> ShareRequest:
    """A consumer department's data administrator asks for a resource; unconditional ones are granted."""
    assignment = _manager_in(actor, consumer.pk)
    if assignment is None:
        raise PermissionDenied("只有本部门的数据管理员可以申请共享资源", code="not_data_admin")
    if resource.sharing_type == SharingType.NOT_SHARED:
        raise PermissionDenied(
            f"该资源不予共享，依据：{resource.legal_basis}",
            code="resource_not_shared",
            legal_basis=resource.legal_basis,
        )
    _check_request_text(
        purpose=purpose, service_item_codes=service_item_codes, legal_basis=legal_basis, ends_on=ends_on
    )
    _check_system(system, consumer)
    masks = _requested_masks(resource, item_codes, full_items)
    now = timezone.now()
    second = needs_second_approval(resource, masks)
    share = ShareRequest.objects.create(
        resource=resource,
        consumer=consumer,
        system=system,
        requested_by=actor,
        purpose=purpose.strip()[:200],
        service_item_codes=sorted({code for code in service_item_codes if code}),
        legal_basis=legal_basis.strip(),
        masks=masks,
        ends_on=ends_on,
        needs_second_approval=second,
        status=RequestStatus.PENDING,
        submitted_at=now,
        decision_due=load_calendar().add_working_days(timezone.localdate(now), DECISION_WORKING_DAYS),
    )
    if resource.sharing_type == SharingType.UNCONDITIONAL:
        _advance_after_provider(share)
    record_event(
        action=REQUEST_SUBMITTED,
        actor=actor,
        target=share,
        department=resource.provider,
        fields=masks,
        purpose=share.purpose,
        details={"status": share.status, "system": system.client_id},
        **_role_facts(assignment),
    )
    return share


def _advance_after_provider(share: ShareRequest) -> None:
    """After the provider's yes (or at once when unconditional): grant, or wait for the second approval."""
    if share.needs_second_approval:
        share.status = RequestStatus.AWAITING_SECOND_APPROVAL
    else:
        _grant(share)
    share.save(update_fields=["status"])


def _grant(share: ShareRequest) -> Grant:
    share.status = RequestStatus.GRANTED
    return Grant.objects.create(
        request=share,
        resource=share.resource,
        consumer=share.consumer,
        system=share.system,
        purpose=share.purpose,
        service_item_codes=share.service_item_codes,
        masks=share.masks,
        ends_on=share.ends_on,
        granted_at=timezone.now(),
    )


def _locked_request(request_id: int) -> ShareRequest:
    share = (
        ShareRequest.objects.select_for_update()
        .select_related("resource__provider")
        .filter(pk=request_id)
        .first()
    )
    if share is None:
        raise NotFound("未找到该共享申请", code="request_not_found")
    return share


def _narrowed(requested: Mapping[str, str], decided: Mapping[str, str] | None) -> dict[str, str]:
    """The provider may narrow how items are given (full → partial → withheld), never widen it."""
    masks = dict(requested)
    for code, mask in (decided or {}).items():
        if code not in masks or mask not in MASK_ORDER or MASK_ORDER[mask] > MASK_ORDER[masks[code]]:
            raise InvalidInput("审核只能收窄申请的信息项及提供方式", code="invalid_masks", item=code)
        masks[code] = mask
    return masks


@transaction.atomic
def decide_request(
    *,
    actor: User,
    request_id: int,
    approve: bool,
    reason: str = "",
    masks: Mapping[str, str] | None = None,
) -> ShareRequest:
    """The provider's data administrator approves (possibly narrowing the items) or refuses with a reason."""
    share = _locked_request(request_id)
    assignment = _manager_in(actor, share.resource.provider_id)
    if assignment is None:
        raise NotFound("未找到该共享申请", code="request_not_found")
    if share.status != RequestStatus.PENDING:
        raise Conflict("该申请已审核", code="request_already_decided")
    if not approve and not reason.strip():
        raise InvalidInput("拒绝须说明理由", code="refusal_reason_required")
    share.decided_by, share.decided_at = actor, timezone.now()
    if approve:
        share.masks = _narrowed(share.masks, masks)
        share.save(update_fields=["decided_by", "decided_at", "masks"])
        _advance_after_provider(share)
    else:
        share.status, share.refusal_reason = RequestStatus.REFUSED, reason.strip()
        share.save(update_fields=["decided_by", "decided_at", "status", "refusal_reason"])
    record_event(
        action=REQUEST_DECIDED,
        actor=actor,
        target=share,
        department=share.resource.provider,
        reason="approved" if approve else "refused",
        details={"status": share.status},
        **_role_facts(assignment),
    )
    return share


@transaction.atomic
def approve_sensitive_request(
    *, actor: User, request_id: int, approve: bool, reason: str = ""
) -> ShareRequest:
    """The platform's security approval of grade-4 (or aggregated grade-3) items: a second person."""
    share = _locked_request(request_id)
    if not department_ids_with_permission(actor, SENSITIVE_PERMISSION):
        raise NotFound("未找到该共享申请", code="request_not_found")
    if share.status != RequestStatus.AWAITING_SECOND_APPROVAL:
        raise Conflict("该申请不在待安全审批状态", code="not_awaiting_second_approval")
    if actor.pk in {share.requested_by_id, share.decided_by_id}:
        raise PermissionDenied("申请人或提供方审核人不能进行安全审批", code="same_person")
    if not approve and not reason.strip():
        raise InvalidInput("拒绝须说明理由", code="refusal_reason_required")
    share.second_approved_by, share.second_approved_at = actor, timezone.now()
    if approve:
        _grant(share)
    else:
        share.status, share.refusal_reason = RequestStatus.REFUSED, reason.strip()
    share.save(update_fields=["second_approved_by", "second_approved_at", "status", "refusal_reason"])
    record_event(
        action=REQUEST_SECOND_DECIDED,
        actor=actor,
        target=share,
        department=share.resource.provider,
        reason="approved" if approve else "refused",
        details={"status": share.status},
    )
    return share


@transaction.atomic
def revoke_grant(*, actor: User, grant_id: int, reason: str) -> Grant:
    """Either department's data administrator ends a grant before its end date; calls stop at once."""
    grant = Grant.objects.select_for_update().select_related("resource").filter(pk=grant_id).first()
    if grant is None:
        raise NotFound("未找到该共享授权", code="grant_not_found")
    assignment = _manager_in(actor, grant.resource.provider_id) or _manager_in(actor, grant.consumer_id)
    if assignment is None:
        raise NotFound("未找到该共享授权", code="grant_not_found")
    if grant.revoked_at is not None:
        raise Conflict("该授权已撤销", code="grant_already_revoked")
    if not reason.strip():
        raise InvalidInput("撤销须说明理由", code="revoke_reason_required")
    grant.revoked_at, grant.revoked_by, grant.revoke_reason = timezone.now(), actor, reason.strip()
    grant.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    record_event(
        action=GRANT_REVOKED,
        actor=actor,
        target=grant,
        department=grant.resource.provider,
        reason="revoked",
        details={"consumer": grant.consumer_id},
        **_role_facts(assignment),
    )
    return grant
