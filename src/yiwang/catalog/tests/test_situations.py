"""The situation wizard: which materials, fees and limits one applicant's answers lead to."""

from __future__ import annotations

from decimal import Decimal

import pytest

from yiwang.catalog.selectors import evaluate_situation, get_implementation_guide
from yiwang.core.errors import InvalidInput

from .factories import (
    FeeFactory,
    ImplementationFactory,
    MaterialFactory,
    SituationOptionFactory,
    SituationQuestionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def wizard():
    """A guide with a required ID card, a by-situation proxy letter, an optional photo and a fee."""
    implementation = ImplementationFactory(is_free=False, statutory_limit_days=20, promised_limit_days=5)
    id_card = MaterialFactory(implementation=implementation, id_card=True)
    household = MaterialFactory(implementation=implementation, name="户口簿")
    proxy_letter = MaterialFactory(implementation=implementation, name="授权委托书", by_situation=True)
    photo = MaterialFactory(implementation=implementation, name="近期免冠照片", optional=True)
    fee = FeeFactory(implementation=implementation, amount=Decimal("20.00"))
    express_fee = FeeFactory(implementation=implementation, amount=Decimal("15.50"), by_situation=True)
    who = SituationQuestionFactory(implementation=implementation, code="who", text="谁来办理？", order=1)
    SituationOptionFactory(question=who, code="self", label="本人")
    agent = SituationOptionFactory(
        question=who,
        code="agent",
        label="委托他人",
        explanation="委托他人办理需提交授权委托书",
        adds_materials=[proxy_letter],
    )
    local = SituationQuestionFactory(
        implementation=implementation, code="local", text="是否本地户籍？", order=2
    )
    SituationOptionFactory(
        question=local,
        code="yes",
        label="是",
        explanation="户籍信息由公安部门共享",
        removes_materials=[household],
    )
    SituationOptionFactory(question=local, code="no", label="否", promised_limit_days=10)
    poor = SituationQuestionFactory(implementation=implementation, code="poor", text="是否低保户？", order=3)
    SituationOptionFactory(question=poor, code="yes", label="是", waiving=True)
    SituationOptionFactory(question=poor, code="no", label="否")
    delivery = SituationQuestionFactory(
        implementation=implementation, code="delivery", text="如何领取？", order=4
    )
    SituationOptionFactory(question=delivery, code="mail", label="邮寄", adds_fees=[express_fee])
    # A follow-up shown only to agents.
    agent_kind = SituationQuestionFactory(
        implementation=implementation, code="agent_kind", text="受托人是？", order=5, shown_when=agent
    )
    SituationOptionFactory(question=agent_kind, code="relative", label="近亲属", removes_materials=[photo])
    guide = get_implementation_guide(code=implementation.code)
    return {
        "guide": guide,
        "id_card": id_card,
        "household": household,
        "proxy_letter": proxy_letter,
        "photo": photo,
        "fee": fee,
        "express_fee": express_fee,
    }


def names(needs):
    return [need.material.name for need in needs]


def test_no_answers_lists_required_and_optional_materials_with_reasons(wizard):
    # when
    result = evaluate_situation(implementation=wizard["guide"], answers={})
    # then
    assert names(result.materials) == ["居民身份证", "户口簿", "近期免冠照片"]
    assert result.materials[0].reasons == ["所有申请人均需提供"]
    assert result.materials[2].reasons == ["非必要，可容缺后补"]
    assert [question.code for question in result.unanswered] == ["who", "local", "poor", "delivery"]
    assert result.total_fee == Decimal("20.00") and not result.is_free
    assert (result.statutory_limit_days, result.promised_limit_days) == (20, 5)


def test_option_adds_by_situation_material_with_its_explanation(wizard):
    # when
    result = evaluate_situation(implementation=wizard["guide"], answers={"who": "agent"})
    # then
    added = next(need for need in result.materials if need.material == wizard["proxy_letter"])
    assert added.reasons == ["委托他人办理需提交授权委托书"]
    assert "agent_kind" in [question.code for question in result.unanswered]


def test_option_removes_material_and_says_why(wizard):
    # when
    result = evaluate_situation(implementation=wizard["guide"], answers={"local": "yes"})
    # then
    assert "户口簿" not in names(result.materials)
    assert result.removed == [(wizard["household"], "户籍信息由公安部门共享")]


def test_hidden_follow_up_question_is_ignored(wizard):
    # given: the follow-up for agents is answered although the applicant comes in person
    answers = {"who": "self", "agent_kind": "relative"}
    # when
    result = evaluate_situation(implementation=wizard["guide"], answers=answers)
    # then: its removal of the photo does not apply
    assert "近期免冠照片" in names(result.materials)
    assert "agent_kind" not in [question.code for question in result.visible_questions]
    # and when the applicant is an agent, the follow-up applies
    shown = evaluate_situation(
        implementation=wizard["guide"], answers={"who": "agent", "agent_kind": "relative"}
    )
    assert "近期免冠照片" not in names(shown.materials)


def test_fee_waiver_makes_it_free_and_situation_fee_is_added(wizard):
    # when
    waived = evaluate_situation(implementation=wizard["guide"], answers={"poor": "yes"})
    waived_mailed = evaluate_situation(
        implementation=wizard["guide"], answers={"poor": "yes", "delivery": "mail"}
    )
    mailed = evaluate_situation(implementation=wizard["guide"], answers={"poor": "no", "delivery": ["mail"]})
    # then
    assert waived.is_free and waived.total_fee == 0 and waived.fees == []
    assert waived.fee_waiver_reason == "符合减免条件，免收费用"
    # a waiver covers the standard fees, not one another answer adds (小微企业免收登记费, but each
    # extra certificate is still 10 元: 发改价格规〔2016〕2559号)
    assert [need.fee for need in waived_mailed.fees] == [wizard["express_fee"]]
    assert not waived_mailed.is_free and waived_mailed.fee_waiver_reason == "符合减免条件，免收费用"
    assert [need.fee for need in mailed.fees] == [wizard["fee"], wizard["express_fee"]]
    assert mailed.total_fee == Decimal("35.50")


def test_option_overrides_promised_limit(wizard):
    # when
    result = evaluate_situation(implementation=wizard["guide"], answers={"local": "no"})
    # then
    assert result.promised_limit_days == 10
    assert result.statutory_limit_days == 20


@pytest.mark.parametrize(
    ("answers", "named"),
    [({"nope": "yes"}, "nope"), ({"local": "maybe"}, "是否本地户籍？"), ({"local": ["yes", "x"]}, "x")],
)
def test_unknown_answer_is_refused_naming_the_question(wizard, answers, named):
    # when / then
    with pytest.raises(InvalidInput) as error:
        evaluate_situation(implementation=wizard["guide"], answers=answers)
    assert error.value.code == "unknown_answer"
    assert named in error.value.message


def test_evaluation_runs_without_queries(wizard, django_assert_num_queries):
    # when / then: everything comes from the prefetched guide
    with django_assert_num_queries(0):
        evaluate_situation(
            implementation=wizard["guide"], answers={"who": "agent", "local": "yes", "poor": "yes"}
        )


def test_guide_without_fee_rows_that_is_not_free_is_not_called_free():
    # given: fees unknown (no rows, not marked free)
    guide = get_implementation_guide(code=ImplementationFactory(is_free=False).code)
    # when
    result = evaluate_situation(implementation=guide, answers={})
    # then
    assert result.is_free is False


@pytest.fixture
def photo_guide():
    """The 居民身份证 shape: a required photo that a free photo at the counter makes unnecessary."""
    implementation = ImplementationFactory()
    MaterialFactory(implementation=implementation, name="户口簿")
    photo = MaterialFactory(implementation=implementation, name="近期免冠彩色证件照片")
    age = SituationQuestionFactory(implementation=implementation, code="age", order=1)
    SituationOptionFactory(question=age, code="adult", label="成年")
    SituationOptionFactory(question=age, code="minor", label="未成年")
    way = SituationQuestionFactory(
        implementation=implementation, code="photo", text="照片怎样提供？", order=2
    )
    SituationOptionFactory(
        question=way, code="counter", label="在受理窗口现场免费拍照", removes_materials=[photo]
    )
    SituationOptionFactory(
        question=way, code="studio", label="在照相馆拍摄", explanation="照相馆拍摄的须提供数码相片回执"
    )
    return implementation


def _reasons(result) -> dict[str, list[str]]:
    return {need.material.name: need.reasons for need in result.materials}


def test_a_photo_that_some_answer_exempts_is_not_said_to_be_needed_by_everyone(photo_guide):
    # given the photo question is not answered yet
    guide = get_implementation_guide(code=photo_guide.code)
    result = evaluate_situation(implementation=guide, answers={"age": "adult"})
    # then the photo is listed with its exemption, not as needed by every applicant
    photo = _reasons(result)["近期免冠彩色证件照片"]
    assert "所有申请人均需提供" not in photo
    assert photo == ["一般需要提供；选择“在受理窗口现场免费拍照”的无需提供"]
    assert _reasons(result)["户口簿"] == ["所有申请人均需提供"]


def test_a_photo_kept_by_the_applicants_answer_gives_that_answer_as_the_reason(photo_guide):
    guide = get_implementation_guide(code=photo_guide.code)
    kept = evaluate_situation(implementation=guide, answers={"photo": "studio"})
    assert _reasons(kept)["近期免冠彩色证件照片"] == ["照相馆拍摄的须提供数码相片回执"]
    exempt = evaluate_situation(implementation=guide, answers={"photo": "counter"})
    assert "近期免冠彩色证件照片" not in _reasons(exempt)
    assert [removed.material.name for removed in exempt.removed] == ["近期免冠彩色证件照片"]
