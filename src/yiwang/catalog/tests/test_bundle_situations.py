"""A bundle's own situation questions (一件事的情形): a cash buyer needs no mortgage registration."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from yiwang.catalog.constants import MaterialRequirement
from yiwang.catalog.guides import load_demo_guides, read_guide_files
from yiwang.catalog.guides.schema import BundleSpec, bundle_question_problems
from yiwang.catalog.models import Bundle, SituationQuestion
from yiwang.catalog.selectors import evaluate_bundle_situation, get_bundle_guide
from yiwang.core.errors import InvalidInput

from .factories import (
    BundleFactory,
    FeeFactory,
    ImplementationFactory,
    MaterialFactory,
    SituationOptionFactory,
    SituationQuestionFactory,
)

pytestmark = pytest.mark.django_db
MORTGAGE_CODE = "000172008003-511602000000-000-11511301MB1550442U-1-00"


@pytest.fixture
def house():
    """The 二手房 shape: a transfer for everyone, a mortgage registration only for a buyer with a loan."""
    transfer = ImplementationFactory(complete=True, is_free=False, name="转移登记")
    mortgage = ImplementationFactory(complete=True, is_free=False, name="抵押权首次登记")
    MaterialFactory(implementation=transfer, name="不动产登记申请书", key="application")
    MaterialFactory(implementation=mortgage, name="不动产登记申请书", key="application")
    contract = MaterialFactory(implementation=mortgage, name="抵押合同", key="mortgage-contract")
    notice = MaterialFactory(implementation=transfer, name="抵押权人同意书", key="notice", by_situation=True)
    FeeFactory(implementation=transfer, name="登记费", amount=Decimal("80"))
    FeeFactory(implementation=mortgage, name="抵押登记费", amount=Decimal("80"))
    bundle = BundleFactory(implementations=[transfer, mortgage], name="二手房转移登记一件事")
    payment = SituationQuestionFactory(implementation=None, bundle=bundle, code="payment", text="如何付款？")
    SituationOptionFactory(
        question=payment,
        code="cash",
        label="全款",
        explanation="全款无需抵押",
        skips_implementations=[mortgage],
    )
    SituationOptionFactory(question=payment, code="loan", label="贷款")
    seller = SituationQuestionFactory(
        implementation=None, bundle=bundle, code="seller", text="卖方有抵押吗？"
    )
    SituationOptionFactory(question=seller, code="no", label="没有", removes_materials=[notice])
    SituationOptionFactory(question=seller, code="yes", label="有", adds_materials=[notice])
    return {"bundle": bundle, "transfer": transfer, "mortgage": mortgage, "contract": contract}


def _requirements(guide) -> dict[str, str]:
    return {entry.material.name: entry.requirement for entry in guide.materials}


def test_without_answers_the_mortgage_papers_are_needed_only_in_some_situations(house):
    # when nobody has answered yet
    guide = get_bundle_guide(code=house["bundle"].code)
    # then the mortgage-only paper is 根据情形需要 with the item it serves, the shared one stays required
    requirements = _requirements(guide)
    assert requirements["抵押合同"] == MaterialRequirement.BY_SITUATION
    assert requirements["不动产登记申请书"] == MaterialRequirement.REQUIRED
    assert requirements["抵押权人同意书"] == MaterialRequirement.BY_SITUATION
    contract = next(entry for entry in guide.materials if entry.material.name == "抵押合同")
    assert "抵押权首次登记" in contract.reasons[0]
    assert guide.situation.conditional == [house["mortgage"]]
    # and the mortgage fee is not counted as charged for everyone
    assert [item.fee.name for item in guide.fees] == ["登记费"]
    assert [item.fee.name for item in guide.situational_fees] == ["抵押登记费"]
    assert guide.total_fee == Decimal("80")


def test_a_cash_buyer_skips_the_mortgage_registration_and_its_papers(house):
    found = get_bundle_guide(code=house["bundle"].code).bundle
    # when the buyer pays in full and the seller's house carries no mortgage
    guide = evaluate_bundle_situation(bundle=found, answers={"payment": "cash", "seller": "no"})
    # then only the transfer is left, with its own papers
    assert guide.implementations == [house["transfer"]]
    assert [skipped.implementation for skipped in guide.situation.skipped] == [house["mortgage"]]
    assert guide.situation.skipped[0].reason == "全款无需抵押"
    assert set(_requirements(guide)) == {"居民身份证", "不动产登记申请书"}  # the ID card of complete guides
    removed = {entry.material.name for entry in guide.situation.removed}
    assert removed == {"抵押合同", "抵押权人同意书"}
    assert [item.fee.name for item in guide.fees + guide.situational_fees] == ["登记费"]
    assert guide.situation.unanswered == []


def test_a_buyer_with_a_loan_needs_the_mortgage_papers(house):
    found = get_bundle_guide(code=house["bundle"].code).bundle
    guide = evaluate_bundle_situation(bundle=found, answers={"payment": "loan", "seller": "yes"})
    requirements = _requirements(guide)
    assert requirements["抵押合同"] == MaterialRequirement.REQUIRED
    assert requirements["抵押权人同意书"] == MaterialRequirement.REQUIRED  # the answer asks for it
    assert guide.implementations == [house["transfer"], house["mortgage"]]
    assert guide.total_fee == Decimal("160")


def test_an_unknown_answer_is_refused_as_in_the_single_guide_wizard(house):
    found = get_bundle_guide(code=house["bundle"].code).bundle
    with pytest.raises(InvalidInput):
        evaluate_bundle_situation(bundle=found, answers={"payment": "barter"})


def test_evaluating_answers_costs_no_query(house, django_assert_num_queries):
    found = get_bundle_guide(code=house["bundle"].code).bundle
    with django_assert_num_queries(0):
        evaluate_bundle_situation(bundle=found, answers={"payment": "cash"})


def test_a_question_belongs_to_one_guide_or_one_bundle():
    bundle = BundleFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SituationQuestion.objects.create(
            implementation=ImplementationFactory(), bundle=bundle, code="both", text="？"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SituationQuestion.objects.create(code="neither", text="？")


def test_the_second_hand_house_bundle_asks_cash_or_loan_in_the_files():
    bundle = next(b for b in read_guide_files().bundles if b.code == "second-hand-house-transfer")
    payment = next(question for question in bundle.questions if question.code == "payment")
    cash = next(option for option in payment.options if option.code == "cash")
    assert cash.skips_implementations == [MORTGAGE_CODE]


def test_a_bundle_question_may_only_name_its_members_and_their_materials():
    spec = BundleSpec.model_validate(
        {
            **{"code": "b", "name": "一件事", "description": "说明", "audience": "person"},
            **{"lead_department": "局", "implementations": ["A-1", "B-1"], "topics": ["t"]},
            **{"keywords": ["词"], "promised_limit_days": 3, "visits": 1, "place": "大厅"},
            "questions": [
                {
                    "code": "payment",
                    "text": "如何付款？",
                    "options": [
                        {
                            "code": "cash",
                            "label": "全款",
                            "explanation": "无需",
                            "skips_implementations": ["C-1"],
                        },
                        {"code": "loan", "label": "贷款", "explanation": "需要", "adds_materials": ["nope"]},
                    ],
                }
            ],
        }
    )
    problems = dict(bundle_question_problems(spec, {"application"}, {"A-1", "B-1"}))
    assert "不是本一件事的包含事项" in problems["questions[0].options[0].skips_implementations"]
    assert "nope" in problems["questions[0].options[1].adds_materials"]


@pytest.mark.slow
def test_loading_the_files_writes_the_bundle_question_and_its_choices():
    load_demo_guides()
    bundle = Bundle.objects.get(code="second-hand-house-transfer")
    payment = bundle.questions.get(code="payment")
    cash = payment.options.get(code="cash")
    assert list(cash.skips_implementations.values_list("code", flat=True)) == [MORTGAGE_CODE]
    seller = bundle.questions.get(code="seller_mortgage").options.get(code="no")
    assert set(seller.removes_materials.values_list("key", flat=True)) == {"mortgagee_notice"}
    # and the page-level guide of a cash buyer leaves the mortgage registration out
    guide = get_bundle_guide(code=bundle.code, answers={"payment": "cash"})
    assert MORTGAGE_CODE not in {implementation.code for implementation in guide.implementations}
    assert not any(entry.material.key == "mortgage_contract" for entry in guide.materials)
