"""Fixtures shared by every app's tests.

The reference data every test may rely on (all regions, the holiday calendar) is loaded once per test
database; each test then runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os

import pytest
from django.db import connection


def _database_is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


# The fixtures through which a test reaches the test database.
_DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "live_server"}
)


def touches_database(item) -> bool:
    """Whether the test reads or writes a database: through pytest-django's fixtures or marker, or by
    starting the platform in a subprocess on the pass's database (marker `own_database`)."""
    return (
        item.get_closest_marker("django_db") is not None
        or item.get_closest_marker("own_database") is not None
        or not _DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
    )


def _deselect(config, items, unwanted) -> None:
    deselected = [item for item in items if unwanted(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not unwanted(item)]


def pytest_collection_modifyitems(config, items):
    if _database_is_postgres():
        # A test that touches no database gives the same answer on both passes: it runs once, in the
        # SQLite pass (deselected here, not skipped).
        _deselect(config, items, lambda item: not touches_database(item))
    else:
        # `pg` tests exercise PostgreSQL-only behaviour (or a capacity that matters in production):
        # on the SQLite pass they are deselected, not skipped.
        _deselect(config, items, lambda item: "pg" in item.keywords)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        _offer_migrated_sqlite()
        _load_reference_data()
        connection.close()


def _offer_migrated_sqlite() -> None:
    """On SQLite, a copy of the test database as migrate left it, for the platform servers this process
    starts (``oidc.live_server.migrate_sqlite`` copies it instead of migrating again: ~35 s of CPU)."""
    if connection.vendor != "sqlite":
        return
    try:
        from oidc import live_server  # tests/ is on the path when its tests were collected
    except ImportError:
        return
    live_server.keep_migrated_sqlite(connection.settings_dict["NAME"])


def _load_reference_data() -> None:
    from yiwang.core.services import load_bundled_holidays
    from yiwang.regions.services import load_regions

    load_regions()
    load_bundled_holidays()


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """Transactional tests run last, and each empties every table when it ends: the next one gets the
    regions and holidays back before it starts, as every test may rely on them."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from yiwang.regions.models import Region

    if not Region.objects.exists():
        _load_reference_data()


@contextlib.contextmanager
def built_once(django_db_blocker, build):
    """A world shared by the tests of one module (building it is most of a test's time): ``build()`` runs
    once inside a transaction that is rolled back when the module ends. Each test then runs in
    pytest-django's savepoint inside it, so whatever a test writes is gone before the next one starts;
    pass the world through ``read_again`` in the test's own fixture."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def read_again(world, _seen=None):
    """Every model object reachable from ``world`` (dataclasses, dicts, lists, tuples) read again from
    the database: an earlier test's writes, rolled back, may have changed them in memory."""
    from django.db.models import Model

    seen = set() if _seen is None else _seen
    if id(world) in seen:
        return world
    seen.add(id(world))
    if isinstance(world, Model):
        world.refresh_from_db()
    elif dataclasses.is_dataclass(world) and not isinstance(world, type):
        for field in dataclasses.fields(world):
            read_again(getattr(world, field.name), seen)
    elif isinstance(world, dict):
        for value in world.values():
            read_again(value, seen)
    elif isinstance(world, (list, tuple)):
        for value in world:
            read_again(value, seen)
    return world


@pytest.fixture
def api_client(client):
    """Django's test client, named for what the API tests use it for."""
    return client


def login_with_second_factor(client, user) -> None:
    """Log ``user`` in as if they had entered their password and a TOTP code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def admin_client(db, admin_user, client):
    """A superuser who has passed the second factor, as the admin requires."""
    login_with_second_factor(client, admin_user)
    return client


def bearer_token(user, scope: str, value: str) -> dict:
    """Headers with an access token of ``scope`` for ``user``, issued to a departmental client of its own."""
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    application = Application.objects.create(
        name="部门业务系统",
        client_id=f"client-{value}",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://rp.example.gov.cn/callback",
        algorithm=Application.RS256_ALGORITHM,
    )
    AccessToken.objects.create(
        user=user,
        application=application,
        token=value,
        scope=scope,
        expires=timezone.now() + timedelta(hours=1),
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {value}"}


CHROMIUM = "/usr/bin/chromium"  # Debian's Chromium (with fonts-noto-cjk), as `make system-deps` installs it


@pytest.fixture
def browser(monkeypatch):
    """Headless Chromium for the browser tests that run against pytest-django's live server."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()
