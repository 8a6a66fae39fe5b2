"""Fixtures of the portal's view tests: one complete guide with a situation wizard, a bundle, a topic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from yiwang.catalog.tests.factories import (
    BundleFactory,
    FeeFactory,
    ImplementationFactory,
    MaterialFactory,
    ServiceItemFactory,
    SituationOptionFactory,
    SituationQuestionFactory,
    SpecialStepFactory,
    TopicFactory,
)


@pytest.fixture
def topic(db):
    return TopicFactory(code="shengyu", name="生育收养", life_event=True)


@pytest.fixture
def guide(topic):
    """补领身份证: an agent question adds a power of attorney, a poverty answer waives the fee."""
    item = ServiceItemFactory(
        code="511T0000009001",
        name="居民身份证补领",
        public_service=True,
        topics=[topic],
        legal_basis="《中华人民共和国居民身份证法》第十一条",
    )
    implementation = ImplementationFactory(
        item=item, complete=True, is_free=False, view_count=50, name="居民身份证补领"
    )
    attorney = MaterialFactory(
        implementation=implementation, name="授权委托书", by_situation=True, key="power-of-attorney"
    )
    photo = MaterialFactory(implementation=implementation, name="近期免冠照片", notes="白底彩色")
    fee = FeeFactory(implementation=implementation, name="证件工本费", amount=Decimal("20.00"))
    SpecialStepFactory(implementation=implementation, name="人像比对核验")
    who = SituationQuestionFactory(implementation=implementation, code="who", text="由谁来办理？", order=1)
    SituationOptionFactory(question=who, code="self", label="本人办理", order=1)
    agent = SituationOptionFactory(
        question=who,
        code="agent",
        label="委托他人代办",
        order=2,
        explanation="代办需要本人签署的授权委托书",
        adds_materials=[attorney],
    )
    photo_question = SituationQuestionFactory(
        implementation=implementation, code="photo", order=2, text="是否在窗口现场拍照？", shown_when=agent
    )
    SituationOptionFactory(
        question=photo_question,
        code="onsite",
        label="现场拍照",
        order=1,
        explanation="现场采集照片，无需自带",
        removes_materials=[photo],
    )
    SituationOptionFactory(question=photo_question, code="bring", label="自带照片", order=2)
    poor = SituationQuestionFactory(
        implementation=implementation, code="poverty", text="是否为低保对象？", order=3
    )
    SituationOptionFactory(question=poor, code="yes", label="是", waiving=True)
    SituationOptionFactory(question=poor, code="no", label="否")
    implementation.test_fee = fee
    return implementation


@pytest.fixture
def bundle(guide, topic):
    other = ImplementationFactory(complete=True, name="出生医学证明办理", department=guide.department)
    return BundleFactory(code="chusheng", name="出生一件事", implementations=[guide, other], topics=[topic])
