"""Application forms: versions imported as JSON, activated, exported; the form of an implementation or a
bundle; what one applicant sees; the server's check of a submission (docs/applications-forms.md).

Data administrators of the implementation's department manage its forms. The permission asked is
``exchange.manage`` (``FORM_MANAGE_PERMISSION``), held by the department's data administrator: a form
decides which register items the department reads through the exchange to prefill it, and the same
person requests and answers for those grants (the quality app reuses it for the same reason). Every
import and activation is one transaction, audited.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import BigIntegerField, DateTimeField, Max, QuerySet
from django.db.models.expressions import RawSQL

from yiwang.audit.services import record_event
from yiwang.catalog.models import Bundle, Implementation
from yiwang.core.errors import Conflict, NotFound, PermissionDenied
from yiwang.identity.selectors import assignment_with_permission, department_ids_with_permission

from ..constants import FormStatus
from ..models import ApplicationForm
from .form_bundles import BundleFormConflict, merge_forms
from .form_logic import validate_data, visible_fields
from .form_references import check_references
from .form_schema import FormSchemaError, check_schema, raise_problems
from .form_submission import CheckedSubmission, InvalidForm, PrefillTampered, check_submission

if TYPE_CHECKING:
    from yiwang.identity.models import StaffAssignment, User

__all__ = [
    "FORM_MANAGE_PERMISSION",
    "BundleFormConflict",
    "CheckedSubmission",
    "FormSchemaError",
    "InvalidForm",
    "PrefillTampered",
    "access_form_by_id",
    "activate_form",
    "active_form_for",
    "bundle_form",
    "check_submission",
    "export_form",
    "form_for_bundle",
    "import_form",
    "list_forms_for",
    "list_manageable_implementations",
    "load_demo_forms",
    "parse_form_json",
    "validate_data",
    "validate_form",
    "visible_fields",
]

FORM_MANAGE_PERMISSION = "exchange.manage"
FORM_IMPORTED = "applications.form_imported"
FORM_ACTIVATED = "applications.form_activated"
DEMO_FORMS_DIR = Path(__file__).resolve().parent.parent / "data" / "forms"
MAX_FORM_BYTES = 512 * 1024


# Reading and checking a definition -------------------------------------------------------------------


def parse_form_json(raw: str | bytes) -> dict[str, Any]:
    """The definition from JSON text; a syntax error names its line and column."""
    if len(raw) > MAX_FORM_BYTES:
        raise FormSchemaError(f"表单定义过大（不超过 {MAX_FORM_BYTES // 1024} KB）", problems=["文件过大"])
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        schema = json.loads(text)
    except UnicodeDecodeError:
        raise FormSchemaError("表单定义须为 UTF-8 编码的 JSON", problems=["不是 UTF-8 编码"]) from None
    except json.JSONDecodeError as error:
        problem = f"第 {error.lineno} 行第 {error.colno} 列：JSON 格式错误（{error.msg}）"
        raise FormSchemaError(f"表单定义不是有效的 JSON：{problem}", problems=[problem]) from None
    if not isinstance(schema, dict):
        raise FormSchemaError("表单定义应为 JSON 对象", problems=["（根）：应为 JSON 对象"])
    return schema


def _implementation_of(schema: dict[str, Any]) -> Implementation:
    implementation = (
        Implementation.objects.select_related("item", "department", "region")
        .filter(code=schema.get("implementation"))
        .first()
    )
    if implementation is None:
        raise_problems([f"implementation：没有实施编码为“{schema.get('implementation')}”的实施清单"])
    assert implementation is not None
    return implementation


def validate_form(*, schema: Any) -> tuple[Implementation, list[str]]:
    """The implementation a definition is for, and every problem of it (shape first, then references)."""
    problems = check_schema(schema)
    raise_problems(problems)
    implementation = _implementation_of(schema)
    return implementation, check_references(schema, implementation)


def _digest(schema: dict[str, Any]) -> str:
    canonical = json.dumps(schema, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Who may manage ----------------------------------------------------------------------------------------


def _manager(actor: User | None, implementation: Implementation) -> StaffAssignment | None:
    """The actor's data-administrator role for the implementation's department (None: the platform)."""
    if actor is None:  # the command line and the demo loader act as the platform
        return None
    assignment = assignment_with_permission(
        actor=actor,
        permission=FORM_MANAGE_PERMISSION,
        department_id=implementation.department_id,
        region_code=implementation.region_id,
    )
    if assignment is None:
        raise PermissionDenied(
            "只有该实施清单所属部门的数据管理员可以管理其申请表单", code="not_form_manager"
        )
    return assignment


def _audit(
    action: str, actor: User | None, form: ApplicationForm, role: StaffAssignment | None, **details: Any
):
    facts: dict[str, Any] = {}
    if role is not None:
        facts = {
            "actor_role": role.role,
            "actor_department": role.department,
            "actor_region_code": role.region_id,
        }
    record_event(
        action=action,
        actor=actor,
        target=form,
        department=form.implementation.department,
        details={"implementation": form.implementation.code, "version": form.version, **details},
        **facts,
    )


# Writes --------------------------------------------------------------------------------------------------


@transaction.atomic
def import_form(
    *, actor: User | None, schema: dict[str, Any] | str | bytes, activate: bool = False
) -> tuple[ApplicationForm, bool]:
    """Store a definition as the implementation's next version (draft, or active when asked).

    Every problem is reported at once (``FormSchemaError``, with paths). A definition equal to the latest
    version creates nothing: (that version, False). ``actor`` None is the platform (command line, demo).
    """
    if not isinstance(schema, dict):
        schema = parse_form_json(schema)
    implementation, problems = validate_form(schema=schema)
    role = _manager(actor, implementation)
    raise_problems(problems)
    Implementation.objects.select_for_update().filter(pk=implementation.pk).first()  # serialize versions
    latest = ApplicationForm.objects.filter(implementation=implementation).order_by("-version").first()
    if latest is not None and _digest(latest.schema) == _digest(schema):
        form, created = latest, False
    else:
        number = (
            ApplicationForm.objects.filter(implementation=implementation).aggregate(n=Max("version"))["n"]
            or 0
        ) + 1
        form = ApplicationForm.objects.create(
            implementation=implementation,
            version=number,
            status=FormStatus.DRAFT,
            title=str(schema["title"]["zh"])[:200],
            schema=schema,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        created = True
        _audit(FORM_IMPORTED, actor, form, role, sha256=_digest(schema))
    if activate and form.status != FormStatus.ACTIVE:
        form = _activate(form, actor, role)
    return form, created


def _activate(form: ApplicationForm, actor: User | None, role: StaffAssignment | None) -> ApplicationForm:
    current = (
        ApplicationForm.objects.select_for_update()
        .filter(implementation_id=form.implementation_id, status=FormStatus.ACTIVE)
        .exclude(pk=form.pk)
        .first()
    )
    if current is not None:  # retire first: one active version per implementation (a constraint)
        current.status = FormStatus.RETIRED
        current.save(update_fields=["status"])
    form.status = FormStatus.ACTIVE
    form.save(update_fields=["status"])
    _audit(FORM_ACTIVATED, actor, form, role, previous=current.version if current else None)
    return form


@transaction.atomic
def activate_form(*, actor: User | None, form_id: int) -> ApplicationForm:
    """Make a version the one new applications use (the previous one is retired; cases keep theirs)."""
    form = (
        ApplicationForm.objects.select_for_update()
        .select_related("implementation__department")
        .filter(pk=form_id)
        .first()
    )
    if form is None:
        raise NotFound("未找到该申请表单", code="form_not_found")
    try:
        role = _manager(actor, form.implementation)
    except PermissionDenied:
        raise NotFound("未找到该申请表单", code="form_not_found") from None
    if form.status == FormStatus.ACTIVE:
        raise Conflict("该版本已在使用中", code="form_already_active")
    _, problems = validate_form(schema=form.schema)  # the catalog may have changed since the import
    raise_problems(problems, message="该版本引用的内容已不存在，不能启用")
    return _activate(form, actor, role)


def export_form(*, form: ApplicationForm) -> str:
    """The version's definition as JSON text (importable again as is)."""
    return json.dumps(form.schema, ensure_ascii=False, indent=1) + "\n"


