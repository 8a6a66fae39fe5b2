"""POST /api/v1/registers/population/lookup: every kind of caller, and what the audit log then holds."""

from __future__ import annotations

import itertools
import json

import pytest

from yiwang.audit.constants import AlertReason, GroundKind, Outcome
from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.conftest import bearer_token
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory
from yiwang.registers.constants import RegisterCode
from yiwang.registers.tests.factories import PersonFactory, RegisterFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/registers/population/lookup"


_issued = itertools.count(1)


def _token(user, scope: str) -> dict:
    return bearer_token(user, scope, f"tok-window-{next(_issued)}")


@pytest.fixture
def world():
    police = DepartmentFactory(short_name="区公安分局")
    RegisterFactory(code=RegisterCode.POPULATION, department=police)
    clerk = StaffAssignmentFactory(department=police, role=StaffRole.WINDOW_CLERK).user
    return {"clerk": clerk, "local": PersonFactory(), "elsewhere": PersonFactory(region_id="510104017000")}


def _lookup(client, person, headers, **overrides):
    body = {
        "id_number": person.id_number,
        "fields": ["name", "birth_date"],
        "purpose": "办理户籍证明",
        "ground_kind": "case",
        "ground_ref": "BJ2026120600001",
        **overrides,
    }
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


def test_a_clerk_reads_the_fields_asked_and_the_read_is_logged_with_its_case(client, world):
    response = _lookup(client, world["local"], _token(world["clerk"], "openid registers:read"))
    assert response.status_code == 200
    assert response.json() == {
        "record": {"name": world["local"].name, "birth_date": world["local"].birth_date.isoformat()}
    }
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.ground_kind, entry.ground_ref) == (
        Outcome.ALLOWED,
        GroundKind.CASE,
        "BJ2026120600001",
    )
    assert entry.system.startswith("client-")  # the calling system is named
    assert entry.fields == ["birth_date", "name"] and not entry.alerts.exists()


def test_a_read_without_a_ground_alerts_the_resident(client, world):
    response = _lookup(client, world["local"], _token(world["clerk"], "openid registers:read"), ground_ref="")
    assert response.status_code == 200
    assert AuditEntry.objects.get().alerts.filter(reason=AlertReason.NO_GROUND).exists()


@pytest.mark.parametrize("who", ["clerk_outside_region", "citizen_with_scope", "other_department"])
def test_callers_without_the_right_answer_like_a_missing_record(client, world, who):
    person = world["local"]
    if who == "clerk_outside_region":
        user, person = world["clerk"], world["elsewhere"]
    elif who == "citizen_with_scope":
        user = UserFactory(level3=True)
    else:
        user = StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK).user
    response = _lookup(client, person, _token(user, "openid registers:read"))
    missing = _lookup(client, PersonFactory.build(), _token(world["clerk"], "openid registers:read"))
    assert response.status_code == missing.status_code == 404
    assert response.json()["error"]["code"] == missing.json()["error"]["code"] == "person_not_found"
    assert person.name not in response.content.decode()
    assert AuditEntry.objects.filter(outcome=Outcome.REFUSED).count() == 2


def test_no_token_scope_no_read_and_nothing_logged(client, world):
    assert _lookup(client, world["local"], {}).status_code == 401
    narrow = _lookup(client, world["local"], _token(world["clerk"], "openid profile"))
    assert (narrow.status_code, narrow.json()["error"]["code"]) == (403, "insufficient_scope")
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"fields": ["password"]}, "invalid_input"),  # the schema lists the catalogue's fields
        ({"id_number": "not-a-number"}, "invalid_input"),
        ({"fields": []}, "invalid_input"),
        ({"purpose": ""}, "invalid_input"),
        ({"ground_kind": "self"}, "invalid_input"),
    ],
)
def test_bad_requests_get_a_precise_error(client, world, overrides, code):
    response = _lookup(client, world["local"], _token(world["clerk"], "openid registers:read"), **overrides)
    assert (response.status_code, response.json()["error"]["code"]) == (400, code)
