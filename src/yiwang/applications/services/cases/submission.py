"""Submission (申报): one case, its materials, its first workflow state and ``case.submitted``, at once.

Idempotent by (applicant, Idempotency-Key): a repeated key, or the loser of two requests racing with the
same key (the unique constraint ``case_idempotency_key_unique`` refuses its insert), gets the case that
was created and ``created=False``; nothing else is written for it. A key reused for another application
is refused.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.catalog.models import Bundle, Implementation, ServiceItem
from yiwang.core import sql
from yiwang.core.errors import Conflict, InvalidInput, NotFound
from yiwang.identity.models import Mandate
from yiwang.notifications.constants import MessageTopic
from yiwang.regions.models import Department, Region

from ...constants import CASE_SUBMITTED, AuditAction, CaseStatus, Channel
from ...models import ApplicationForm, Case, CaseMaterial, VaultItem
from .. import bundles, forms, material_plan, materials, numbers, plan_cache, prefill, runtime
from ..applicant_messages import tell_applicant
from .parties import Applicant, applicant_facts, require_window_clerk, resolve_applicant
from .recording import record_case_action

MAX_KEY_LENGTH = 100
PROVISIONAL_PREFIX = "~"


@dataclass(frozen=True)
class Target:
    """What is applied for: one implementation, or a bundle of several (its lead department accepts)."""

    implementation: Implementation | None
    bundle: Bundle | None
    implementations: list[Implementation]
    department: Department
    region: Region

    @property
    def items(self) -> list[ServiceItem]:
        return [implementation.item for implementation in self.implementations]


_EXISTING_CASE = "submission_existing_case_pk"
# The case an idempotency key made: at most one (``case_idempotency_key_unique``). The index's condition
# is repeated as a literal: a prepared statement's generic plan may only use a partial index whose
# condition the statement's own text implies (ADR 0014).
_EXISTING_CASE_SQL = (
    "SELECT c.id FROM applications_case c "
    "WHERE c.applicant_id = %s AND c.idempotency_key = %s AND c.idempotency_key <> '' LIMIT 1"
)


def _target(
    implementation: Implementation | str | None,
    bundle: Bundle | None,
    *,
    actor: Any = None,
    key: str = "",
) -> Target:
    """What is applied for. An implementation's row (``implementation`` may be its code) comes in one
    statement with what the submission reads about it: the key of its catalog data, its active form, its
    active process version, and the case the idempotency key already made (if any)."""
    if (implementation is None) == (bundle is None):
        raise InvalidInput(_("请选择一个办理事项或一件事"), code="invalid_target")
    if implementation is not None:
        annotations = {
            **forms.active_form_annotations(),
            **runtime.active_version_annotations(),
            **plan_cache.key_annotations(),
        }
        if key and getattr(actor, "pk", None) is not None:
            made = RawSQL(_EXISTING_CASE_SQL, (actor.pk, key), BigIntegerField())  # noqa: S611 (parameters)
            annotations[_EXISTING_CASE] = made
        value: str | int
        if isinstance(implementation, str):
            where, value = "catalog_implementation.code = %s", implementation
        else:
            where, value = "catalog_implementation.id = %s", implementation.pk
        found = sql.rows(  # in SQL: the ORM took ~2 ms of CPU to compile it (core.sql, ADR 0014)
            Implementation,
            where,
            [value],
            related=("item", "department", "region"),
            extra=annotations,
        )
        if not found:
            raise NotFound(_("未找到该实施清单"), code="unknown_item")
        implementation = found[0]
        if not (implementation.is_active and implementation.item.is_active):
            raise InvalidInput(_("该事项已停止办理"), code="implementation_inactive")
        return Target(
            implementation, None, [implementation], implementation.department, implementation.region
        )
    assert bundle is not None
    bundle = Bundle.objects.select_related("lead_department", "region").get(pk=bundle.pk)
    parts = [
        part.implementation
        for part in bundle.bundle_items.select_related("implementation__item").order_by("order", "pk")
    ]
    if not bundle.is_active or not parts:
        raise InvalidInput(_("该一件事已停止办理"), code="bundle_inactive")
    return Target(None, bundle, parts, bundle.lead_department, bundle.region)


def _form_schema(target: Target) -> tuple[ApplicationForm | None, dict[str, Any]]:
    if target.implementation is not None:
        form = forms.active_form_for(implementation=target.implementation)
        if form is None:
            raise InvalidInput(_("该事项暂未开通网上申报"), code="not_online")
        return form, form.schema
    assert target.bundle is not None
    return None, forms.bundle_form(bundle=target.bundle)


def _purpose(target: Target, key: str) -> prefill.PrefillPurpose | None:
    """Why the submission reads the prefilled fields again: this application, named by its key (the
    draft's token on the pages, the Idempotency-Key of the API), the ground the citizen's data tracker
    shows for the draft's reads too. The case number is not known yet; without a key, the default."""
    if not key:
        return None
    if target.implementation is not None:
        return prefill.purpose_for(implementation=target.implementation, reference=key)
    return prefill.PrefillPurpose(reference=key)


def _clean_key(idempotency_key: str | None) -> str:
    key = (idempotency_key or "").strip()
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            _("幂等键不超过 %(max)d 个字符") % {"max": MAX_KEY_LENGTH}, code="invalid_idempotency_key"
        )
    return key