# Reads -----------------------------------------------------------------------------------------------------


def active_form_for(*, implementation: Implementation) -> ApplicationForm | None:
    """The implementation's active form; read from the row's annotations when it was loaded with
    ``active_form_annotations`` (in this transaction), else one statement."""
    if hasattr(implementation, ACTIVE_FORM_PK):
        pk = getattr(implementation, ACTIVE_FORM_PK)
        return None if pk is None else _form_row(pk, getattr(implementation, ACTIVE_FORM_CREATED))
    return ApplicationForm.objects.filter(implementation=implementation, status=FormStatus.ACTIVE).first()


ACTIVE_FORM_PK = "submission_form_pk"
ACTIVE_FORM_CREATED = "submission_form_created_at"


# The implementation's active form (at most one: ``application_form_one_active``) on the outer row of
# ``catalog_implementation``, written out: the ORM's subquery compiles in about a millisecond.
_ACTIVE_FORM_SQL = (
    "SELECT f.{column} FROM applications_applicationform f"
    " WHERE f.implementation_id = catalog_implementation.id AND f.status = 'active' LIMIT 1"
)


def active_form_annotations() -> dict[str, RawSQL]:
    """Annotations of an ``Implementation`` query naming its active form (id and creation time)."""
    return {
        ACTIVE_FORM_PK: RawSQL(  # noqa: S611 (a constant)
            _ACTIVE_FORM_SQL.format(column="id"), (), output_field=BigIntegerField()
        ),
        ACTIVE_FORM_CREATED: RawSQL(  # noqa: S611
            _ACTIVE_FORM_SQL.format(column="created_at"), (), output_field=DateTimeField()
        ),
    }


