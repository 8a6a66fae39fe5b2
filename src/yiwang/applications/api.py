"""/api/v1/applications: apply, follow and answer one's applications (办件); the public status query.

Submitting is two steps. Each file a material needs is uploaded first (``POST /applications/uploads``,
multipart, one file): the answer is an upload reference, signed, bound to the uploader, valid a day.
The application itself is JSON (``POST /applications``) naming the uploads by material key, with the
header ``Idempotency-Key``: the same key again (a retry, a double click) gets the same case, ``200``
instead of ``201``, with the first answer's body (a day long; docs in ``submission_replays``).

Who sees a case: its applicant, the holder (a person, or an enterprise's legal representative), an agent
whose mandate in force covers the item, and staff with ``application.view`` in its department and
region. Everyone else, a missing case alike, gets ``404 case_not_found``. Staff actions are under
/workbench (``api_workbench``). Every change goes through ``services.cases``, which writes the audit
entry, the timeline and the outbox event (``case.submitted`` …) in the change's transaction.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Header, Query, Router, Status
from ninja.files import UploadedFile

from yiwang.catalog.models import Bundle
from yiwang.core.api_auth import bearer_scope
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied, Throttled
from yiwang.core.schemas import ERROR_RESPONSES, ErrorOut, page_of, render_page
from yiwang.identity.models import Mandate
from yiwang.identity.selectors import list_active_mandates_received

from . import presenters, selectors, submission_replays, upload_references
from .api_workbench import router as workbench_router
from .constants import Channel
from .schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    ApplicationIn,
    ApplicationListQuery,
    CaseNumber,
    CaseOut,
    CaseSummaryOut,
    Code,
    FormOut,
    FormQuery,
    PublicStatusOut,
    PublicStatusQuery,
    SubmissionOut,
    SupplementIn,
    UploadOut,
    WithdrawIn,
)
from .services import cases, materials, receipts
from .services.applicant_forms import form_for_actor
from .services.numbers import normalize_case_number
from .status_throttle import count_failure, is_throttled, window_seconds

READ = bearer_scope("applications:read")
WRITE = bearer_scope("applications:write")
ERRORS = {**ERROR_RESPONSES, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut}
PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "PDF 回执（含进度查询二维码）",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}
IDEMPOTENCY_KEY = (
    "幂等键（必填，1–100 个可打印 ASCII 字符，如 UUID）。同一申请的重试必须使用同一个值："
    "已创建的办件以 200 原样返回，不会重复创建"
)

router = Router(tags=["办件"])


def _bundle(code: str) -> Bundle:
    bundle = Bundle.objects.filter(code=code).first()
    if bundle is None:
        raise NotFound("未找到该一件事", code="unknown_bundle")
    return bundle


def _mandate(actor: Any, mandate_id: int | None) -> Mandate | None:
    if mandate_id is None:
        return None
    mandate = list_active_mandates_received(user=actor).filter(pk=mandate_id).first()
    if mandate is None:
        raise PermissionDenied(
            "您没有代该申请主体办理此事项的有效授权委托（委托须在有效期内并包含该事项）",
            code="mandate_required",
        )
    return mandate


# Public: the status query by number and query code ----------------------------------------------------


@router.get(
    "/applications/status",
    response={200: PublicStatusOut, **ERROR_RESPONSES, 429: ErrorOut},
    auth=None,
    summary="办件进度公开查询（免登录，凭办件编号与查询码）",
)
def public_status(request: HttpRequest, query: Query[PublicStatusQuery]):
    """No name, no ID number, no reasons: the item, the department, the status, the dates, the timeline.
    A wrong number or query code answers ``404 case_not_found`` alike; after repeated failures from one
    address or on one number, ``429 throttled`` until the cool-off window ends."""
    ip_address = request.META.get("REMOTE_ADDR") or None
    normalized = normalize_case_number(query.number) or query.number.strip().upper()
    if is_throttled(ip_address=ip_address, number=normalized):
        minutes = max(1, window_seconds() // 60)
        raise Throttled(_("查询失败次数过多，请 %(minutes)s 分钟后再试") % {"minutes": minutes})
    try:
        status = selectors.public_status(number=query.number, query_code=query.query_code)
    except NotFound:
        count_failure(ip_address=ip_address, number=normalized)
        raise
    return presenters.public_status_out(status)


# Uploads and forms --------------------------------------------------------------------------------------


@router.post(
    "/applications/uploads",
    response={201: UploadOut, **ERRORS},
    auth=WRITE,
    summary="上传一份材料文件（multipart，字段 file），得到上传引用",
)
def upload(request: HttpRequest, file: File[UploadedFile]):
    """PDF, PNG or JPEG (judged by the bytes), up to the platform's size limit (``upload_too_large``,
    ``upload_type_not_allowed``, ``upload_empty``). The reference goes into ``materials`` of a submission
    or a supplement within a day; only the uploader can use it."""
    stored = materials.store_upload(uploaded_file=file)
    reference, expires_at = upload_references.reference_for(stored=stored, actor=request.auth)
    return Status(
        201,
        {
            "upload": reference,
            "file_name": upload_references.printable_name(stored.original_name),
            "content_type": stored.content_type,
            "size": stored.size,
            "sha256": stored.sha256,
            "expires_at": expires_at,
        },
    )


@router.get(
    "/applications/forms/{code}",
    response={200: FormOut, **ERRORS},
    auth=READ,
    summary="申请表：显示的字段、本人的预填值与来源、所需材料",
)
def get_form(request: HttpRequest, code: Code, query: Query[FormQuery]):
    """``code`` is an implementation's code (or a bundle's code for its one merged form). Prefilled fields
    name their source and are locked: the server reads them again at submission. Register reads go
    through the exchange under this application's purpose and appear in the holder's data-use log.
    Applying for someone else needs a mandate in force (``403 mandate_required``)."""
    form = form_for_actor(
        actor=request.auth,
        code=code,
        holder_code=query.holder_code,
        applicant_kind=query.applicant_kind,
        situation=_situation(query.situation),
    )
    return presenters.form_out(form)


def _situation(answers: list[str]) -> dict[str, Any]:
    """``["question:option", …]`` as the situation's answers (a question repeated: several options)."""
    situation: dict[str, Any] = {}
    for answer in answers:
        question, _sep, option = answer.partition(":")
        if not question or not option:
            raise InvalidInput("情形回答须为“问题编码:选项编码”", code="invalid_situation")
        if question in situation:
            previous = situation[question]
            situation[question] = [*(previous if isinstance(previous, list) else [previous]), option]
        else:
            situation[question] = option
    return situation


