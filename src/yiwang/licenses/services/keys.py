"""Signing keys: one active SM2 key per issuing department, rotation keeps the old ones verifying."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.core.crypto import public_key_fingerprint
from yiwang.core.errors import PermissionDenied
from yiwang.core.signing import default_backend
from yiwang.identity.selectors import has_permission_in
from yiwang.licenses.audit_facts import KEY_OBJECT, staff_facts
from yiwang.licenses.constants import AuditAction, KeyStatus
from yiwang.licenses.models import SigningKey
from yiwang.regions.models import Department


def _create_key(*, department: Department, actor) -> SigningKey:
    backend = default_backend()
    new_key = backend.create_key(label=department.credit_code)
    key = SigningKey.objects.create(
        key_id=public_key_fingerprint(new_key.public_key),
        department=department,
        backend=backend.id,
        public_key=new_key.public_key.hex(),
        sealed_private_key=new_key.sealed_private_key,
        backend_handle=new_key.handle,
        status=KeyStatus.ACTIVE,
        activated_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action=AuditAction.KEY_GENERATED,
        object_type=KEY_OBJECT,
        object_id=key.key_id,
        department=department,
        details={"department": department.credit_code, "backend": backend.id},
    )
    return key


@transaction.atomic
def ensure_signing_key(*, department: Department, actor=None) -> SigningKey:
    """The department's active key, generated on first use."""
    Department.objects.select_for_update().get(pk=department.pk)  # one creator at a time per department
    key = SigningKey.objects.filter(department=department, status=KeyStatus.ACTIVE).first()
    return key or _create_key(department=department, actor=actor)


@transaction.atomic
def rotate_signing_key(*, department: Department, rotated_by) -> SigningKey:
    """Retire the department's active key (it keeps verifying) and make a new one."""
    if not has_permission_in(actor=rotated_by, permission="license.issue", department_id=department.pk):
        raise PermissionDenied("只有本部门证照管理员可以轮换签名密钥")
    Department.objects.select_for_update().get(pk=department.pk)
    old_ids = list(
        SigningKey.objects.filter(department=department, status=KeyStatus.ACTIVE).values_list(
            "key_id", flat=True
        )
    )
    SigningKey.objects.filter(department=department, status=KeyStatus.ACTIVE).update(
        status=KeyStatus.RETIRED, retired_at=timezone.now()
    )
    key = _create_key(department=department, actor=rotated_by)
    record_event(
        actor=rotated_by,
        action=AuditAction.KEY_ROTATED,
        object_type=KEY_OBJECT,
        object_id=key.key_id,
        department=department,
        **staff_facts(rotated_by, department),
        details={"retired": old_ids},
    )
    return key
