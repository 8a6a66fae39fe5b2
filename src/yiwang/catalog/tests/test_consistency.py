"""The guide consistency checks (指南自洽检查): each check caught on a guide that breaks it, in the stored
catalog (completeness and the stored problems) and in the guide files (the loader refuses), and nothing
found in the shipped guides."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from yiwang.catalog.completeness import update_completeness
from yiwang.catalog.consistency import ERROR, FLAG, check_guide, implementation_facts
from yiwang.catalog.constants import DayUnit, MaterialRequirement
from yiwang.catalog.guides import GUIDES_DIR, GuideDataError, load_demo_guides, read_guide_files
from yiwang.catalog.guides.schema import guide_facts
from yiwang.catalog.models import Implementation

from .factories import (
    FAQFactory,
    ImplementationFactory,
    MaterialFactory,
    ProcessStepFactory,
    SituationOptionFactory,
    SpecialStepFactory,
)

pytestmark = pytest.mark.django_db


def _checked(implementation: Implementation) -> list[tuple[str, str]]:
    update_completeness(implementation=implementation)
    implementation.refresh_from_db()
    return [(problem["check"], problem["severity"]) for problem in implementation.consistency_problems]


def _guide(**fields) -> Implementation:
    """A complete guide whose one step takes 1 working day, promised 5 of statutory 20 working days."""
    return ImplementationFactory(complete=True, **fields)


def test_a_consistent_guide_has_no_problems_and_is_complete():
    implementation = _guide()
    assert _checked(implementation) == []
    assert implementation.completeness == 100


def test_promise_shorter_than_steps_and_counted_special_steps_is_an_error():
    # given: steps 1 + 3 and a counted special step of 7 calendar days (5 working days) = 9 > 5
    implementation = _guide()
    ProcessStepFactory(implementation=implementation, limit_days=3)
    SpecialStepFactory(
        implementation=implementation, limit_days=7, limit_unit=DayUnit.CALENDAR, counts_toward_limit=True
    )
    SpecialStepFactory(
        implementation=implementation, name="专家评审", limit_days=30, counts_toward_limit=False
    )
    # when / then
    assert _checked(implementation) == [("steps_exceed_promised", ERROR)]
    assert "consistency" in implementation.missing_elements and implementation.completeness < 100
    assert "9 个工作日" in implementation.consistency_problems[0]["message"]
    # and a promise of 9 working days fits
    implementation.promised_limit_days = 9
    implementation.save()
    assert _checked(implementation) == []


def test_promise_longer_than_the_law_is_an_error_in_either_unit():
    # given: the law says 3 日 (3 calendar days hold 2 working days), the promise is 3 working days
    implementation = _guide(
        statutory_limit_days=3, statutory_limit_unit=DayUnit.CALENDAR, promised_limit_days=3
    )
    # when / then
    checks = _checked(implementation)
    assert ("promised_exceeds_statutory", ERROR) in checks
    # and a situation's promise is held to the same law
    implementation.promised_limit_days = 2
    implementation.save()
    SituationOptionFactory(question__implementation=implementation, promised_limit_days=10)
    assert _checked(implementation) == [("promised_exceeds_statutory", ERROR)]
    assert "情形" in implementation.consistency_problems[0]["message"]


def test_same_day_text_with_a_one_day_limit_is_flagged():
    # given: "当日办结" in the process but a 1-day promise (the step takes 1 day too)
    implementation = _guide(process_description="材料齐全的当日办结", promised_limit_days=1)
    # when / then: flagged for the data administrator, not an error: the score is unchanged
    assert _checked(implementation) == [("same_day_with_one_day_limit", FLAG)]
    assert "consistency" not in implementation.missing_elements
    # a situation saying so with its own 1-day promise is flagged too
    implementation.process_description = "申请—受理—决定"
    implementation.save()
    SituationOptionFactory(
        question__implementation=implementation, explanation="省内迁移当日可办结", promised_limit_days=1
    )
    assert _checked(implementation) == [("same_day_with_one_day_limit", FLAG)]
    # with a limit of 0 (即办) nothing is flagged
    implementation.questions.first().options.update(promised_limit_days=0)
    assert _checked(implementation) == []


def test_required_material_said_to_be_unneeded_is_flagged_until_a_situation_decides():
    # given: the photo is required for everyone, but its note says it need not be brought
    implementation = _guide()
    photo = MaterialFactory(
        implementation=implementation, key="id_photo", name="近期免冠彩色证件照片", notes="无需自带照片"
    )
    # when / then
    assert _checked(implementation) == [("material_said_not_needed", FLAG)]
    assert "近期免冠彩色证件照片" in implementation.consistency_problems[0]["message"]
    # and a FAQ saying "不需要" is caught just the same
    photo.notes = "白色背景"
    photo.save()
    FAQFactory(implementation=implementation, question="要自己带照片吗？", answer="不需要，窗口现场拍照。")
    assert _checked(implementation) == [("material_said_not_needed", FLAG)]
    # resolved with a situation whose option removes the photo (窗口现场免费拍照)
    option = SituationOptionFactory(question__implementation=implementation, label="在窗口现场拍照")
    option.removes_materials.add(photo)
    assert _checked(implementation) == []


def test_an_e_license_standing_for_the_paper_document_is_not_a_contradiction():
    implementation = _guide()
    MaterialFactory(
        implementation=implementation,
        id_card=True,
        key="applicant_id_card",
        notes="已领取电子证照的可授权调用，免交实体证件",
    )
    MaterialFactory(implementation=implementation, name="买卖合同", notes="在线签订，无需另行提交纸质合同")
    MaterialFactory(implementation=implementation, optional=True, notes="已有的免交")
    assert _checked(implementation) == []
    assert MaterialRequirement.OPTIONAL in implementation.materials.values_list("requirement", flat=True)


def test_no_shipped_guide_breaks_any_check():
    catalog = read_guide_files()
    found = {
        guide.implementation.code: check_guide(guide_facts(guide))
        for guide in catalog.guides
        if check_guide(guide_facts(guide))
    }
    assert found == {}
    # and the same holds for the stored guides after loading them
    load_demo_guides()
    stored = Implementation.objects.prefetch_related(
        "steps", "special_steps", "materials", "faqs", "questions__options__removes_materials"
    )
    assert {
        impl.code: check_guide(implementation_facts(impl))
        for impl in stored
        if check_guide(implementation_facts(impl))
    } == {}


# --- the guide files ------------------------------------------------------------------------------------


def _guide_named(data: dict, name: str) -> dict:
    return next(guide for guide in data["guides"] if guide["item"]["name"] == name)


def _count_production_twice(data):
    # 居民身份证首次申领: the production time back in the 决定 step (the original double count, 10 vs 15)
    next(step for step in _guide_named(data, "居民身份证首次申领")["steps"] if step["name"] == "决定")[
        "limit_days"
    ] = 5


def _promise_beyond_calendar_law(data):
    # 60 calendar days hold 42 working days
    _guide_named(data, "居民身份证首次申领")["implementation"]["promised_limit_days"] = 43


def _same_day_one_day(data):
    guide = _guide_named(data, "户口迁移审批")
    for question in guide["questions"]:
        for option in question.get("options", []):
            if option.get("code") == "in_province":
                option["promised_limit_days"] = 1


def _photo_without_situation(data):
    guide = _guide_named(data, "居民身份证首次申领")
    guide["questions"] = [question for question in guide["questions"] if question.get("code") != "photo"]


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (_count_production_twice, "短于各环节"),
        (_promise_beyond_calendar_law, "长于法定办结时限 60 个自然日"),
        (_same_day_one_day, "当日办结"),
        (_photo_without_situation, "近期免冠彩色证件照片"),
    ],
)
def test_the_loader_refuses_a_guide_file_that_breaks_a_check(tmp_path: Path, edit, words):
    directory = tmp_path / "guides"
    shutil.copytree(GUIDES_DIR, directory)
    path = directory / "birth_household.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(GuideDataError) as raised:
        load_demo_guides(directory=directory)
    assert words in raised.value.message
    assert not Implementation.objects.exists()


def test_the_admin_page_of_a_guide_shows_its_problems(admin_client):
    implementation = _guide(process_description="材料齐全的当日办结", promised_limit_days=1)
    update_completeness(implementation=implementation)
    page = admin_client.get(f"/admin/catalog/implementation/{implementation.pk}/change/").content.decode()
    assert "待核实：指南写明“当日办结”，承诺时限却是 1 日" in page
