"""Applying online (网上申报): who applies, the situation, the form with its locked prefilled fields, the
materials the applicant no longer needs to bring (and why) and the uploads for the rest, drafts saved and
resumed, one submission per draft, and the confirmation with the query code shown once.

The draft's ``form_token`` is the submission's idempotency key: a double click, a resent POST or two
tabs give one case. Prefilled fields are shown locked with their source, and the server reads every
source again at submission (``forms.check_submission``): a changed value is refused, and the draft keeps
every answer (it is saved before the submission is tried).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiwang.catalog.models import Bundle, Implementation, SituationOption, SituationQuestion
from yiwang.catalog.selectors import evaluate_situation, get_bundle_guide, get_implementation_guide
from yiwang.core.errors import DomainError, NotFound
from yiwang.identity.models import Mandate
from yiwang.identity.selectors import (
    list_active_mandates_received,
    list_enterprises_represented,
    required_level_label,
)
from yiwang.regions.models import Department

from .. import selectors
from ..constants import ApplicantKind, MaterialSource, PaymentStatus
from ..models import Case, Draft
from ..services import drafts, forms, materials, payments, prefill
from ..services.form_schema import PREFILL_REGISTER, iter_fields
from .citizen_forms import (
    SESSION_CODES,
    SITUATION,
    applicant_case,
    errors_by_field,
    form_fields,
    read_answers,
    store_files,
)

# The target of an application ------------------------------------------------------------------------


@dataclass
class Target:
    """What is applied for: one implementation, or a bundle whose every part has a form."""

    implementation: Implementation | None
    bundle: Bundle | None
    parts: list[Implementation]
    schema: dict[str, Any]
    department: Department
    name: str

    @property
    def required_level(self) -> int:
        return max((part.item.required_assurance_level for part in self.parts), default=1)

    @property
    def audiences(self) -> set[str]:
        """Who may apply: every part must serve the applicant's kind (an empty list serves all)."""
        kinds = set(ApplicantKind.values)
        for part in self.parts:
            if part.item.audiences:
                kinds &= set(part.item.audiences)
        return kinds

    @property
    def start_url(self) -> str:
        if self.bundle is not None:
            return reverse("applications:apply_bundle", args=[self.bundle.code])
        assert self.implementation is not None
        return reverse("applications:apply", args=[self.implementation.code])


_QUESTIONS = Prefetch(
    "questions",
    queryset=SituationQuestion.objects.order_by("order", "pk").prefetch_related(
        Prefetch("options", queryset=SituationOption.objects.order_by("order", "pk")),
        "options__adds_materials",
        "options__removes_materials",
        "options__adds_fees",
    ),
)


def _loaded(parts: list[Implementation]) -> list[Implementation]:
    by_pk = {
        one.pk: one
        for one in Implementation.objects.filter(pk__in=[part.pk for part in parts])
        .select_related("item", "department", "region")
        .prefetch_related(_QUESTIONS, "materials", "fees")
    }
    return [by_pk[part.pk] for part in parts]


def _implementation_target(implementation: Implementation) -> Target:
    form = forms.active_form_for(implementation=implementation)
    if form is None:
        raise NotFound(_("该事项暂未开通网上申报"), code="not_online")
    (loaded,) = _loaded([implementation])
    return Target(loaded, None, [loaded], form.schema, loaded.department, loaded.name)


def _bundle_target(bundle: Bundle) -> Target:
    parts = [
        part.implementation
        for part in bundle.bundle_items.select_related("implementation").order_by("order", "pk")
    ]
    schema = forms.bundle_form(bundle=bundle)  # NotFound names the parts without a form
    return Target(None, bundle, _loaded(parts), schema, bundle.lead_department, bundle.name)


def _draft_target(draft: Draft) -> Target:
    if draft.bundle_id is not None:
        return _bundle_target(draft.bundle)
    return _implementation_target(draft.implementation)


# Situation questions (the portal's wizard, for every part at once) -------------------------------------


@dataclass
class Question:
    question: SituationQuestion
    options: list[SituationOption]
    selected: str = ""
    is_shown: bool = True


def _answers_for(part: Implementation, situation: Mapping[str, Any]) -> dict[str, Any]:
    valid = {question.code: {o.code for o in question.options.all()} for question in part.questions.all()}
    return {
        code: value
        for code, value in situation.items()
        if code in valid and isinstance(value, str) and value in valid[code]
    }


