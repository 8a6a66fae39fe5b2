"""Catalog API: a whole guide, the situation wizard and life-event bundles."""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import get_language
from ninja import Router
from ninja.responses import NinjaJSONEncoder

from yiwang.core.schemas import ERROR_RESPONSES

from . import selectors
from .constants import (
    Audience,
    DayUnit,
    ExerciseLevel,
    HandlingType,
    ItemKind,
    ItemType,
    MaterialRequirement,
    OnlineDepth,
)
from .models import Implementation
from .schemas import (
    BundleGuideOut,
    GuideOut,
    SituationIn,
    SituationOut,
    choice,
    missing_elements,
)

router = Router(tags=["catalog"])


def _item(item) -> dict:
    return {
        "code": item.code,
        "name": item.name,
        "kind": choice(item.kind, ItemKind.choices),
        "handling_type": choice(item.handling_type, HandlingType.choices),
        "parent": item.parent,
        "item_type": choice(item.item_type, ItemType.choices),
        "exercise_level": choice(item.exercise_level, ExerciseLevel.choices),
        "audiences": item.audiences,
        "legal_basis": item.legal_basis,
        "implementation_basis": item.implementation_basis,
        "required_assurance_level": item.required_assurance_level,
    }


def _questions(implementation: Implementation) -> list[dict]:
    questions = list(implementation.questions.all())
    option_refs = {
        option.pk: f"{question.code}:{option.code}"
        for question in questions
        for option in question.options.all()
    }
    return [
        {
            "code": question.code,
            "text": question.text,
            "help_text": question.help_text,
            "shown_when_option": option_refs.get(question.shown_when_id),
            "options": list(question.options.all()),
        }
        for question in questions
    ]


def _guide(implementation: Implementation) -> dict:
    fields = (
        "code",
        "name",
        "conditions",
        "process_description",
        "is_free",
        "fee_basis",
        "place",
        "hours",
        "phone",
        "complaint_channel",
        "visits",
        "result_name",
        "result_license_type",
        "completeness",
    )
    return {
        **{name: getattr(implementation, name) for name in fields},
        "item": _item(implementation.item),
        "competent_department": implementation.item.competent_department,
        "department": implementation.department,
        "region": implementation.region,
        "materials": implementation.materials.all(),
        "steps": implementation.steps.all(),
        "special_steps": implementation.special_steps.all(),
        "time_limits": implementation,
        "fees": implementation.fees.all(),
        "online_depth": choice(implementation.online_depth, OnlineDepth.choices),
        "faqs": implementation.faqs.all(),
        "questions": _questions(implementation),
        "bundles": implementation.bundles.all(),
        "missing_elements": missing_elements(implementation.missing_elements),
    }


@router.get(
    "/items/{code}",
    response={200: GuideOut, **ERROR_RESPONSES},
    summary="办事指南（全部要素）",
    description="`code` 为实施编码，或事项编码（按 `region` 区划及其上级选择实施清单）。",
)
def get_guide(request, code: str, region: str | None = None):
    # The guide is the same for everyone until it is edited: its JSON is rendered once per version and
    # language (ADR 0012), and a client holding the current version gets 304 without a body.
    stamp = selectors.get_guide_stamp(code=code, region_code=region)
    key = stamp.key(variant="api", language=get_language() or "")
    etag = f'"{key}"'
    # 304 (or 412 for a failed If-Match) when the client's validators say so, before anything is rendered.
    response = get_conditional_response(request, etag=etag)
    if response is None:
        body = selectors.cached_guide_rendering(key=key, render=lambda: _guide_json(request, stamp.code))
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    # Public: nothing in a guide is personal. no-cache: a cache must ask again, so no edit waits on it.
    response["Cache-Control"] = "public, no-cache"
    patch_vary_headers(response, ["Accept-Language", "Cookie"])  # the language may come from a cookie
    return response


def _guide_json(request, code: str) -> bytes:
    """The guide as the API root renders a GuideOut: ninja's encoder, Chinese unescaped (yiwang.api)."""
    guide = _guide(selectors.get_implementation_guide(code=code))
    data = GuideOut.model_validate(guide, context={"request": request}).model_dump()
    return json.dumps(data, cls=NinjaJSONEncoder, ensure_ascii=False).encode()


@router.post(
    "/items/{code}/situation",
    response={200: SituationOut, **ERROR_RESPONSES},
    summary="情形引导：按回答生成材料清单",
)
def evaluate_situation(request, code: str, payload: SituationIn, region: str | None = None):
    implementation = selectors.get_implementation_guide(code=code, region_code=region)
    result = selectors.evaluate_situation(implementation=implementation, answers=payload.answers)
    questions = {question.pk: question for question in implementation.questions.all()}
    return {
        "implementation_code": implementation.code,
        "materials": result.materials,
        "removed": [{"material": material, "reason": reason} for material, reason in result.removed],
        "fees": result.fees,
        "total_fee": result.total_fee,
        "is_free": result.is_free,
        "fee_waiver_reason": result.fee_waiver_reason,
        "time_limits": result,
        "answered": [
            {"question": questions[option.question_id].code, "option": option.code, "label": option.label}
            for option in result.answered
        ],
        "unanswered": result.unanswered,
    }


@router.get("/bundles/{code}", response={200: BundleGuideOut, **ERROR_RESPONSES}, summary="一件事：一套材料")
def get_bundle(request, code: str):
    guide = selectors.get_bundle_guide(code=code)
    bundle = guide.bundle
    return {
        "code": bundle.code,
        "name": bundle.name,
        "description": bundle.description,
        "audience": choice(bundle.audience, Audience.choices),
        "region": bundle.region,
        "lead_department": bundle.lead_department,
        "visits": bundle.visits,
        "place": bundle.place,
        "time_limits": {
            "statutory_limit_days": None,
            "statutory_limit_unit": DayUnit.WORKING,
            "promised_limit_days": guide.promised_limit_days,
            "promised_limit_unit": guide.promised_limit_unit,
        },
        "separate_limit_days": guide.separate_limit_days,
        "implementations": [
            {
                "code": impl.code,
                "name": impl.name,
                "department": impl.department.name,
                "promised_limit_days": impl.promised_limit_days,
                "promised_limit_unit": impl.promised_limit_unit,
            }
            for impl in guide.implementations
        ],
        "materials": [
            {
                "material": entry.material,
                "requirement": choice(entry.requirement, MaterialRequirement.choices),
                "needed_by": [impl.code for impl in entry.implementations],
            }
            for entry in guide.materials
        ],
        "materials_before_merge": guide.materials_before_merge,
        "materials_saved": guide.materials_saved,
        "fees": [
            {"fee": entry.fee, "implementation_code": entry.implementation.code} for entry in guide.fees
        ],
        "situational_fees": [
            {"fee": entry.fee, "implementation_code": entry.implementation.code}
            for entry in guide.situational_fees
        ],
        "total_fee": guide.total_fee,
        "is_free": guide.is_free,
    }