def _existing(actor: Any, key: str, target: Target, holder_code: str) -> Case | None:
    """The case this key already created, if any (refused if the key named another application)."""
    if not key:
        return None
    known = target.implementation.__dict__ if target.implementation is not None else {}
    if _EXISTING_CASE in known and known[_EXISTING_CASE] is None:
        return None  # read with the implementation's row a moment ago: the key made no case
    case = Case.objects.filter(applicant=actor, idempotency_key=key).first()
    if case is None:
        return None
    same = (
        case.implementation_id == (target.implementation.pk if target.implementation else None)
        and case.bundle_id == (target.bundle.pk if target.bundle else None)
        and case.holder_code == (holder_code or "").strip().upper()
    )
    if not same:
        raise Conflict(_("该幂等键已用于另一项申请"), code="idempotency_key_reused", number=case.number)
    return case


def _discard(uploads: Mapping[str, Any]) -> None:
    """A repeated submission's own files, which nothing will point to (a file the first submission kept,
    when the caller sends the same stored upload twice, stays)."""
    names = [stored.name for stored in uploads.values()]
    kept = set(CaseMaterial.objects.filter(file__in=names).values_list("file", flat=True))
    kept |= set(VaultItem.objects.filter(file__in=names).values_list("file", flat=True))
    for stored in uploads.values():
        if stored.name not in kept:
            materials.discard_upload(stored)


def _provisional_number() -> str:
    """A placeholder for the number until it is taken at the end of the submission: unique, never a valid
    case number (``~`` is not a digit), never seen outside the transaction."""
    return PROVISIONAL_PREFIX + secrets.token_hex(13)


def _create_case(
    *,
    actor: Any,
    target: Target,
    applicant: Applicant,
    form: ApplicationForm | None,
    fields: dict[str, Any],
    number_now: bool,
) -> tuple[Case, str]:
    now = timezone.now()
    if number_now:
        number = numbers.new_case_number(region_code=target.region.code, day=timezone.localdate(now))
    else:
        number = _provisional_number()
    query_code = numbers.new_query_code()
    case = Case(
        number=number,
        query_code_hash=numbers.hash_query_code(query_code),
        implementation=target.implementation,
        bundle=target.bundle,
        form=form,
        department=target.department,
        region=target.region,
        applicant=actor,
        applicant_kind=applicant.kind,
        holder_code=applicant.holder_code,
        holder_name=applicant.holder_name,
        mandate=applicant.mandate,
        status=CaseStatus.SUBMITTED,
        submitted_at=now,
        **fields,
    )
    # its text made once (core.sql, ADR 0014): ~40 columns on every submission. A row with the same
    # idempotency key (the same submission racing this one) is not written: the case comes back with no pk.
    sql.insert(case, if_absent=True)
    return case, query_code


def _start_then_number(case: Case) -> tuple[str, ...]:
    """Start the case's workflow, then take its number (the serial's row lock is held from here to COMMIT,
    so the work before it runs side by side with other submissions of the region and day).

    The workflow's data carried the provisional number; it is replaced in the stored state. If the start
    ran a service task (a handler saw the provisional number and may have written it somewhere), the start
    is undone and made again with the real number. Returns the case's fields to save."""
    provisional = case.number
    version = runtime.annotated_version(case.implementation) if case.implementation else None
    if version is not None and not runtime.start_may_run_handlers(version):
        # No handler can run at the start, so there is nothing to undo and no savepoint to hold.
        runtime.start_unsaved(case=case, save=False, version=version)  # saved with the number, below
        return _number_the_started(case, provisional)
    savepoint = transaction.savepoint()
    runtime.start_unsaved(case=case, save=False, version=version)  # saved with the number, below
    if runtime.start_ran_handlers(case=case):
        transaction.savepoint_rollback(savepoint)
        case.refresh_from_db()
        case.number = _take_number(case)
        Case.objects.filter(pk=case.pk).update(number=case.number)
        runtime.start(case=case)
        return ()
    transaction.savepoint_commit(savepoint)
    return _number_the_started(case, provisional)