def situation_questions(
    parts: list[Implementation], situation: Mapping[str, Any]
) -> tuple[list[Question], dict[str, Any]]:
    """The questions of every part (a code asked once), which are shown for these answers, and the
    answers kept (those of shown questions)."""
    questions: dict[str, Question] = {}
    for part in parts:
        result = evaluate_situation(implementation=part, answers=_answers_for(part, situation))
        visible = {question.pk for question in result.visible_questions}
        for question in part.questions.all():
            entry = questions.get(question.code)
            if entry is None:
                options = list(question.options.all())
                chosen = situation.get(question.code)
                selected = chosen if chosen in {option.code for option in options} else ""
                entry = questions[question.code] = Question(question, options, selected, is_shown=False)
            entry.is_shown = entry.is_shown or question.pk in visible
    kept = {code: entry.selected for code, entry in questions.items() if entry.is_shown and entry.selected}
    return list(questions.values()), kept


def posted_situation(post: Any, parts: list[Implementation]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for part in parts:
        for question in part.questions.all():
            value = post.get(SITUATION + question.code, "")
            if value in {option.code for option in question.options.all()}:
                answers[question.code] = value
    return answers


# The form, prefilled ------------------------------------------------------------------------------------


def _condition_fields(condition: Any, found: set[str]) -> None:
    if isinstance(condition, dict):
        if "field" in condition and isinstance(condition["field"], str):
            found.add(condition["field"])
        for value in condition.values():
            _condition_fields(value, found)
    elif isinstance(condition, list):
        for value in condition:
            _condition_fields(value, found)


def trigger_fields(schema: Mapping[str, Any]) -> set[str]:
    """Fields whose answer changes the page: named by a condition, or the key of a register prefill."""
    found: set[str] = set()
    for section, item in iter_fields(schema):
        _condition_fields(section.get("visible_when"), found)
        _condition_fields(item.get("visible_when"), found)
        _condition_fields(item.get("required_when"), found)
        spec = item.get("prefill") or {}
        if spec.get("source") == PREFILL_REGISTER and isinstance(spec.get("key"), dict):
            found.add(spec["key"].get("field", ""))
    return found - {""}


@dataclass
class Section:
    key: str
    label: Any
    description: Any
    fields: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FilledForm:
    """What the page shows of the form: visible sections and fields, values, locks, errors."""

    sections: list[Section]
    values: dict[str, Any]
    prefilled: dict[str, dict[str, Any]]
    triggers: set[str]
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def claims(self) -> dict[str, Any]:
        return {key: entry["value"] for key, entry in self.prefilled.items()}


def fill_form(
    *,
    schema: dict[str, Any],
    situation: Mapping[str, Any],
    data: Mapping[str, Any],
    applicant_kind: str,
    prefilled: Mapping[str, dict[str, Any]],
) -> FilledForm:
    merged = {**data, **{key: entry["value"] for key, entry in prefilled.items()}}
    shown = forms.visible_fields(
        schema=schema, situation=situation, data=merged, applicant_kind=applicant_kind
    )
    shown_keys = {item["key"] for item in shown if item["type"] != "file"}
    sections = []
    by_key = {item["key"]: item for item in shown}
    for section in schema.get("sections", []):
        visible = [by_key[item["key"]] for item in section.get("fields", []) if item["key"] in shown_keys]
        if visible:
            sections.append(Section(section["key"], section["label"], section.get("description"), visible))
    return FilledForm(
        sections=sections,
        values=merged,
        prefilled={key: dict(entry) for key, entry in prefilled.items() if key in shown_keys},
        triggers=trigger_fields(schema),
    )


def _purpose(target: Target, draft: Draft) -> prefill.PrefillPurpose:
    if target.implementation is not None:
        return prefill.purpose_for(implementation=target.implementation, reference=draft.form_token)
    return prefill.PrefillPurpose(reference=draft.form_token)


def _prefilled(request: HttpRequest, target: Target, draft: Draft, situation, data) -> dict[str, Any]:
    shown = forms.visible_fields(
        schema=target.schema, situation=situation, data=data, applicant_kind=draft.applicant_kind
    )
    try:
        return prefill.prefill(
            schema=target.schema,
            actor=request.user,
            holder_code=draft.holder_code,
            applicant_kind=draft.applicant_kind,
            department=target.department,
            purpose=_purpose(target, draft),
            data=data,
            only=[item["key"] for item in shown],
        )
    except DomainError:  # a source that cannot answer now leaves the fields to the applicant
        return {}


# The page of a draft --------------------------------------------------------------------------------------


@dataclass
class DraftPage:
    draft: Draft
    target: Target
    situation: dict[str, Any]
    questions: list[Question]
    form: FilledForm
    plan: list[materials.MaterialPlanItem]
    plan_error: str
    uploads: dict[str, Any]

    @property
    def upload_keys(self) -> set[str]:
        return {item.key for item in self.plan if item.satisfied_by == MaterialSource.UPLOAD}

    @property
    def to_upload(self) -> list[materials.MaterialPlanItem]:
        return [item for item in self.plan if item.satisfied_by == MaterialSource.UPLOAD]

    @property
    def not_needed(self) -> list[materials.MaterialPlanItem]:
        return [item for item in self.plan if item.satisfied_by != MaterialSource.UPLOAD]


def build_page(request: HttpRequest, draft: Draft, *, situation=None, data=None) -> DraftPage:
    target = _draft_target(draft)
    questions, kept = situation_questions(target.parts, draft.situation if situation is None else situation)
    answers = dict(draft.data if data is None else data)
    found = _prefilled(request, target, draft, kept, answers)
    form = fill_form(
        schema=target.schema,
        situation=kept,
        data=answers,
        applicant_kind=draft.applicant_kind,
        prefilled=found,
    )
    plan, plan_error = [], ""
    try:
        plan = materials.plan(
            implementations=target.parts, situation=kept, actor=request.user, holder_code=draft.holder_code
        )
    except DomainError as error:
        plan_error = error.message
    return DraftPage(draft, target, kept, questions, form, plan, plan_error, drafts.stored_files(draft))


def _render_draft(request, page: DraftPage, *, status: int = 200, error: str = "", material_errors=None):
    return render(
        request,
        "applications/apply/draft.html",
        {
            "page": page,
            "draft": page.draft,
            "target": page.target,
            "form": page.form,
            "error": error,
            "material_errors": material_errors or {},
            "holder_label": _holder_label(page.draft),
        },
        status=status,
    )


def _holder_label(draft: Draft) -> str:
    if draft.mandate_id is not None:
        return _("%(name)s（经委托代办）") % {"name": draft.mandate.principal_label}
    if draft.applicant_kind == ApplicantKind.ENTERPRISE:
        enterprise = list_enterprises_represented(user=draft.applicant).filter(credit_code=draft.holder_code)
        name = enterprise.values_list("name", flat=True).first() or draft.holder_code
        return _("%(name)s（我是法定代表人）") % {"name": name}
    return _("本人（%(name)s）") % {"name": draft.applicant.full_name}


def _draft_or_submitted(request, token: str) -> Draft | HttpResponse:
    try:
        return drafts.access_draft(actor=request.user, token=token)
    except NotFound:
        case = drafts.submitted_case_for(actor=request.user, token=token)
        if case is None:
            raise Http404(_("未找到该草稿")) from None
        return redirect("applications:submitted", number=case.number)


def _own_draft(request, token: str) -> Draft:
    try:
        return drafts.access_draft(actor=request.user, token=token)
    except NotFound:
        raise Http404(_("未找到该草稿")) from None


def _saved_answers(page: DraftPage, posted: dict[str, Any]) -> dict[str, Any]:
    """What the draft keeps: the applicant's answers, and each locked field as its source says."""
    return {**posted, **page.form.claims}


@login_required
@require_http_methods(["GET", "POST"])
def draft_page(request: HttpRequest, token: str) -> HttpResponse:
    found = _draft_or_submitted(request, token)
    if isinstance(found, HttpResponse):
        return found
    draft = found
    try:
        if request.method == "GET":
            return _render_draft(request, build_page(request, draft))
        return _post_draft(request, draft)
    except NotFound as error:  # the form was withdrawn since the draft started
        return render(request, "applications/apply/unavailable.html", {"message": error.message}, status=404)


def _post_draft(request: HttpRequest, draft: Draft) -> HttpResponse:
    target = _draft_target(draft)
    situation = posted_situation(request.POST, target.parts)
    posted = read_answers(request.POST, form_fields(target.schema).values())
    page = build_page(request, draft, situation=situation, data=posted)
    stored, material_errors = store_files(request.FILES, page.upload_keys)
    draft = drafts.save_draft(
        actor=request.user,
        draft=draft,
        situation=page.situation,
        data=_saved_answers(page, posted),
        uploads=stored,
    )
    page.draft, page.uploads = draft, drafts.stored_files(draft)
    if request.POST.get("action") != "submit":
        if material_errors:
            return _render_draft(request, page, status=400, material_errors=material_errors)
        messages.success(request, _("草稿已保存，可随时在“我的草稿”中继续填写"))
        return redirect("applications:draft", token=draft.form_token)
    if material_errors:
        error = _("有材料文件未能上传，请按提示重新选择文件")
        return _render_draft(request, page, status=400, error=error, material_errors=material_errors)
    try:
        case, created = drafts.submit_draft(
            actor=request.user,
            draft=draft,
            data=posted,
            prefilled_claims=page.form.claims,
            upload_keys=page.upload_keys,
        )
    except DomainError as error:
        page.form.errors = errors_by_field(error)
        missing_names = error.details.get("missing") or []
        missing = {item.key: _("请上传此材料") for item in page.to_upload if item.name in missing_names}
        return _render_draft(request, page, status=400, error=error.message, material_errors=missing)
    if created:
        codes = dict(request.session.get(SESSION_CODES) or {})
        codes[case.number] = case.query_code
        request.session[SESSION_CODES] = codes
    return redirect("applications:submitted", number=case.number)


@login_required
@require_POST
def draft_refresh(request: HttpRequest, token: str) -> HttpResponse:
    """The page again after an answer that changes it (htmx): the answers are kept as a draft."""
    draft = _own_draft(request, token)
    target = _draft_target(draft)
    situation = posted_situation(request.POST, target.parts)
    posted = read_answers(request.POST, form_fields(target.schema).values())
    page = build_page(request, draft, situation=situation, data=posted)
    page.draft = drafts.save_draft(
        actor=request.user, draft=draft, situation=page.situation, data=_saved_answers(page, posted)
    )
    return _render_draft(request, page)


@login_required
@require_POST
def draft_delete(request: HttpRequest, token: str) -> HttpResponse:
    draft = _own_draft(request, token)
    drafts.discard_draft(actor=request.user, draft=draft)
    messages.success(request, _("草稿已删除"))
    return redirect("applications:drafts")


@login_required
@require_GET
def draft_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "applications/apply/drafts.html",
        {"drafts": list(drafts.list_drafts_for(actor=request.user))},
    )


