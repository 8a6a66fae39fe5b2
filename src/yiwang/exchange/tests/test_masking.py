"""Masking by grade and grant: full values, partial ones (length kept, middle starred), withheld ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from yiwang.exchange.constants import Mask
from yiwang.exchange.masking import mask_text, mask_value


def test_id_number_keeps_region_prefix_and_last_four():
    assert mask_value("110101199003071234", Mask.PARTIAL) == "110***********1234"


def test_phone_keeps_operator_prefix_and_last_four():
    assert mask_value("13812345678", Mask.PARTIAL) == "138****5678"


def test_name_keeps_the_surname():
    assert mask_value("张三", Mask.PARTIAL) == "张*"
    assert mask_value("欧阳娜娜", Mask.PARTIAL) == "欧**娜"


def test_date_keeps_the_year():
    assert mask_value(dt.date(1990, 3, 7), Mask.PARTIAL) == "1990-**-**"
    assert mask_value(dt.date(1990, 3, 7), Mask.FULL) == "1990-03-07"


def test_flags_and_amounts_are_not_shown_in_part():
    assert mask_value(True, Mask.PARTIAL) is None
    assert mask_value(Decimal("100.00"), Mask.PARTIAL) is None
    assert mask_value(Decimal("100.00"), Mask.FULL) == "100.00"
    assert mask_value(False, Mask.FULL) is False


def test_withheld_is_nothing_whatever_the_value():
    for value in ("110101199003071234", "张三", dt.date(1990, 3, 7), True, None):
        assert mask_value(value, Mask.WITHHELD) is None


@given(st.text(min_size=1, max_size=60))
def test_partial_mask_keeps_length_and_hides_at_least_a_third(text):
    masked = mask_text(text)
    assert len(masked) == len(text)
    hidden = sum(1 for mine, theirs in zip(masked, text, strict=True) if mine != theirs or mine == "*")
    assert hidden >= max(1, len(text) // 3)
    # what is shown is shown where it stands: a prefix and a suffix of the original
    shown = [index for index, char in enumerate(masked) if char != "*"]
    assert all(masked[index] == text[index] for index in shown)


@given(st.text(min_size=2, max_size=60).filter(lambda text: "*" not in text))
def test_partial_mask_never_returns_the_value(text):
    assert mask_text(text) != text


def test_a_multi_valued_item_is_masked_value_by_value():
    owners = ["110101199003071234", "110101199107082345"]
    assert mask_value(owners, Mask.PARTIAL) == ["110***********1234", "110***********2345"]
    assert mask_value(["张三", "李四"], Mask.PARTIAL) == ["张*", "李*"]
    assert mask_value([dt.date(2025, 4, 1)], Mask.FULL) == ["2025-04-01"]
    assert mask_value([Decimal("98.60")], Mask.PARTIAL) == [None]


def test_a_withheld_multi_valued_item_does_not_tell_how_many_values_it_has():
    assert mask_value(["张三", "李四"], Mask.WITHHELD) is None
    assert mask_value([], Mask.WITHHELD) is None