# Applying -------------------------------------------------------------------------------------------------


@router.post(
    "/applications",
    response={201: SubmissionOut, 200: SubmissionOut, **ERRORS},
    auth=WRITE,
    summary="提交申请（须带 Idempotency-Key）",
)
def submit(
    request: HttpRequest,
    payload: ApplicationIn,
    idempotency_key: str = Header(
        ..., alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN, description=IDEMPOTENCY_KEY
    ),
):
    """One case, its materials, its workflow and ``case.submitted`` in one transaction. ``201`` with the
    query code (shown once); the same key again ``200`` with the same body. Errors: ``invalid_form``
    (every field error at once in ``details``), ``prefill_tampered`` (a locked field changed),
    ``materials_missing``, ``invalid_upload``, ``mandate_required``, ``assurance_too_low``,
    ``not_online``, ``idempotency_key_reused`` (409); without the header ``invalid_input``."""
    actor = request.auth
    key = submission_replays.clean_key(idempotency_key)
    fingerprint = submission_replays.fingerprint(payload.dict())
    kept = submission_replays.replayed(actor=actor, key=key, request_fingerprint=fingerprint)
    if kept is not None:
        return Status(200, kept)
    if (payload.implementation_code is None) == (payload.bundle_code is None):
        raise InvalidInput("请填写 implementation_code 或 bundle_code 之一", code="invalid_target")
    case, created = cases.submit(
        actor=actor,
        implementation=payload.implementation_code,  # read by code with what the submission needs of it
        bundle=_bundle(payload.bundle_code) if payload.bundle_code else None,
        applicant_kind=payload.applicant_kind,
        holder_code=payload.holder_code,
        mandate=_mandate(actor, payload.mandate_id),
        situation=payload.situation,
        data=payload.data,
        prefilled_claims=payload.prefilled,
        uploads=upload_references.stored_files(references=payload.materials, actor=actor),
        channel=Channel.API,
        idempotency_key=key,
    )
    if not created:
        return Status(200, presenters.submission_out(case, query_code=None))
    body = presenters.submission_out(case, query_code=getattr(case, "query_code", None))
    submission_replays.keep(actor=actor, key=key, request_fingerprint=fingerprint, body=body)
    return Status(201, body)