# Starting: who applies ------------------------------------------------------------------------------------


@dataclass
class Choice:
    value: str
    label: str
    hint: str = ""
    refusal: str = ""  # why this holder cannot be chosen for this item


def _mandate_refusal(mandate: Mandate, target: Target) -> str:
    kind = ApplicantKind.ENTERPRISE if mandate.enterprise_id else ApplicantKind.PERSON
    if kind not in target.audiences:
        return _("本事项不面向%(kind)s办理") % {"kind": ApplicantKind(kind).label}
    covered = selectors.mandate_item_ids(mandate)
    if covered is not None and not all(part.item_id in covered for part in target.parts):
        return _("委托不包含本事项")
    return ""


def applicant_choices(user: Any, target: Target) -> list[Choice]:
    choices = []
    if user.id_number:
        refusal = "" if ApplicantKind.PERSON in target.audiences else _("本事项不面向个人办理")
        choices.append(Choice("self", _("本人申请（%(name)s）") % {"name": user.full_name}, refusal=refusal))
    for enterprise in list_enterprises_represented(user=user):
        refusal = "" if ApplicantKind.ENTERPRISE in target.audiences else _("本事项不面向企业办理")
        choices.append(
            Choice(
                f"enterprise:{enterprise.credit_code}",
                _("为本企业申请：%(name)s") % {"name": enterprise.name},
                hint=_("您是该企业的法定代表人"),
                refusal=refusal,
            )
        )
    for mandate in list_active_mandates_received(user=user):
        until = mandate.valid_until.isoformat() if mandate.valid_until else _("长期")
        choices.append(
            Choice(
                f"mandate:{mandate.pk}",
                _("受托代办：%(name)s") % {"name": mandate.principal_label},
                hint=_("授权委托有效期至 %(until)s") % {"until": until},
                refusal=_mandate_refusal(mandate, target),
            )
        )
    return choices


