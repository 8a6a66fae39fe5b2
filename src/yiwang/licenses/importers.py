"""Bulk import of a department's historical licenses from Excel or CSV: every row valid, or nothing.

Phase 1 checks every row outside any transaction and records progress on the job row, so a progress
bar can poll it. Phase 2 signs and inserts all rows in one transaction; its progress goes to the cache,
because rows written inside that transaction are invisible to other connections until it commits.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import uuid
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from yiwang.identity.selectors import department_ids_with_permission, has_permission_in

from .audit_facts import staff_facts
from .constants import AuditAction, ImportStatus
from .models import ImportJob, LicenseType
from .services.issuance import LicenseDraft, check_issuer, issue_in_bulk
from .services.validation import normalize_holder_code, schema_errors, validity_end

logger = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
MAX_LISTED_ERRORS = 100
PROGRESS_EVERY = 1000
BASE_COLUMNS = ("holder_code", "holder_name", "issued_on", "valid_until")
_XLSX_MAGIC = b"PK\x03\x04"


def _progress_key(job_id: int) -> str:
    return f"licenses:import:{job_id}:signed"


def job_out(job: ImportJob) -> dict[str, Any]:
    signed = cache.get(_progress_key(job.pk), 0) if job.status == ImportStatus.RUNNING else job.imported_count
    return {
        "id": job.pk,
        "status": job.status,
        "file_name": job.file_name,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "imported_count": signed,
        "errors": job.errors,
    }


def access_import_job(*, actor, job_id: int) -> ImportJob:
    departments = department_ids_with_permission(actor, "license.issue")
    job = ImportJob.objects.filter(pk=job_id, department_id__in=departments).first()
    if job is None:
        raise NotFound("未找到该导入任务", code="import_not_found")
    return job


def _kind_of(name: str, head: bytes) -> str:
    """The file's kind by its content, not its name: an xlsx is a zip, a CSV is UTF-8 text."""
    if head.startswith(_XLSX_MAGIC):
        return "xlsx"
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError:
        # a multi-byte character cut at the end of the sample is fine; anything else is not text
        try:
            head[:-3].decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(
                "文件须为 Excel（.xlsx）或 UTF-8 编码的 CSV", code="invalid_import_file"
            ) from None
    return "csv"


def start_import(*, actor, license_type: LicenseType, issuer, upload) -> ImportJob:
    """Store the upload, create the job and queue it (runs in-process on the embedded stack)."""
    if not has_permission_in(actor=actor, permission="license.issue", department_id=issuer.pk):
        raise PermissionDenied("只有签发部门的证照管理员可以导入证照")
    check_issuer(license_type=license_type, issuer=issuer)
    if upload.size > MAX_UPLOAD_BYTES:
        raise InvalidInput("文件不能超过100MB", code="import_file_too_large")
    content = upload.read()
    kind = _kind_of(upload.name, content[:4096])
    with transaction.atomic():
        job = ImportJob.objects.create(
            department=issuer,
            license_type=license_type,
            uploaded_by=actor,
            file_name=PurePath(upload.name).name[:200],
        )
        job.stored_file = default_storage.save(
            f"license-imports/{uuid.uuid4().hex}.{kind}", ContentFile(content)
        )
        job.save(update_fields=["stored_file"])
        from .tasks import run_import_task

        transaction.on_commit(lambda: run_import_task.enqueue(job.pk))
    return job


def _cells_from_file(path: str) -> Iterator[list[Any]]:
    with default_storage.open(path, "rb") as handle:
        if path.endswith(".xlsx"):
            from openpyxl import load_workbook

            workbook = load_workbook(handle, read_only=True, data_only=True)
            for row in workbook.active.iter_rows(values_only=True):
                yield list(row)
            workbook.close()
            return
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
        yield from csv.reader(text)


def _columns(header: list[Any], license_type: LicenseType) -> list[str]:
    """Header cells as field keys; a column may be titled by its key or its schema title."""
    titles = {prop.get("title"): key for key, prop in license_type.field_schema.get("properties", {}).items()}
    names = {
        "持证主体证件号": "holder_code",
        "持证主体名称": "holder_name",
        "签发日期": "issued_on",
        "有效期至": "valid_until",
    }
    columns = [
        names.get(str(cell).strip(), titles.get(str(cell).strip(), str(cell or "").strip()))
        for cell in header
    ]
    missing = {"holder_code", "holder_name", "issued_on"} - set(columns)
    if missing:
        raise InvalidInput("表头缺少必填列：" + "、".join(sorted(missing)), code="import_header_invalid")
    return columns


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _typed(value: Any, prop: dict[str, Any]) -> Any:
    kind = prop.get("type")
    if kind in {"number", "integer"} and isinstance(value, str) and value.strip():
        number = float(value)
        return int(number) if kind == "integer" or number.is_integer() else number
    if prop.get("format") == "date" and isinstance(value, dt.date):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.strip() if isinstance(value, str) else value