@lru_cache(maxsize=256)
def _form_row(pk: int, created_at: Any) -> ApplicationForm:
    """A form version by id, kept per process: its schema never changes once imported (a new schema is a
    new version); only its status does, and the caller has just read that it is active. Shared read-only
    by the submissions of the process."""
    return ApplicationForm.objects.get(pk=pk, created_at=created_at)


def bundle_form(*, bundle: Bundle) -> dict[str, Any]:
    """One form for the bundle: the union of its parts' active forms, each field key asked once."""
    parts = list(bundle.bundle_items.select_related("implementation").order_by("order", "pk"))
    forms = {
        form.implementation_id: form
        for form in ApplicationForm.objects.filter(
            implementation_id__in=[part.implementation_id for part in parts], status=FormStatus.ACTIVE
        )
    }
    missing = [part.implementation.name for part in parts if part.implementation_id not in forms]
    if missing:
        raise NotFound(
            f"一件事“{bundle.name}”尚不能网上申请：{'、'.join(missing)}没有启用的申请表单",
            code="bundle_form_incomplete",
            missing=missing,
        )
    title = {"zh": f"{bundle.name}申请表", "en": f"Application: {bundle.code}"}
    return merge_forms(
        code=bundle.code,
        title=title,
        parts=[(part.implementation.code, forms[part.implementation_id].schema) for part in parts],
    )


form_for_bundle = bundle_form


def list_forms_for(*, actor: User | None) -> QuerySet[ApplicationForm]:
    """The form versions of the implementations of the departments the actor manages forms for."""
    departments = department_ids_with_permission(actor, FORM_MANAGE_PERMISSION)
    return ApplicationForm.objects.filter(implementation__department_id__in=departments).select_related(
        "implementation__department", "created_by"
    )


def list_manageable_implementations(*, actor: User | None) -> QuerySet[Implementation]:
    departments = department_ids_with_permission(actor, FORM_MANAGE_PERMISSION)
    return (
        Implementation.objects.filter(department_id__in=departments, is_active=True)
        .select_related("department", "region")
        .order_by("department__name", "name")
    )


def access_form_by_id(*, actor: User | None, form_id: int) -> ApplicationForm:
    """A form version the actor manages; missing and forbidden answer alike."""
    form = list_forms_for(actor=actor).filter(pk=form_id).first()
    if form is None:
        raise NotFound("未找到该申请表单", code="form_not_found")
    return form


# The demo's forms ------------------------------------------------------------------------------------------


@transaction.atomic
def load_demo_forms(*, directory: Path | None = None) -> int:
    """Import and activate every form in data/forms (all or nothing); returns the new versions."""
    created_count = 0
    for path in sorted((directory or DEMO_FORMS_DIR).glob("*.json")):
        try:
            _form, created = import_form(actor=None, schema=path.read_bytes(), activate=True)
        except FormSchemaError as error:
            problems = [f"{path.name}：{problem}" for problem in error.details.get("problems", [])]
            raise FormSchemaError(f"{path.name}：{error.message}", problems=problems) from None
        created_count += int(created)
    return created_count
