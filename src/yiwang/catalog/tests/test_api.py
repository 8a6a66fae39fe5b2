"""Catalog API: guide, situation wizard and bundle endpoints."""

from __future__ import annotations

from decimal import Decimal

import pytest

from yiwang.catalog.completeness import update_completeness

from .factories import (
    BundleFactory,
    FeeFactory,
    ImplementationFactory,
    MaterialFactory,
    ServiceItemFactory,
    SituationOptionFactory,
    SituationQuestionFactory,
    SpecialStepFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def guide():
    implementation = ImplementationFactory(
        complete=True,
        item__parent=ServiceItemFactory(basic=True, name="主项"),
        is_free=False,
        item__item_type=1,
    )
    proxy = MaterialFactory(implementation=implementation, name="授权委托书", by_situation=True)
    fee = FeeFactory(implementation=implementation, amount=Decimal("12.50"))
    SpecialStepFactory(implementation=implementation)
    who = SituationQuestionFactory(implementation=implementation, code="who", text="谁来办理？")
    agent = SituationOptionFactory(
        question=who, code="agent", label="委托他人", adds_materials=[proxy], explanation="需要授权委托书"
    )
    SituationOptionFactory(question=who, code="self", label="本人")
    follow = SituationQuestionFactory(implementation=implementation, code="relation", shown_when=agent)
    SituationOptionFactory(question=follow, code="poor", waiving=True)
    BundleFactory(implementations=[implementation], name="新生儿出生一件事")
    update_completeness(implementation=implementation)
    return {"implementation": implementation, "proxy": proxy, "fee": fee}


def test_guide_returns_every_element_within_13_queries(client, guide, django_assert_max_num_queries):
    # given
    implementation = guide["implementation"]
    # when: the first request of this version renders it (its stamp, the head, the parts); later ones
    # read only the stamp (test_guide_cache)
    with django_assert_max_num_queries(13):
        response = client.get(f"/api/v1/items/{implementation.code}")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == implementation.code
    assert body["item"]["item_type"] == {"code": 1, "label": "行政许可"}
    assert body["item"]["parent"]["name"] == "主项"
    assert body["department"]["credit_code"] == implementation.department.credit_code
    assert body["region"]["code"] == "511602000000"
    id_card = body["materials"][0]
    assert id_card["license_type_code"] == "ID_CARD"
    assert id_card["requirement"] == {"code": "required", "label": "必要"}
    assert body["time_limits"] == {
        "statutory_limit_days": 20,
        "statutory_limit_unit": "working",
        "promised_limit_days": 5,
        "promised_limit_unit": "working",
        "supplement_notice_days": None,
        "supplement_notice_unit": "working",
    }
    assert body["fees"][0]["amount"] in ("12.50", 12.5)
    assert body["online_depth"]["code"] == 4 and body["visits"] == 0
    assert body["special_steps"][0]["name"] == "现场勘验" and body["faqs"] and body["steps"]
    questions = {question["code"]: question for question in body["questions"]}
    assert questions["relation"]["shown_when_option"] == "who:agent"
    assert questions["who"]["options"][0]["adds_material_ids"] == [guide["proxy"].pk]
    assert body["bundles"] == [{"code": implementation.bundles.get().code, "name": "新生儿出生一件事"}]
    assert (body["completeness"], body["missing_elements"]) == (100, [])


def test_guide_by_item_code_and_region(client, guide):
    # when
    item_code = guide["implementation"].item.code
    response = client.get(f"/api/v1/items/{item_code}", {"region": "511602004000"})
    # then
    assert response.status_code == 200 and response.json()["code"] == guide["implementation"].code


def test_incomplete_guide_names_its_missing_elements(client):
    # given
    implementation = update_completeness(implementation=ImplementationFactory(is_free=False))
    # when
    body = client.get(f"/api/v1/items/{implementation.code}").json()
    # then
    assert body["completeness"] == 7  # only "consistency" of 15 elements is there
    assert body["missing_elements"][:2] == [
        {"key": "legal_basis", "label": "设定依据与实施依据"},
        {"key": "conditions", "label": "受理条件"},
    ]


def test_unknown_item_is_404_with_stable_code(client):
    response = client.get("/api/v1/items/NOPE")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_item"
    assert "未找到" in response.json()["error"]["message"]


def test_situation_lists_materials_with_reasons_fees_and_limits(client, guide):
    # when
    response = client.post(
        f"/api/v1/items/{guide['implementation'].code}/situation",
        {"answers": {"who": "agent"}},
        content_type="application/json",
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert [need["material"]["name"] for need in body["materials"]] == ["居民身份证", "授权委托书"]
    assert body["materials"][1]["reasons"] == ["需要授权委托书"]
    assert Decimal(str(body["total_fee"])) == Decimal("12.50") and body["is_free"] is False
    assert body["time_limits"]["promised_limit_days"] == 5
    assert body["answered"] == [{"question": "who", "option": "agent", "label": "委托他人"}]
    assert [question["code"] for question in body["unanswered"]] == ["relation"]


def test_situation_with_waiver_is_free(client, guide):
    response = client.post(
        f"/api/v1/items/{guide['implementation'].code}/situation",
        {"answers": {"who": "agent", "relation": ["poor"]}},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["is_free"] is True and response.json()["fees"] == []


@pytest.mark.parametrize("answers", [{"nope": "x"}, {"who": "robot"}])
def test_situation_with_unknown_answer_is_400(client, guide, answers):
    response = client.post(
        f"/api/v1/items/{guide['implementation'].code}/situation",
        {"answers": answers},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_answer"


def test_situation_with_malformed_body_is_400(client, guide):
    response = client.post(
        f"/api/v1/items/{guide['implementation'].code}/situation",
        {"answers": {"who": 3}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_bundle_returns_one_set_of_materials(client):
    # given
    first, second = ImplementationFactory(complete=True), ImplementationFactory(complete=True)
    bundle = BundleFactory(implementations=[first, second])
    # when
    response = client.get(f"/api/v1/bundles/{bundle.code}")
    # then
    assert response.status_code == 200
    body = response.json()
    assert [impl["code"] for impl in body["implementations"]] == [first.code, second.code]
    assert len(body["materials"]) == 1 and body["materials"][0]["needed_by"] == [first.code, second.code]
    assert body["materials_saved"] == 1


def test_bundle_lists_fees_that_depend_on_the_situation(client):
    # given: an item whose registration fee depends on the house type
    charging = ImplementationFactory(is_free=False)
    FeeFactory(implementation=charging, name="不动产登记费（住宅）", amount=Decimal("80"), by_situation=True)
    bundle = BundleFactory(implementations=[ImplementationFactory(is_free=True), charging])
    # when
    body = client.get(f"/api/v1/bundles/{bundle.code}").json()
    # then
    assert body["is_free"] is False and body["fees"] == []
    assert [(entry["implementation_code"], entry["fee"]["name"]) for entry in body["situational_fees"]] == [
        (charging.code, "不动产登记费（住宅）")
    ]


def test_unknown_bundle_is_404(client):
    response = client.get("/api/v1/bundles/nope")
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_bundle"