def row_to_draft(cells: list[Any], columns: list[str], license_type: LicenseType) -> LicenseDraft:
    """One row as a draft; raises DomainError or ValueError with what is wrong."""
    values = dict(zip(columns, cells, strict=False))
    properties = license_type.field_schema.get("properties", {})
    surface = {
        key: _typed(values[key], properties[key])
        for key in properties
        if key in values and values[key] not in (None, "")
    }
    issued_on = _date(values.get("issued_on"))
    if issued_on is None:
        raise ValueError("签发日期不能为空")
    return LicenseDraft(
        holder_code=str(values.get("holder_code") or "").strip(),
        holder_name=str(values.get("holder_name") or "").strip(),
        surface=surface,
        issued_on=issued_on,
        valid_until=_date(values.get("valid_until")),
    )


def _check_row(draft: LicenseDraft, license_type: LicenseType) -> list[str]:
    problems = schema_errors(license_type=license_type, surface=draft.surface)
    try:
        normalize_holder_code(holder_kind=license_type.holder_kind, holder_code=draft.holder_code)
        validity_end(license_type=license_type, issued_on=draft.issued_on, valid_until=draft.valid_until)
    except DomainError as error:
        problems.append(error.message)
    if not draft.holder_name:
        problems.append("持证主体名称不能为空")
    return problems


def _validate(job: ImportJob, path: str) -> list[LicenseDraft]:
    """Phase 1: every row checked, progress on the job row; returns drafts, or records errors."""
    rows = _cells_from_file(path)
    columns = _columns(next(rows, []), job.license_type)
    drafts: list[LicenseDraft] = []
    errors: list[dict[str, Any]] = []
    for number, cells in enumerate(rows, start=2):
        if not any(cell not in (None, "") for cell in cells):
            continue
        try:
            draft = row_to_draft(cells, columns, job.license_type)
            problems = _check_row(draft, job.license_type)
        except (DomainError, ValueError) as error:
            problems, draft = [getattr(error, "message", str(error))], None
        if problems:
            errors.append({"row": number, "problems": problems})
        elif draft is not None:
            drafts.append(draft)
        if (len(drafts) + len(errors)) % PROGRESS_EVERY == 0:
            ImportJob.objects.filter(pk=job.pk).update(processed_rows=len(drafts) + len(errors))
    total = len(drafts) + len(errors)
    ImportJob.objects.filter(pk=job.pk).update(
        total_rows=total, processed_rows=total, errors=errors[:MAX_LISTED_ERRORS]
    )
    if errors or not drafts:
        raise InvalidInput(f"{len(errors)} 行有误，未导入任何证照", code="import_rows_invalid")
    return drafts


@transaction.atomic
def _insert(job: ImportJob, drafts: list[LicenseDraft]) -> int:
    """Phase 2: sign and insert every draft in one transaction."""
    count = issue_in_bulk(
        license_type=job.license_type,
        issuer=job.department,
        drafts=drafts,
        issued_by=job.uploaded_by,
        import_job=job,
        reason="历史证照导入",
        surface_checked=True,  # phase 1 checked every row against the schema
        on_progress=lambda done: cache.set(_progress_key(job.pk), done, timeout=3600),
    )
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.SUCCEEDED, imported_count=count, finished_at=timezone.now()
    )
    record_event(
        actor=job.uploaded_by,
        action=AuditAction.LICENSES_IMPORTED,
        target=job,
        department=job.department,
        **staff_facts(job.uploaded_by, job.department),
        details={
            "count": count,
            "license_type": job.license_type.code,
            "issuer": job.department.credit_code,
        },
    )
    return count


def run_import(*, job_id: int) -> ImportJob:
    """Run one job to the end: SUCCEEDED with every row imported, or FAILED with none."""
    job = ImportJob.objects.select_related("license_type", "department", "uploaded_by").get(pk=job_id)
    if job.status != ImportStatus.PENDING:
        return job  # idempotent: a retried task does nothing
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    try:
        _insert(job, _validate(job, job.stored_file))
    except (DomainError, Exception) as error:  # an unreadable file must fail the job, not leave it running
        if not isinstance(error, DomainError):
            logger.exception("license import %s failed", job.pk)
        job.refresh_from_db()
        message = error.message if isinstance(error, DomainError) else "文件无法读取，请检查格式"
        errors = job.errors or [{"row": 0, "problems": [message]}]
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, errors=errors, finished_at=timezone.now(), imported_count=0
        )
    finally:
        cache.delete(_progress_key(job.pk))
    job.refresh_from_db()
    return job