@router.get(
    "/applications",
    response={200: page_of(CaseSummaryOut), **ERRORS},
    auth=READ,
    summary="我的办件（本人、本人代表的企业、受托代办的），新的在前",
)
def list_cases(request: HttpRequest, query: Query[ApplicationListQuery]):
    page = selectors.list_cases_for_applicant(
        actor=request.auth,
        status=query.status,
        holder_code=query.holder_code,
        item_code=query.item,
        submitted_from=query.submitted_from,
        submitted_to=query.submitted_to,
        cursor=query.cursor,
        limit=query.limit,
    )
    return render_page(page, presenters.case_summary)


@router.get(
    "/applications/{number}",
    response={200: CaseOut, **ERRORS},
    auth=READ,
    summary="办件详情：状态、时间线、法定与承诺办结日期、材料（工作人员另见环节）",
    url_name="application_detail",
)
def get_case(request: HttpRequest, number: CaseNumber):
    actor = request.auth
    if getattr(actor, "is_staff_member", False):
        try:
            return presenters.staff_case_out(selectors.case_detail(actor=actor, number=number))
        except NotFound:
            pass  # not staff of this case: perhaps its applicant
    return presenters.applicant_case_out(selectors.access_case_by_number(actor=actor, number=number))


@router.get(
    "/applications/{number}/receipt",
    response={**ERRORS},
    auth=READ,
    summary="申报（受理）回执 PDF",
    url_name="application_receipt",
    openapi_extra=PDF_RESPONSE,
)
def get_receipt(request: HttpRequest, number: CaseNumber):
    case = selectors.access_case_by_number(actor=request.auth, number=number)
    response = HttpResponse(receipts.receipt_pdf(case=case), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{case.number}.pdf"'
    return response


@router.post(
    "/applications/{number}/supplements",
    response={200: CaseOut, **ERRORS},
    auth=WRITE,
    summary="补正：答复一次性告知的全部事项，恢复计时",
)
def resubmit(request: HttpRequest, number: CaseNumber, payload: SupplementIn):
    """Exactly the fields and materials the open notice lists (``supplement_incomplete``,
    ``unexpected_supplement``); the fields are checked again like a submission."""
    actor = request.auth
    case = selectors.access_case_by_number(actor=actor, number=number)
    case = cases.resubmit(
        actor=actor,
        case=case,
        data=payload.data,
        uploads=upload_references.stored_files(references=payload.materials, actor=actor),
        expected_revision=payload.expected_revision,
    )
    return presenters.applicant_case_out(case)


@router.post(
    "/applications/{number}/withdraw",
    response={200: CaseOut, **ERRORS},
    auth=WRITE,
    summary="撤回申请（一件事整件撤回）",
)
def withdraw(request: HttpRequest, number: CaseNumber, payload: WithdrawIn):
    actor = request.auth
    case = selectors.access_case_by_number(actor=actor, number=number)
    case = cases.withdraw(
        actor=actor, case=case, reason=payload.reason, expected_revision=payload.expected_revision
    )
    return presenters.applicant_case_out(case)


router.add_router("", workbench_router)
