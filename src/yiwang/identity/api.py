"""/api/v1 identity endpoints: who am I, my mandates, the staff directory (session or bearer token)."""

from __future__ import annotations

from typing import Literal

from django.utils import timezone
from ninja import Field, Query, Router, Status

from yiwang.catalog.selectors import list_service_items
from yiwang.core.api_auth import bearer_scope, session_only
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.pagination import paginate
from yiwang.core.schemas import ErrorOut, PageQuery, page_of, render_page

from .masking import mask_id_number, mask_phone
from .models import Enterprise, Mandate
from .oidc.claims import pairwise_subject
from .schemas import MandateCheckOut, MandateIn, MandateOut, MeOut, StaffMemberOut
from .selectors import (
    access_mandate_by_id,
    list_enterprises_represented,
    list_mandates_given,
    list_mandates_received,
    list_staff_directory,
)
from .services import grant_mandate, mandate_problem, revoke_mandate

# Each endpoint names the scope a bearer token needs; one that names none is for the session only.
router = Router(tags=["identity"], auth=session_only)
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


def _mandate_out(mandate: Mandate) -> dict:
    today = timezone.localdate()
    return {
        "id": mandate.pk,
        "principal_kind": mandate.principal_kind,
        "principal_name": mandate.principal_label,
        "enterprise_credit_code": mandate.enterprise.credit_code if mandate.enterprise_id else None,
        "granted_by_name": mandate.granted_by.full_name,
        "agent_name": mandate.agent.full_name,
        "covers_all_items": mandate.covers_all_items,
        "item_codes": [item.code for item in mandate.items.all()],
        "valid_from": mandate.valid_from,
        "valid_until": mandate.valid_until,
        "revoked_at": mandate.revoked_at,
        "is_active": mandate.revoked_at is None and mandate.valid_from <= today <= mandate.valid_until,
        "note": mandate.note,
    }


@router.get("/me", response={200: MeOut, **ERRORS}, auth=bearer_scope("profile"), summary="当前用户")
def me(request):
    user = request.auth
    roles = user.staff_assignments.select_related("department", "region") if user.is_staff_member else []
    client = getattr(request, "oauth_client", None)
    return {
        # A client sees the user's pairwise identifier, never the global ones that would link it to others.
        "public_id": pairwise_subject(user=user, client_id=client.client_id) if client else user.public_id,
        "username": "" if client else user.username,
        "name": user.full_name,
        "assurance_level": user.assurance_level,
        "assurance_label": user.get_assurance_level_display(),
        "id_number_masked": mask_id_number(user.id_number or ""),
        "phone_masked": mask_phone(user.phone),
        "phone_verified": user.phone_verified_at is not None,
        "is_staff_member": user.is_staff_member,
        "staff_roles": [
            {
                "department": r.department.name,
                "department_credit_code": r.department.credit_code,
                "role": r.role,
                "role_label": r.get_role_display(),
                "region_code": r.region_id,
            }
            for r in roles
        ],
        "enterprises": [
            {"credit_code": e.credit_code, "name": e.name} for e in list_enterprises_represented(user=user)
        ],
    }


class MandatePageQuery(PageQuery):
    direction: Literal["given", "received"] = Field(
        ..., description="given 我（或我代表的企业）授权的；received 我收到的"
    )


@router.get(
    "/me/mandates",
    response={200: page_of(MandateOut), **ERRORS},
    auth=bearer_scope("mandates:read"),
    summary="我授权的或我收到的委托（分页，最新在前）",
)
def my_mandates(request, page: Query[MandatePageQuery]):
    lister = list_mandates_given if page.direction == "given" else list_mandates_received
    found = paginate(lister(user=request.auth), ordering=["-id"], cursor=page.cursor, limit=page.limit)
    return render_page(found, _mandate_out)


@router.post(
    "/mandates", response={201: MandateOut, **ERRORS}, auth=bearer_scope("mandates:write"), summary="授权委托"
)
def create_mandate(request, payload: MandateIn):
    user = request.auth
    enterprise = None
    if payload.enterprise_credit_code:
        enterprise = Enterprise.objects.filter(
            credit_code=payload.enterprise_credit_code.strip().upper(), representative=user
        ).first()
        if enterprise is None:
            raise NotFound("未找到您代表的该企业", code="enterprise_not_found")
    try:
        items = list_service_items(codes=payload.item_codes)
    except NotFound:
        raise InvalidInput("授权事项中有不存在的事项编码", code="unknown_item") from None
    mandate = grant_mandate(
        granted_by=user,
        enterprise=enterprise,
        agent_id_number=payload.agent_id_number,
        agent_name=payload.agent_name,
        covers_all_items=payload.covers_all_items,
        items=items,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
        note=payload.note,
    )
    return Status(201, _mandate_out(mandate))


@router.get(
    "/mandates/{mandate_id}",
    response={200: MandateOut, **ERRORS},
    auth=bearer_scope("mandates:read"),
    summary="委托详情",
)
def get_mandate(request, mandate_id: int):
    return _mandate_out(access_mandate_by_id(actor=request.auth, mandate_id=mandate_id))


@router.post(
    "/mandates/{mandate_id}/revoke",
    response={200: MandateOut, **ERRORS},
    auth=bearer_scope("mandates:write"),
    summary="撤销委托",
)
def revoke(request, mandate_id: int):
    mandate = access_mandate_by_id(actor=request.auth, mandate_id=mandate_id)
    return _mandate_out(revoke_mandate(mandate=mandate, revoked_by=request.auth))


@router.get(
    "/mandates/{mandate_id}/check",
    response={200: MandateCheckOut, **ERRORS},
    auth=bearer_scope("mandates:read"),
    summary="经办人能否在该委托下办理某事项",
)
def check_mandate(request, mandate_id: int, item_code: str | None = None):
    mandate = access_mandate_by_id(actor=request.auth, mandate_id=mandate_id)
    problem = mandate_problem(
        mandate=mandate, agent=mandate.agent, item_code=item_code, today=timezone.localdate()
    )
    if problem is None:
        return {"allowed": True, "code": "allowed", "message": "可以办理"}
    return {"allowed": False, "code": problem.code, "message": problem.message}


@router.get(
    "/staff",
    response={200: page_of(StaffMemberOut), **ERRORS},
    auth=bearer_scope("staff:read"),
    summary="工作人员通讯录",
)
def staff_directory(request, page: Query[PageQuery], department: str | None = None):
    rows = list_staff_directory(actor=request.auth)
    if department:
        rows = rows.filter(department__credit_code=department)
    # Grouped by department (its id: keyset pages need plain columns), in the order roles were given.
    found = paginate(rows, ordering=["department", "id"], cursor=page.cursor, limit=page.limit)
    return render_page(found, _staff_member_out)


def _staff_member_out(row) -> dict:
    return {
        "name": row.user.full_name,
        "department": row.department.name,
        "department_credit_code": row.department.credit_code,
        "role": row.role,
        "role_label": row.get_role_display(),
        "region_code": row.region_id,
    }
