"""A card reader for development: the ID number is typed into a form instead of read from a chip."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext as _

from yiwang.core.errors import InvalidInput
from yiwang.core.identifiers import is_valid_resident_id

from .base import CardReader, CardReading, register


@register("simulated")
class SimulatedCardReader(CardReader):
    """Reads the field ``card_number``; only for DEBUG, demo and test systems (see ``get_card_reader``)."""

    is_test_only = True
    form_fields = ("card_number",)

    def read(self, *, data: Mapping[str, str]) -> CardReading:
        number = (data.get("card_number") or "").strip().upper()
        if not is_valid_resident_id(number):
            raise InvalidInput(_("未能读取身份证，请重新放置证件"), code="card_unreadable")
        return CardReading(id_number=number, reference="simulated")
