"""Drafts (申请草稿): an application being filled online, saved and resumed, submitted once.

A draft names what is applied for (an implementation, or a bundle), for whom (the holder, and the mandate
an agent applies under: checked when the draft starts and again at submission), the situation answers,
the form's answers and the uploads stored so far (``Draft.materials["uploads"]``: material key → the
stored file). Its ``form_token`` is the submission's idempotency key: the same draft submitted twice
(a double click, a resent request) gives one case. Submitting deletes the draft in the submission's
transaction; a refused submission leaves the draft, with every answer, as it was saved just before.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from yiwang.audit.services import record_event
from yiwang.catalog.models import Bundle, Implementation
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.identity.models import Mandate

from ..constants import Channel
from ..models import Case, CaseMaterial, Draft, VaultItem
from . import forms
from .cases import submit
from .cases.parties import resolve_applicant
from .uploads import StoredFile, discard_upload

DRAFT_STARTED = "applications.draft_started"
DRAFT_SAVED = "applications.draft_saved"
DRAFT_DISCARDED = "applications.draft_discarded"
MAX_DRAFTS = 50  # per applicant: a draft is not a store


def _parts(implementation: Implementation | None, bundle: Bundle | None) -> list[Implementation]:
    if implementation is not None:
        return [implementation]
    assert bundle is not None
    return [
        part.implementation
        for part in bundle.bundle_items.select_related("implementation__item").order_by("order", "pk")
    ]


def _require_online(implementation: Implementation | None, bundle: Bundle | None) -> None:
    if (implementation is None) == (bundle is None):
        raise InvalidInput("请选择一个办理事项或一件事", code="invalid_target")
    if implementation is not None:
        if not (implementation.is_active and implementation.item.is_active):
            raise InvalidInput("该事项已停止办理", code="implementation_inactive")
        if forms.active_form_for(implementation=implementation) is None:
            raise InvalidInput("该事项暂未开通网上申报", code="not_online")
        return
    assert bundle is not None
    if not bundle.is_active:
        raise InvalidInput("该一件事已停止办理", code="bundle_inactive")
    forms.bundle_form(bundle=bundle)  # NotFound (bundle_form_incomplete) names the parts without a form


def stored_files(draft: Draft) -> dict[str, StoredFile]:
    """The uploads the draft holds, by material key."""
    uploads = (draft.materials or {}).get("uploads") or {}
    return {key: StoredFile(**value) for key, value in uploads.items()}


def _audit(action: str, *, actor: Any, draft: Draft, **details: Any) -> None:
    record_event(
        action=action,
        actor=actor,
        object_type="applications.draft",
        object_id=str(draft.pk),
        subject=draft.holder_code,
        details={
            "implementation": draft.implementation.code if draft.implementation is not None else None,
            "bundle": draft.bundle.code if draft.bundle is not None else None,
            **details,
        },
    )


@transaction.atomic
def start_draft(
    *,
    actor: Any,
    implementation: Implementation | None = None,
    bundle: Bundle | None = None,
    applicant_kind: str,
    holder_code: str,
    mandate: Mandate | None = None,
    situation: Mapping[str, Any] | None = None,
) -> Draft:
    """Start a draft for a holder the actor may apply for (themself, their enterprise, by a mandate)."""
    _require_online(implementation, bundle)
    applicant = resolve_applicant(
        actor=actor,
        kind=applicant_kind,
        holder_code=holder_code,
        mandate=mandate,
        items=[part.item for part in _parts(implementation, bundle)],
    )
    if Draft.objects.filter(applicant=actor).count() >= MAX_DRAFTS:
        raise InvalidInput(
            f"草稿最多保存 {MAX_DRAFTS} 份，请先提交或删除不需要的草稿", code="too_many_drafts"
        )
    draft = Draft.objects.create(
        applicant=actor,
        implementation=implementation,
        bundle=bundle,
        applicant_kind=applicant.kind,
        holder_code=applicant.holder_code,
        mandate=applicant.mandate,
        situation=dict(situation or {}),
        data={},
        materials={"uploads": {}},
        form_token=secrets.token_urlsafe(32),
    )
    _audit(
        DRAFT_STARTED, actor=actor, draft=draft, mandate=applicant.mandate.pk if applicant.mandate else None
    )
    return draft


def _lock(draft: Draft, actor: Any) -> Draft:
    locked = Draft.objects.select_for_update().filter(pk=draft.pk, applicant=actor).first()
    if locked is None:
        raise NotFound("未找到该草稿", code="draft_not_found")
    return locked


@transaction.atomic
def save_draft(
    *,
    actor: Any,
    draft: Draft,
    situation: Mapping[str, Any],
    data: Mapping[str, Any],
    uploads: Mapping[str, StoredFile] | None = None,
    remove_uploads: tuple[str, ...] = (),
) -> Draft:
    """Keep the answers (as given: checking is the submission's) and any new uploads (replacing older)."""
    draft = _lock(draft, actor)
    kept = dict((draft.materials or {}).get("uploads") or {})
    replaced = [StoredFile(**kept.pop(key)) for key in [*remove_uploads, *(uploads or {})] if key in kept]
    for key, stored in (uploads or {}).items():
        kept[key] = asdict(stored)
    draft.situation, draft.data = dict(situation), dict(data)
    draft.materials = {**(draft.materials or {}), "uploads": kept}
    draft.save(update_fields=["situation", "data", "materials", "updated_at"])
    _audit(DRAFT_SAVED, actor=actor, draft=draft, fields=len(draft.data), uploads=sorted(kept))
    transaction.on_commit(lambda: _discard_unused(replaced))
    return draft


def _discard_unused(files: list[StoredFile]) -> None:
    """Remove stored uploads that no case, vault item or draft points to any more."""
    names = [stored.name for stored in files]
    if not names:
        return
    used = set(CaseMaterial.objects.filter(file__in=names).values_list("file", flat=True))
    used |= set(VaultItem.objects.filter(file__in=names).values_list("file", flat=True))
    for stored in files:
        if stored.name not in used:
            discard_upload(stored)


@transaction.atomic
def discard_draft(*, actor: Any, draft: Draft) -> None:
    """Delete a draft the actor no longer wants (its uploads go unless a case uses them)."""
    draft = _lock(draft, actor)
    files = list(stored_files(draft).values())
    _audit(DRAFT_DISCARDED, actor=actor, draft=draft)
    draft.delete()
    transaction.on_commit(lambda: _discard_unused(files))


@transaction.atomic
def submit_draft(
    *,
    actor: Any,
    draft: Draft,
    data: Mapping[str, Any],
    prefilled_claims: Mapping[str, Any],
    upload_keys: set[str],
) -> tuple[Case, bool]:
    """Submit the draft as a case (idempotent by its form token) and delete it, in one transaction.

    ``data`` is what the page sent (checked and re-verified by ``cases.submit``); ``upload_keys`` are the
    materials the plan still asks to upload (the draft's other uploads are not sent).
    """
    existing = submitted_case_for(actor=actor, token=draft.form_token)
    if existing is not None:  # submitted already (the draft row of a racing request)
        Draft.objects.filter(pk=draft.pk).delete()
        return existing, False
    try:
        draft = _lock(draft, actor)
    except NotFound:  # a racing request submitted it and deleted the draft meanwhile
        existing = submitted_case_for(actor=actor, token=draft.form_token)
        if existing is None:
            raise
        return existing, False
    files = stored_files(draft)
    case, created = submit(
        actor=actor,
        implementation=draft.implementation,
        bundle=draft.bundle,
        applicant_kind=draft.applicant_kind,
        holder_code=draft.holder_code,
        mandate=draft.mandate,
        situation=draft.situation,
        data=data,
        prefilled_claims=prefilled_claims,
        uploads={key: stored for key, stored in files.items() if key in upload_keys},
        channel=Channel.ONLINE,
        idempotency_key=draft.form_token,
    )
    unused = [stored for key, stored in files.items() if key not in upload_keys]
    draft.delete()
    transaction.on_commit(lambda: _discard_unused(unused))
    return case, created


def list_drafts_for(*, actor: Any) -> QuerySet[Draft]:
    """The actor's own drafts, the latest first."""
    if not getattr(actor, "is_authenticated", False):
        return Draft.objects.none()
    return Draft.objects.filter(applicant=actor).select_related("implementation", "bundle", "mandate")


def access_draft(*, actor: Any, token: str) -> Draft:
    """The actor's draft by its token; anyone else's answers "not found"."""
    draft = list_drafts_for(actor=actor).filter(form_token=token).first() if token else None
    if draft is None:
        raise NotFound("未找到该草稿", code="draft_not_found")
    return draft


def submitted_case_for(*, actor: Any, token: str) -> Case | None:
    """The case a draft of the actor's became (its token is the submission's idempotency key)."""
    if not token or not getattr(actor, "is_authenticated", False):
        return None
    return Case.objects.filter(applicant=actor, idempotency_key=token).first()
