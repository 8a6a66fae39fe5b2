"""Fixtures shared by every app's tests.

The reference data every test may rely on (all regions, the holiday calendar) is loaded once per test
database; each test then runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import os

import pytest
from django.db import connection


def _database_is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config, items):
    # `pg` tests exercise PostgreSQL-only behaviour; on the SQLite pass they are deselected, not skipped.
    if _database_is_postgres():
        return
    selected = [item for item in items if "pg" not in item.keywords]
    deselected = [item for item in items if "pg" in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from yiwang.core.services import load_bundled_holidays
    from yiwang.regions.services import load_regions

    with django_db_blocker.unblock():
        load_regions()
        load_bundled_holidays()
        connection.close()


@pytest.fixture
def api_client(client):
    """Django's test client, named for what the API tests use it for."""
    return client
