"""Citizens' objections (数据异议): submitted against one's own record, routed to the register's holder,
decided within 5 working days: accepted (the register is corrected, its history kept, subscribers told)
or rejected with a reason."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import FileField
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.core.errors import Conflict, InvalidInput, NotFound
from yiwang.core.workdays import load_calendar
from yiwang.identity.selectors import assignment_with_permission
from yiwang.notifications.services.notices import raise_notice
from yiwang.regions.models import Department
from yiwang.registers import selectors as register_selectors
from yiwang.registers.constants import RegisterCode
from yiwang.registers.models import Register
from yiwang.registers.services import correct_record

from ..constants import (
    EVIDENCE_MAX_BYTES,
    EVIDENCE_SIGNATURES,
    HANDLE_PERMISSION,
    OBJECTION_WORKING_DAYS,
    TEXT_MAX_LENGTH,
    ObjectionStatus,
)
from ..models import Objection
from ..objections import check_characters, display_value, item_label, item_rule, parse_value
from .findings import role_facts

if TYPE_CHECKING:
    from yiwang.identity.models import User

OBJECTION_SUBMITTED = "quality.objection_submitted"
OBJECTION_ACCEPTED = "quality.objection_accepted"
OBJECTION_REJECTED = "quality.objection_rejected"
READ_PURPOSE = "数据异议：核对本人登记信息"
logger = logging.getLogger(__name__)


def _checked_text(text: str, *, label: str, code: str, required: bool) -> str:
    text = check_characters((text or "").strip(), label=label)
    if required and not text:
        raise InvalidInput(f"请填写{label}", code=f"{code}_required")
    if len(text) > TEXT_MAX_LENGTH:
        raise InvalidInput(f"{label}不得超过 {TEXT_MAX_LENGTH} 字", code=f"{code}_too_long")
    return text


def evidence_type(upload: UploadedFile) -> str:
    """The file's type judged by its first bytes; refused when too large, empty or not PDF/PNG/JPEG."""
    if not upload.size:
        raise InvalidInput("证明材料文件为空", code="evidence_empty")
    if upload.size > EVIDENCE_MAX_BYTES:
        raise InvalidInput(
            f"证明材料不得超过 {EVIDENCE_MAX_BYTES // (1024 * 1024)} MB", code="evidence_too_large"
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for content_type, (signature, _suffix) in EVIDENCE_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    raise InvalidInput("证明材料只接受 PDF、PNG 或 JPEG 文件", code="evidence_type_not_allowed")


@contextmanager
def _stored_evidence(upload: UploadedFile | None) -> Iterator[str]:
    """Store the evidence file under a random name for the block; remove it again if the block fails.

    The storage is no part of the transaction: wrapped around it, the block's failure (a rolled-back
    objection, or a failed commit) takes the file away with the row. This holds because
    ``submit_objection`` is its own transaction (its gate read commits apart): a caller must not wrap it
    in another one, whose later rollback no hook would report.
    """
    if upload is None:
        yield ""
        return
    field = cast(FileField, Objection._meta.get_field("evidence_file"))
    name = field.generate_filename(Objection(), upload.name or "evidence")  # random: no field of the row used
    name = field.storage.save(name, upload, max_length=field.max_length)
    try:
        yield name
    except BaseException:
        try:
            field.storage.delete(name)
        except OSError:
            logger.exception("could not remove the evidence file %s of a rolled-back objection", name)
        raise


def _current_value(citizen: User, register: str, key: str, item: str) -> Any:
    """Read the item through the registers' gate as the citizen (logged as their own read)."""
    if register == RegisterCode.POPULATION:
        record = register_selectors.access_person_by_id_number(
            actor=citizen, id_number=key, purpose=READ_PURPOSE, fields=[item]
        )
    else:
        record = register_selectors.access_legal_person_by_credit_code(
            actor=citizen, credit_code=key, purpose=READ_PURPOSE, fields=[item]
        )
    return record[item]


def _holder(register: str) -> tuple[Register, Department]:
    """The register row and its holding department, which handles the objection (none yet: refused)."""
    holder = Register.objects.select_related("department").filter(code=register).first()
    if holder is None or holder.department is None:
        raise Conflict("该基础库尚未指定责任部门，暂不能受理异议", code="register_without_department")
    return holder, holder.department


def submit_objection(
    *,
    citizen: User,
    register: str,
    record_key: str,
    item: str,
    proposed_value: str,
    description: str,
    evidence_text: str = "",
    evidence_file: UploadedFile | None = None,
) -> Objection:
    """A citizen says an item of their record is wrong; routed to the holder with a 5-working-day limit.

    The record is read through the registers' gate before the transaction opens, so a refused read (not
    the citizen's record) stays in the audit log when the objection is refused.
    """
    item_rule(register, item)
    proposed = parse_value(register, item, proposed_value)
    description = _checked_text(description, label="异议说明", code="description", required=True)
    evidence_text = _checked_text(evidence_text, label="证明材料说明", code="evidence_text", required=False)
    if not evidence_text and evidence_file is None:
        raise InvalidInput("请上传证明材料或写明证明材料", code="evidence_required")
    content_type = evidence_type(evidence_file) if evidence_file is not None else ""
    holder, department = _holder(register)
    key = check_characters((record_key or "").strip().upper(), label="记录主键")
    try:
        current = _current_value(citizen, register, key, item)
    except NotFound:
        raise NotFound("未找到您的该条登记记录", code="record_not_found") from None
    if display_value(register, item, current) == display_value(register, item, proposed):
        raise InvalidInput("正确值与登记值相同，无需提出异议", code="value_unchanged")
    with _stored_evidence(evidence_file) as evidence_name, transaction.atomic():
        return _create_objection(
            citizen=citizen,
            holder=holder,
            department=department,
            key=key,
            item=item,
            current=display_value(register, item, current),
            proposed=display_value(register, item, proposed),
            description=description,
            evidence_text=evidence_text,
            evidence_name=evidence_name,
            content_type=content_type,
        )


def _create_objection(
    *,
    citizen: User,
    holder: Register,
    department: Department,
    key: str,
    item: str,
    current: str,
    proposed: str,
    description: str,
    evidence_text: str,
    evidence_name: str,
    content_type: str,
) -> Objection:
    register = holder.code
    now = timezone.now()
    objection = Objection(
        citizen=citizen,
        register=register,
        record_key=key,
        item=item,
        current_value=current,
        proposed_value=proposed,
        description=description,
        evidence_text=evidence_text,
        evidence_file=evidence_name,
        evidence_type=content_type,
        department=department,
        status=ObjectionStatus.SUBMITTED,
        submitted_at=now,
        due_on=load_calendar().add_working_days(timezone.localdate(now), OBJECTION_WORKING_DAYS),
    )
    objection.save()
    record_event(
        action=OBJECTION_SUBMITTED,
        actor=citizen,
        target=objection,
        department=department,
        subject=key,
        fields=[item],
        details={"register": register, "due_on": objection.due_on.isoformat()},
    )
    raise_notice(
        department=department,
        title=f"新的数据异议：{holder.name}“{item_label(item)}”",
        body=f"请于 {objection.due_on:%Y-%m-%d} 前在“数据异议”页面核实处理。",
    )
    return objection


def _locked_objection(actor: User, objection_id: int):
    objection = Objection.objects.select_for_update().filter(pk=objection_id).first()
    assignment = (
        assignment_with_permission(
            actor=actor, permission=HANDLE_PERMISSION, department_id=objection.department_id
        )
        if objection is not None
        else None
    )
    if objection is None or assignment is None:
        raise NotFound("未找到该数据异议", code="objection_not_found")
    if objection.status != ObjectionStatus.SUBMITTED:
        raise Conflict("该数据异议已处理", code="objection_decided")
    return objection, assignment


@transaction.atomic
def decide_objection(
    *, actor: User, objection_id: int, accept: bool, reason: str = "", value: str = ""
) -> Objection:
    """The holder accepts (correcting the register with the proposed value, or its own) or rejects."""
    objection, assignment = _locked_objection(actor, objection_id)
    reason = _checked_text(reason, label="处理意见", code="reason", required=not accept)
    now = timezone.now()
    if accept:
        corrected = parse_value(objection.register, objection.item, value or objection.proposed_value)
        correct_record(
            register=objection.register,
            key=objection.record_key,
            changes={objection.item: corrected},
            reason=reason or "依数据异议核实更正",
            actor=actor,
            ground_kind="objection",
            ground_ref=str(objection.pk),
        )
        objection.applied_value = display_value(objection.register, objection.item, corrected)
        objection.status = ObjectionStatus.ACCEPTED
    else:
        objection.status = ObjectionStatus.REJECTED
    objection.decided_at, objection.decided_by, objection.decision_reason = now, actor, reason
    objection.save(update_fields=["status", "decided_at", "decided_by", "decision_reason", "applied_value"])
    record_event(
        action=OBJECTION_ACCEPTED if accept else OBJECTION_REJECTED,
        actor=actor,
        target=objection,
        department=objection.department,
        subject=objection.record_key,
        fields=[objection.item],
        reason="accepted" if accept else "rejected",
        **role_facts(assignment),
    )
    return objection