def _chosen_applicant(user: Any, value: str) -> tuple[str, str, Mandate | None]:
    """(applicant kind, holder code, mandate) of a choice; the services check that it is allowed."""
    if value == "self":
        return ApplicantKind.PERSON, user.id_number or "", None
    if value.startswith("enterprise:"):
        return ApplicantKind.ENTERPRISE, value.split(":", 1)[1], None
    if value.startswith("mandate:"):
        try:
            mandate = list_active_mandates_received(user=user).get(pk=int(value.split(":", 1)[1]))
        except (ValueError, Mandate.DoesNotExist):
            raise NotFound(_("未找到该授权委托"), code="mandate_not_found") from None
        kind = ApplicantKind.ENTERPRISE if mandate.enterprise_id else ApplicantKind.PERSON
        return kind, selectors.principal_code(mandate), mandate
    raise NotFound(_("请选择申请主体"), code="applicant_required")


def _start(request: HttpRequest, target: Target) -> HttpResponse:
    choices = applicant_choices(request.user, target)
    error = ""
    if request.method == "POST":
        chosen = request.POST.get("applicant", "")
        try:
            kind, holder_code, mandate = _chosen_applicant(request.user, chosen)
            draft = drafts.start_draft(
                actor=request.user,
                implementation=target.implementation,
                bundle=target.bundle,
                applicant_kind=kind,
                holder_code=holder_code,
                mandate=mandate,
            )
        except DomainError as refused:
            error = refused.message
        else:
            return redirect("applications:draft", token=draft.form_token)
    existing = [
        draft
        for draft in drafts.list_drafts_for(actor=request.user)
        if draft.implementation_id == getattr(target.implementation, "pk", None)
        and draft.bundle_id == getattr(target.bundle, "pk", None)
    ]
    level_short = request.user.assurance_level < target.required_level
    step_up = (
        reverse("identity:step_up") + "?" + urlencode({"level": target.required_level, "next": request.path})
    )
    selectable = [choice for choice in choices if not choice.refusal]
    return render(
        request,
        "applications/apply/start.html",
        {
            "target": target,
            "choices": choices,
            "default_choice": selectable[0].value if len(selectable) == 1 else "",
            "existing": existing,
            "error": error,
            "level_short": level_short,
            "required_level_label": required_level_label(target.required_level),
            "step_up_url": step_up,
        },
        status=400 if error else 200,
    )


