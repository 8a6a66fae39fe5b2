"""The account page leads each person to their part of supervision: citizens to their ratings and
complaints, staff to the cards, rectification tickets, complaints and dashboards."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .cards_world import make_cards_world

pytestmark = pytest.mark.django_db


def test_a_citizen_finds_their_ratings_and_complaints_and_staff_find_the_supervision_pages():
    world = make_cards_world()

    citizen_page = world.client("citizen").get(reverse("identity:account")).content.decode()
    head_page = world.client("head").get(reverse("identity:account")).content.decode()

    assert reverse("supervision:my_evaluations") in citizen_page
    assert reverse("supervision:feedback_mine") in citizen_page
    assert reverse("supervision:card_list") not in citizen_page
    for name in ("card_list", "rectification_list", "feedback_queue", "dashboard"):
        assert reverse(f"supervision:{name}") in head_page
