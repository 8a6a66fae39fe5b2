"""What one applicant sees (conditions), and the server's check of a submission: every error at once,
prefilled fields re-read and tampering refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.applications.services.form_bundles import BundleFormConflict, merge_forms
from yiwang.applications.services.forms import (
    InvalidForm,
    PrefillTampered,
    check_submission,
    visible_fields,
)
from yiwang.applications.services.prefill import PrefillPurpose
from yiwang.identity.tests.factories import UserFactory

from .forms_world import field, import_small_form, label, make_small_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_small_world()


@pytest.fixture
def schema(world):
    return import_small_form(world).schema


def _keys(fields):
    return [item["key"] for item in fields]


def test_situation_answers_and_other_fields_decide_what_is_shown(schema):
    base = _keys(visible_fields(schema=schema, situation={}, data={}))
    assert "employer" not in base and "reason_b" not in base
    employed = visible_fields(schema=schema, situation={"employed": "yes"}, data={"kind": "b"})
    assert {"employer", "reason_b"} <= set(_keys(employed))
    assert next(item for item in employed if item["key"] == "employer")["is_required"] is True
    # a list answer counts too; a value of a hidden field does not show what depends on it
    assert "employer" in _keys(visible_fields(schema=schema, situation={"employed": ["no", "yes"]}, data={}))
    assert "reason_b" not in _keys(visible_fields(schema=schema, situation={}, data={"kind": "a"}))


def test_conditions_combine_and_follow_hidden_fields():
    schema = {
        "sections": [
            {
                "key": "s",
                "label": label("组"),
                "visible_when": {"applicant_kind": "person"},
                "fields": [
                    field("a", "甲", "choice", options=[{"value": "x", "label": label("x")}]),
                    field(
                        "b",
                        "乙",
                        visible_when={
                            "all": [{"field": "a", "equals": "x"}, {"not": {"situation": "q", "is": "n"}}]
                        },
                    ),
                    field(
                        "c",
                        "丙",
                        visible_when={
                            "any": [{"field": "b", "filled": True}, {"situation": "q", "in": ["m"]}]
                        },
                    ),
                ],
            }
        ]
    }
    shown = lambda situation, data, kind="person": _keys(  # noqa: E731
        visible_fields(schema=schema, situation=situation, data=data, applicant_kind=kind)
    )
    assert shown({}, {"a": "x", "b": "值"}) == ["a", "b", "c"]
    assert shown({"q": "n"}, {"a": "x", "b": "值"}) == ["a"]  # b hidden, so c sees no value of b
    assert shown({"q": "m"}, {}) == ["a", "c"]
    assert shown({}, {"a": "x"}, "enterprise") == []


def _check(world, schema, data, situation=None, claims=None, actor=None):
    return check_submission(
        form_schema=schema,
        situation=situation or {},
        data=data,
        prefilled_claims=claims or {},
        actor=actor or UserFactory(),
        holder_code=(actor.id_number if actor else ""),
        applicant_kind="person",
        department=world.department,
        purpose=PrefillPurpose(reference="draft-1"),
    )


def test_every_error_is_reported_at_once(world, schema):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    data = {
        "applicant_name": "",
        "applicant_id_number": "110101199003070000",
        "phone": "12345",
        "income": "200000",
        "kind": "b",
        "start_on": tomorrow,
        "surprise": "x",
    }
    with pytest.raises(InvalidForm) as raised:
        _check(world, schema, data, situation={"employed": "yes"})
    error = raised.value
    assert error.code == "invalid_form"
    codes = {(item["field"], item["code"]) for item in error.details["errors"]}
    assert {
        ("surprise", "unknown_field"),
        ("applicant_id_number", "invalid_id_checksum"),
        ("phone", "invalid_phone"),
        ("employer", "required"),
        ("income", "too_large"),
        ("reason_b", "required"),
        ("start_on", "date_too_late"),
    } <= codes
    assert "申请表有" in error.message
    assert error.details["fields"]["employer"] == ["请填写工作单位"]


def test_a_valid_submission_is_cleaned_and_hidden_values_dropped(world, schema):
    applicant = UserFactory(level3=True)
    data = {
        "applicant_name": applicant.full_name,
        "applicant_id_number": applicant.id_number.lower(),
        "phone": "13800000001",
        "income": "3500.50",
        "kind": "a",
        "reason_b": "hidden now",
        "employer": "not asked without the situation",
    }
    checked = _check(world, schema, data, actor=applicant)
    assert checked.data["applicant_id_number"] == applicant.id_number
    assert checked.data["income"] == 3500.5
    assert "reason_b" not in checked.data and "employer" not in checked.data
    assert checked.prefilled["applicant_name"]["source"] == "account:name"
    assert checked.prefilled["applicant_name"]["verified_at"]


def test_prefill_tampering_is_refused_at_submission(world, schema):
    applicant = UserFactory(surname="王", given_name="小明", level3=True)
    data = {
        "applicant_name": "李四",  # the page showed 王小明, locked; someone changed it
        "applicant_id_number": applicant.id_number,
        "phone": "13800000001",
        "kind": "a",
        "income": "-1",
    }
    claims = {"applicant_name": {"value": "李四", "source": "account:name"}}
    with pytest.raises(PrefillTampered) as raised:
        _check(world, schema, data, claims=claims, actor=applicant)
    assert raised.value.code == "prefill_tampered"
    assert raised.value.details["fields"]["applicant_name"]
    # the other errors are listed too, not one at a time
    assert ("income", "too_small") in {(e["field"], e["code"]) for e in raised.value.details["errors"]}


def test_a_locked_field_left_empty_is_filled_from_its_source_and_unconfirmed_claims_are_declared(
    world, schema
):
    applicant = UserFactory(surname="王", given_name="小明", level3=True)
    data = {"applicant_id_number": applicant.id_number, "phone": "13800000001", "kind": "a"}
    claims = {
        "applicant_name": {"value": "王小明"},
        "phone": {"value": "13800000001", "source": "account:phone"},
    }
    checked = _check(world, schema, data, claims=claims, actor=applicant)
    assert checked.data["applicant_name"] == "王小明"
    assert set(checked.prefilled) == {"applicant_name"}
    assert checked.unconfirmed == ["phone"]  # the form does not prefill the phone: the applicant's word


def test_a_format_checked_account_is_no_source(world, schema):
    applicant = UserFactory(surname="王", given_name="小明")  # level 2: the name was never checked
    data = {
        "applicant_name": "李四",
        "applicant_id_number": applicant.id_number,
        "phone": "13800000001",
        "kind": "a",
    }
    checked = _check(world, schema, data, actor=applicant)
    assert checked.prefilled == {} and checked.data["applicant_name"] == "李四"


def test_an_agent_gets_no_account_prefill_of_the_principal(world, schema):
    agent, principal = UserFactory(level3=True), UserFactory(level3=True)
    data = {
        "applicant_name": "张三",
        "applicant_id_number": principal.id_number,
        "phone": "13800000001",
        "kind": "a",
    }
    checked = check_submission(
        form_schema=schema,
        situation={},
        data=data,
        prefilled_claims={},
        actor=agent,
        holder_code=principal.id_number,
        applicant_kind="person",
        department=world.department,
    )
    assert checked.prefilled == {}


def test_bundle_merge_refuses_fields_of_the_same_key_and_different_types():
    one = {"sections": [{"key": "s", "label": label("组"), "fields": [field("x", "甲", "text")]}]}
    two = {"sections": [{"key": "s", "label": label("组"), "fields": [field("x", "甲", "number")]}]}
    with pytest.raises(BundleFormConflict) as raised:
        merge_forms(code="b", title=label("一件事"), parts=[("P1", one), ("P2", two)])
    assert "字段“x”在 P1 中为 text，在 P2 中为 number" in raised.value.message


def test_bundle_merge_keeps_a_field_once_shown_when_any_part_shows_it():
    one = {
        "sections": [
            {
                "key": "s",
                "label": label("组"),
                "fields": [field("x", "甲", required=True, visible_when={"situation": "q", "is": "a"})],
            }
        ]
    }
    two = {
        "sections": [
            {
                "key": "s",
                "label": label("组"),
                "fields": [field("x", "甲", visible_when={"situation": "q", "is": "b"}), field("y", "乙")],
            }
        ]
    }
    merged = merge_forms(code="b", title=label("一件事"), parts=[("P1", one), ("P2", two)])
    fields = merged["sections"][0]["fields"]
    assert [item["key"] for item in fields] == ["x", "y"]
    assert fields[0]["asked_by"] == ["P1", "P2"] and fields[0]["origin"] == "P1"
    assert fields[0]["required"] is True
    assert _keys(visible_fields(schema=merged, situation={"q": "b"}, data={})) == ["x", "y"]
    assert _keys(visible_fields(schema=merged, situation={"q": "c"}, data={})) == ["y"]


def test_a_prefilled_number_compares_as_a_number_and_codes_ignore_case():
    from yiwang.applications.services.form_submission import _same

    assert _same("89.5", "89.50", "number") and _same(89.5, "89.50", "number")
    assert not _same("89.6", "89.50", "number") and not _same("x", "1", "number")
    assert _same("51160219900307123x", "51160219900307123X", "id_number")
    assert not _same("0826", "826", "text")