def _unavailable(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "applications/apply/unavailable.html", {"message": message}, status=404)


@login_required
@require_http_methods(["GET", "POST"])
def apply_start(request: HttpRequest, code: str) -> HttpResponse:
    try:
        implementation = get_implementation_guide(code=code)
        if implementation.code != code:
            raise NotFound(_("未找到该事项"), code="unknown_item")
        target = _implementation_target(implementation)
    except NotFound as error:
        return _unavailable(request, error.message)
    return _start(request, target)


@login_required
@require_http_methods(["GET", "POST"])
def apply_bundle_start(request: HttpRequest, code: str) -> HttpResponse:
    try:
        target = _bundle_target(get_bundle_guide(code=code).bundle)
    except NotFound as error:
        return _unavailable(request, error.message)
    return _start(request, target)


# The confirmation ---------------------------------------------------------------------------------------


@dataclass
class FeeStep:
    case: Case
    total: str
    is_paid: bool


def fee_steps(case: Case) -> list[FeeStep]:
    """The fees the applicant can pay online: the case's own, or each part's of a bundle."""
    steps = []
    for one in [case, *case.children.select_related("implementation", "department").order_by("pk")]:
        if one.implementation is None:
            continue
        try:
            quote = payments.fees_for_case(case=one)
        except DomainError:
            continue
        if quote.is_payable_online:
            paid = any(p.status == PaymentStatus.PAID for p in payments.list_payments_for_case(case=one))
            steps.append(FeeStep(one, f"{quote.total:.2f}", paid))
    return steps


@login_required
@require_GET
def submitted(request: HttpRequest, number: str) -> HttpResponse:
    """The confirmation: the number, the query code once (only its hash is kept), receipt, next steps."""
    case = applicant_case(request, number)
    codes = dict(request.session.get(SESSION_CODES) or {})
    query_code = codes.pop(case.number, "")
    if query_code:
        request.session[SESSION_CODES] = codes
    response = render(
        request,
        "applications/apply/submitted.html",
        {
            "case": case,
            "query_code": query_code,
            "parts": list(case.children.select_related("implementation", "department").order_by("pk")),
            "fees": fee_steps(case),
        },
    )
    response["Cache-Control"] = "no-store"  # the query code must not come back from a cache
    return response


urlpatterns = [
    path("apply/bundle/<str:code>/", apply_bundle_start, name="apply_bundle"),
    path("apply/<str:code>/", apply_start, name="apply"),
    path("drafts/", draft_list, name="drafts"),
    path("drafts/<str:token>/", draft_page, name="draft"),
    path("drafts/<str:token>/refresh", draft_refresh, name="draft_refresh"),
    path("drafts/<str:token>/delete", draft_delete, name="draft_delete"),
    path("mine/<str:number>/submitted", submitted, name="submitted"),
]
