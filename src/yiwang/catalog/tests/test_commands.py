"""Management commands of the catalog."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from .factories import ImplementationFactory

pytestmark = pytest.mark.django_db


def test_import_service_items_prints_counts_and_is_idempotent(capsys):
    # when
    call_command("import_service_items")
    first = capsys.readouterr().out
    call_command("import_service_items")
    second = capsys.readouterr().out
    # then
    assert "implementations: 1135 (1135 created, 0 updated)" in first
    assert "implementations: 1135 (0 created, 0 updated)" in second


def test_recompute_completeness_reports_changes(capsys):
    # given
    ImplementationFactory.create_batch(2)
    # when
    call_command("recompute_completeness")
    # then
    assert "implementations: 2, changed: 2" in capsys.readouterr().out