def _number_the_started(case: Case, provisional: str) -> tuple[str, ...]:
    """Take the number and put it in the started workflow's state (saved by the caller's next UPDATE)."""
    case.number = _take_number(case)
    case.state_json = json.loads(json.dumps(case.state_json).replace(provisional, case.number))
    return ("number", *runtime.STARTED_FIELDS)


def _take_number(case: Case) -> str:
    return numbers.new_case_number(region_code=case.region_id, day=timezone.localdate(case.submitted_at))


@transaction.atomic
def submit(
    *,
    actor: Any,
    implementation: Implementation | str | None = None,
    bundle: Bundle | None = None,
    applicant_kind: str,
    holder_code: str,
    mandate: Mandate | None = None,
    situation: Mapping[str, Any],
    data: Mapping[str, Any],
    prefilled_claims: Mapping[str, Any],
    uploads: Mapping[str, Any],
    channel: str = Channel.ONLINE,
    idempotency_key: str = "",
    window_clerk: Any = None,
) -> tuple[Case, bool]:
    """Submit an application; return the case and whether this call created it.

    ``implementation``: the implementation, or its code (an unknown code: ``NotFound unknown_item``).

    The new case carries its query code in ``case.query_code`` (shown once; only its hash is kept).
    """
    key = _clean_key(idempotency_key)
    target = _target(implementation, bundle, actor=actor, key=key)
    existing = _existing(actor, key, target, holder_code)
    if existing is not None:
        _discard(uploads)
        return existing, False
    if target.implementation is not None:  # what the materials' plan reads, kept per guide version
        plan_cache.attach_plan_data(target.implementation)
    applicant = resolve_applicant(
        actor=actor, kind=applicant_kind, holder_code=holder_code, mandate=mandate, items=target.items
    )
    if channel not in Channel.values:
        raise InvalidInput(_("申报渠道不正确"), code="invalid_channel")
    if channel == Channel.WINDOW:
        require_window_clerk(window_clerk)
    elif window_clerk is not None:
        raise InvalidInput(_("仅窗口受理的申请记录窗口人员"), code="invalid_channel")
    form, schema = _form_schema(target)
    checked = forms.check_submission(
        form_schema=schema,
        situation=dict(situation),
        data=dict(data),
        prefilled_claims=dict(prefilled_claims),
        actor=actor,
        holder_code=applicant.holder_code,
        applicant_kind=applicant.kind,
        department=target.department,
        purpose=_purpose(target, key),
    )
    scope = material_plan.ScopeOnce(actor)  # the plan's license look-ups and the consent share it
    plan = materials.plan(
        implementations=target.implementations,
        situation=dict(situation),
        actor=actor,
        holder_code=applicant.holder_code,
        active_forms=[form] if form is not None else None,  # one implementation: its form, loaded above
        scope=scope,
    )
    fields = {
        "situation": dict(situation),
        "data": checked.data,
        "prefilled": checked.prefilled,
        "channel": channel,
        "window_clerk": window_clerk if channel == Channel.WINDOW else None,
        "visits": 1 if channel == Channel.WINDOW else 0,
        "idempotency_key": key,
    }
    number_now = target.bundle is not None  # a bundle's parts name the parent's number as they fan out
    case, query_code = _create_case(
        actor=actor, target=target, applicant=applicant, form=form, fields=fields, number_now=number_now
    )
    if case.pk is None:  # another submission with this key committed first (the loser of the race)
        if target.implementation is not None:  # its annotation saw no case then: look again
            target.implementation.__dict__.pop(_EXISTING_CASE, None)
        raced = _existing(actor, key, target, holder_code)
        if raced is None:
            raise IntegrityError(f"case {case.number} not written: a unique constraint but its key's")
        _discard(uploads)
        return raced, False
    materials.attach_in_transaction(
        case=case, plan=plan, uploads=dict(uploads), actor=actor, consent=number_now
    )
    changed: tuple[str, ...] = ()
    if target.bundle is not None:
        bundles.fan_out(parent=case, actor=actor)
        facts = applicant_facts(actor=actor, case=case)
    else:
        facts = applicant_facts(actor=actor, case=case)  # before the number: the lock covers less
        changed = _start_then_number(case)
        materials.record_consent(case=case, plan=plan, actor=actor, scope=scope)  # its purpose: the number
    text = "已在窗口提交申请，等待受理" if channel == Channel.WINDOW else "已提交申请，等待受理"
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.CASE_SUBMITTED,
        topic=CASE_SUBMITTED,
        text=text,
        changed=changed,
        details={"channel": channel, "window_clerk": getattr(window_clerk, "pk", None)},
        published={"submitted_at": case.submitted_at.isoformat()},
        facts=facts,
    )
    if case.parent_id is None:  # a bundle's parts are the applicant's one submission
        tell_applicant(case=case, topic=MessageTopic.CASE_SUBMITTED)
    case.query_code = query_code  # type: ignore[attr-defined]
    return case, True
