"""Time limits read in their own unit, and 0 as 当场办结, in Chinese and in English."""

from django.utils import translation

from yiwang.core.workdays import DayUnit
from yiwang.portal.templatetags.portal_tags import time_limit


def test_a_limit_is_shown_in_its_own_unit_and_zero_as_on_the_spot():
    assert time_limit(60, DayUnit.CALENDAR) == "60 个自然日"
    assert time_limit(5, DayUnit.WORKING) == "5 个工作日"
    assert time_limit(0, DayUnit.WORKING) == time_limit(0, DayUnit.CALENDAR) == "当场办结"
    assert time_limit(None, DayUnit.WORKING) == ""


def test_english_counts_days_in_the_singular_and_plural():
    with translation.override("en"):
        assert time_limit(1, DayUnit.WORKING) == "1 working day"
        assert time_limit(3, DayUnit.CALENDAR) == "3 calendar days"
        assert time_limit(0, DayUnit.CALENDAR) == "On the spot"
