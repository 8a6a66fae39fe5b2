"""The licenses REST router: public keys and verification; holder, issuer and requester endpoints."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from yiwang.core.api_auth import bearer_scope
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.pagination import paginate
from yiwang.core.schemas import ERROR_RESPONSES, ErrorOut, PageQuery, page_of, render_page

from . import importers, presenters, selectors, services
from .models import LicenseType
from .regions_lookup import department_by_credit_code
from .schemas import (
    AcceptIn,
    BundleOut,
    ConsentIn,
    ConsentOut,
    ConsentRequestIn,
    ConsentRequestOut,
    ImportOut,
    IssueIn,
    LicenseOut,
    LicenseSummaryOut,
    LicenseTypeOut,
    PublicKeyOut,
    ReadIn,
    ShowOut,
    StatusIn,
    UseOut,
    VerificationOut,
    VerifyIn,
)

router = Router(tags=["电子证照"])
AUTH_ERRORS = {**ERROR_RESPONSES, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut}


def _type_by_code(code: str) -> LicenseType:
    license_type = selectors.list_license_types().filter(code=code).first()
    if license_type is None:
        raise NotFound("未找到该证照类型", code="license_type_not_found")
    return license_type


@router.get("/licenses/types", response={200: page_of(LicenseTypeOut), **ERROR_RESPONSES}, summary="证照目录")
def list_types(request: HttpRequest, page: Query[PageQuery]):
    types = paginate(selectors.list_license_types(), ordering=["code"], cursor=page.cursor, limit=page.limit)
    return render_page(types)


@router.get(
    "/licenses/keys",
    response={200: page_of(PublicKeyOut), **ERROR_RESPONSES},
    summary="签发机构公钥（含已轮换的）",
)
def list_keys(request: HttpRequest, page: Query[PageQuery]):
    keys = selectors.list_published_keys()
    found = paginate(keys, ordering=["key_id"], cursor=page.cursor, limit=page.limit)
    return render_page(found, presenters.key_out)


@router.get("/licenses/keys/{key_id}", response={200: PublicKeyOut, **ERROR_RESPONSES}, summary="单个公钥")
def get_key(request: HttpRequest, key_id: str):
    return presenters.key_out(selectors.get_published_key(key_id=key_id))


@router.post("/licenses/verify", response={200: VerificationOut, **ERROR_RESPONSES}, summary="验证电子证照")
def verify(request: HttpRequest, payload: VerifyIn):
    if payload.bundle is not None:
        result = selectors.verify_bundle(bundle=payload.bundle)
    elif payload.identifier:
        result = selectors.verify_license_identifier(identifier=payload.identifier)
    else:
        raise InvalidInput("请提供证照标识或验证包", code="identifier_or_bundle_required")
    return presenters.verification_out(result)


@router.get(
    "/licenses/show/{token}", response={200: VerificationOut, **ERROR_RESPONSES}, summary="扫描亮证码"
)
def scan_show(request: HttpRequest, token: str):
    license = services.scan_show_token(token=token)
    return presenters.verification_out(selectors.verify_license_identifier(identifier=license.identifier))


@router.get(
    "/licenses/mine",
    response={200: page_of(LicenseSummaryOut), **AUTH_ERRORS},
    auth=bearer_scope("licenses:read"),
    summary="我的证照（含受托代办的）",
)
def list_mine(request: HttpRequest, page: Query[PageQuery], holder_code: str | None = None):
    licenses = selectors.list_licenses_for_actor(actor=request.user, holder_code=holder_code)
    found = paginate(licenses, ordering=["-issued_on", "-id"], cursor=page.cursor, limit=page.limit)
    return render_page(found, presenters.license_summary)


@router.post(
    "/licenses",
    response={201: LicenseOut, **AUTH_ERRORS},
    auth=bearer_scope("licenses:write"),
    summary="签发证照",
)
def issue(request: HttpRequest, payload: IssueIn):
    license = services.issue_license_by_staff(actor=request.user, **payload.dict())
    return Status(201, presenters.license_detail(license))


@router.get(
    "/licenses/consents",
    response={200: page_of(ConsentOut), **AUTH_ERRORS},
    auth=bearer_scope("licenses:read"),
    summary="我的用证授权",
)
def list_consents(request: HttpRequest, page: Query[PageQuery]):
    consents = selectors.list_consents_for_actor(actor=request.user)
    found = paginate(consents, ordering=["-created_at", "-id"], cursor=page.cursor, limit=page.limit)
    return render_page(found, presenters.consent_out)


@router.post(
    "/licenses/consents",
    response={201: ConsentOut, **AUTH_ERRORS},
    auth=bearer_scope("licenses:write"),
    summary="授权用证",
)
def grant_consent(request: HttpRequest, payload: ConsentIn):
    license = None
    if payload.identifier:
        license = selectors.access_license_by_identifier(actor=request.user, identifier=payload.identifier)
    license_type = _type_by_code(payload.type_code) if payload.type_code else None
    consent = services.grant_consent(
        actor=request.user,
        holder_code=payload.holder_code,
        license=license,
        license_type=license_type,
        requester=department_by_credit_code(payload.requester_credit_code),
        purpose=payload.purpose,
        expires_at=payload.expires_at,
        requester_system=payload.requester_system,
    )
    return Status(201, presenters.consent_out(consent))


@router.post(
    "/licenses/consents/{consent_id}/revoke",
    response={200: ConsentOut, **AUTH_ERRORS},
    auth=bearer_scope("licenses:write"),
    summary="撤回用证授权",
)
def revoke_consent(request: HttpRequest, consent_id: int):
    return presenters.consent_out(services.revoke_consent(actor=request.user, consent_id=consent_id))


@router.get(
    "/licenses/uses",
    response={200: page_of(UseOut), **AUTH_ERRORS},
    auth=bearer_scope("licenses:read"),
    summary="我的证照被谁用过",
)
def list_uses(request: HttpRequest, page: Query[PageQuery]):
    uses = selectors.list_uses_for_actor(actor=request.user)
    found = paginate(uses, ordering=["-occurred_at", "-id"], cursor=page.cursor, limit=page.limit)
    return render_page(found, presenters.use_out)


@router.post(
    "/licenses/consent-requests",
    response={201: ConsentRequestOut, **AUTH_ERRORS},
    auth=bearer_scope("licenses:write"),
    summary="窗口发起用证授权（生成二维码）",
)
def request_consent(request: HttpRequest, payload: ConsentRequestIn):
    consent_request, token = services.create_consent_request(
        actor=request.user,
        requester=department_by_credit_code(payload.requester_credit_code),
        license_type=_type_by_code(payload.type_code),
        purpose=payload.purpose,
        consent_days=payload.consent_days,
    )
    url = f"{settings.SITE_URL}/licenses/consent-requests/{token}"
    return Status(201, {"token": token, "url": url, "expires_at": consent_request.expires_at})


@router.post(
    "/licenses/consent-requests/{token}/accept",
    response={201: ConsentOut, **AUTH_ERRORS},
    auth=bearer_scope("licenses:write"),
    summary="持证人扫码同意",
)
def accept_consent_request(request: HttpRequest, token: str, payload: AcceptIn):
    consent = services.accept_consent_request(
        actor=request.user, token=token, holder_code=payload.holder_code
    )
    return Status(201, presenters.consent_out(consent))


@router.post(
    "/licenses/imports",
    response={202: ImportOut, **AUTH_ERRORS},
    auth=bearer_scope("licenses:write"),
    summary="批量导入历史证照（Excel/CSV，整批成功或整批不导入）",
)
def start_import(
    request: HttpRequest, type_code: Form[str], issuer_credit_code: Form[str], file: File[UploadedFile]
):
    job = importers.start_import(
        actor=request.user,
        license_type=_type_by_code(type_code),
        issuer=department_by_credit_code(issuer_credit_code),
        upload=file,
    )
    return Status(202, importers.job_out(job))


@router.get(
    "/licenses/imports/{job_id}",
    response={200: ImportOut, **AUTH_ERRORS},
    auth=bearer_scope("licenses:read"),
    summary="导入进度",
)
def get_import(request: HttpRequest, job_id: int):
    return importers.job_out(importers.access_import_job(actor=request.user, job_id=job_id))


@router.get(
    "/licenses/{identifier}",
    response={200: LicenseOut, **AUTH_ERRORS},
    auth=bearer_scope("licenses:read"),
    summary="证照详情（持证人、受托人、签发部门证照管理员）",
)
def get_license(request: HttpRequest, identifier: str):
    return presenters.license_detail(
        selectors.access_license_by_identifier(actor=request.user, identifier=identifier)
    )


@router.get(
    "/licenses/{identifier}/bundle",
    response={200: BundleOut, **AUTH_ERRORS},
    auth=bearer_scope("licenses:read"),
    summary="下载验证包（规范化 JSON、签名、公钥）",
)
def get_bundle(request: HttpRequest, identifier: str):
    license = selectors.access_license_by_identifier(actor=request.user, identifier=identifier)
    return selectors.get_bundle(license=license)


@router.post(
    "/licenses/{identifier}/read",
    response={200: LicenseOut, **AUTH_ERRORS},
    auth=bearer_scope("licenses:read"),
    summary="用证部门凭授权读取证照",
)
def read_with_consent(request: HttpRequest, identifier: str, payload: ReadIn):
    license = services.read_license_with_consent(
        actor=request.user, identifier=identifier, requester_credit_code=payload.requester_credit_code
    )
    return presenters.license_detail(license)


@router.post(
    "/licenses/{identifier}/status",
    response={200: LicenseOut, **AUTH_ERRORS},
    auth=bearer_scope("licenses:write"),
    summary="暂停、注销或恢复证照（签发部门证照管理员）",
)
def change_status(request: HttpRequest, identifier: str, payload: StatusIn):
    license = services.change_license_status_by_staff(
        actor=request.user, identifier=identifier, to_status=payload.status, reason=payload.reason
    )
    return presenters.license_detail(license)


@router.post(
    "/licenses/{identifier}/show",
    response={201: ShowOut, **AUTH_ERRORS},
    auth=bearer_scope("licenses:write"),
    summary="亮证：生成短时有效的二维码",
)
def show(request: HttpRequest, identifier: str):
    license = selectors.access_license_by_identifier(actor=request.user, identifier=identifier)
    if not selectors.is_holder_side(actor=request.user, license=license):
        raise NotFound("未找到该电子证照", code="license_not_found")
    token, expires_at = services.create_show_token(actor=request.user, license=license)
    url = f"{settings.SITE_URL}/licenses/show/{token}"
    return Status(201, {"token": token, "url": url, "expires_at": expires_at})
