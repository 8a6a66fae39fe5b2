"""Every time limit of the shipped guides carries the unit its source states (ADR 0008), the migration
gives existing rows the same units, and pages and the API show the unit."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from yiwang.catalog.constants import DayUnit
from yiwang.catalog.guides import load_demo_guides, read_guide_files
from yiwang.catalog.models import Implementation, ProcessStep, SituationOption, SpecialStep

from .factories import ImplementationFactory

pytestmark = pytest.mark.django_db

# Statutory limits the law states in calendar days ("日"), with the article that says so. Every other
# statutory limit of the shipped guides is in working days: 行政许可法第八十二条 counts the licensing
# periods in working days, and the others are stated as 工作日 by their instruments (市场主体登记管理条例
# 第十九条, 不动产登记暂行条例第二十条, 企业投资项目核准和备案管理条例第十条, 最低生活保障审核确认办法
# 第二十一条) or are the departments' own published limits.
CALENDAR_STATUTORY = {
    "513A001120006801": "居民身份证法第十二条：六十日内发放",
    "513A001120006802": "居民身份证法第十二条：六十日内发放",
    "513A001120006803": "居民身份证法第十二条：六十日内发放",
    "000172014101": "住房公积金管理条例第二十五条：3日内作出决定",
    "512B0067900009": "社会保险法第五十七条：十五日内予以审核",
    "512036001001": "社会保险法第五十七条：十五日内予以审核",
}
# Special steps in calendar days: 民法典第一千零七十七条, 离婚冷静期三十日.
CALENDAR_SPECIAL_STEPS = {("511F028730000002", "离婚冷静期"): 30}


@pytest.fixture(scope="module")
def catalog():
    return read_guide_files()


def test_every_statutory_limit_of_the_shipped_guides_has_the_unit_of_its_source(catalog):
    units = {guide.item.code: guide.implementation.statutory_limit_unit for guide in catalog.guides}
    assert {code for code, unit in units.items() if unit == DayUnit.CALENDAR} == set(CALENDAR_STATUTORY)
    assert set(CALENDAR_STATUTORY) <= set(units)


def test_promises_steps_and_situations_are_in_working_days_and_the_cooling_off_in_calendar_days(catalog):
    for guide in catalog.guides:
        code = guide.item.code
        assert guide.implementation.promised_limit_unit == DayUnit.WORKING, code
        assert {step.limit_unit for step in guide.steps} == {DayUnit.WORKING}, code
        for step in guide.special_steps:
            expected = DayUnit.CALENDAR if (code, step.name) in CALENDAR_SPECIAL_STEPS else DayUnit.WORKING
            assert step.limit_unit == expected, (code, step.name)
        for question in guide.questions:
            assert {option.promised_limit_unit for option in question.options} == {DayUnit.WORKING}, code
    cooling_off = next(
        step
        for guide in catalog.guides
        if guide.item.code == "511F028730000002"
        for step in guide.special_steps
        if step.name == "离婚冷静期"
    )
    assert (cooling_off.limit_days, cooling_off.limit_unit) == (30, DayUnit.CALENDAR)


def test_the_migration_gives_existing_rows_the_units_of_the_files():
    # given the shipped guides as they were stored before units existed: everything in working days and
    # the cooling-off period as 22 working days
    load_demo_guides()
    Implementation.objects.update(statutory_limit_unit=DayUnit.WORKING, promised_limit_unit=DayUnit.WORKING)
    SpecialStep.objects.update(limit_unit=DayUnit.WORKING)
    SpecialStep.objects.filter(name="离婚冷静期").update(limit_days=22)
    # when the data migration runs
    migration = importlib.import_module("yiwang.catalog.migrations.0002_day_units")
    migration.set_units(apps, None)
    # then every stored limit has the unit (and the length) the files state
    catalog = read_guide_files()
    for guide in catalog.guides:
        stored = Implementation.objects.get(code=guide.implementation.code)
        assert stored.statutory_limit_unit == guide.implementation.statutory_limit_unit, stored.code
        assert stored.promised_limit_unit == guide.implementation.promised_limit_unit, stored.code
        for spec in guide.special_steps:
            row = stored.special_steps.get(name=spec.name)
            assert (row.limit_days, row.limit_unit) == (spec.limit_days, spec.limit_unit), spec.name
    assert not ProcessStep.objects.exclude(limit_unit=DayUnit.WORKING).exists()
    assert not SituationOption.objects.exclude(promised_limit_unit=DayUnit.WORKING).exists()
    # and loading the files again changes nothing
    assert load_demo_guides().rows_written == 0


def test_guide_page_and_api_show_the_unit(client):
    # given an ID-card-like guide: 60 calendar days by law, 10 working days promised
    implementation = ImplementationFactory(
        complete=True,
        statutory_limit_days=60,
        statutory_limit_unit=DayUnit.CALENDAR,
        promised_limit_days=10,
    )
    step = implementation.steps.first()
    step.limit_days, step.limit_unit = 3, DayUnit.CALENDAR
    step.save()
    # when / then: the API
    body = client.get(f"/api/v1/items/{implementation.code}").json()
    assert body["time_limits"] == {
        "statutory_limit_days": 60,
        "statutory_limit_unit": "calendar",
        "promised_limit_days": 10,
        "promised_limit_unit": "working",
        "supplement_notice_days": None,
        "supplement_notice_unit": "working",
    }
    assert (body["steps"][0]["limit_days"], body["steps"][0]["limit_unit"]) == (3, "calendar")
    # and the page
    page = client.get(reverse("portal:guide", args=[implementation.code])).content.decode()
    assert "60 个自然日" in page and "10 个工作日" in page and "3 个自然日" in page


def test_licensing_guides_state_the_supplement_notice_in_working_days_with_its_article(catalog):
    # 行政许可法第三十二条: 当场或者五日内一次告知需要补正的全部内容; 第八十二条: 期限以工作日计算
    for guide in catalog.guides:
        implementation = guide.implementation
        if guide.item.item_type == 1:
            assert (implementation.supplement_notice_days, implementation.supplement_notice_unit) == (
                5,
                DayUnit.WORKING,
            ), guide.item.name
            assert any(
                c.instrument == "administrative-licensing-law" and "第三十二条" in c.article
                for c in guide.citations
            )
        else:
            assert implementation.supplement_notice_days is None, guide.item.name


def test_the_supplement_notice_is_shown_with_its_unit(client):
    implementation = ImplementationFactory(complete=True, supplement_notice_days=5)
    body = client.get(f"/api/v1/items/{implementation.code}").json()
    assert (body["time_limits"]["supplement_notice_days"], body["time_limits"]["supplement_notice_unit"]) == (
        5,
        "working",
    )
    page = client.get(reverse("portal:guide", args=[implementation.code])).content.decode()
    assert "补正告知时限" in page and "5 个工作日" in page
