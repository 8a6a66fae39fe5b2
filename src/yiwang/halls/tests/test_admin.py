"""The back office edits halls (opening hours checked) and windows."""

from __future__ import annotations

import pytest

from ..models import Hall
from .factories import HallFactory

pytestmark = pytest.mark.django_db


def test_halls_and_windows_open_in_the_admin(admin_client, world):
    assert admin_client.get("/admin/halls/hall/").status_code == 200
    assert admin_client.get(f"/admin/halls/hall/{world.hall.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/halls/window/{world.window.pk}/change/").status_code == 200


def test_opening_hours_are_checked():
    from ..admin import HallForm

    hall = HallFactory.build()
    data = {
        "name": "测试大厅",
        "kind": hall.kind,
        "region": hall.region.pk,
        "address": hall.address,
        "slot_minutes": 30,
        "is_active": True,
    }
    bad = HallForm(data={**data, "opening_hours": '{"0": [["12:00", "09:00"]]}'})
    assert not bad.is_valid() and "opening_hours" in bad.errors
    good = HallForm(data={**data, "opening_hours": '{"1": [["13:30", "17:00"], ["09:00", "12:00"]]}'})
    assert good.is_valid(), good.errors
    assert good.cleaned_data["opening_hours"] == {"1": [["09:00", "12:00"], ["13:30", "17:00"]]}
    assert not Hall.objects.filter(name="测试大厅").exists()
