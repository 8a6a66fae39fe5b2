"""The legacy logs (identity, licenses, registers) are carried into the one audit log, in time order."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from yiwang.audit.constants import GroundKind, Outcome
from yiwang.audit.models import AuditEntry
from yiwang.audit.subjects import subject_hash
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.identity.tests.factories import MandateFactory, UserFactory
from yiwang.licenses.tests.factories import make_license

# The state just before the carry-over: the three legacy tables exist, the audit app is empty.
BEFORE = [
    ("audit", "0001_initial"),
    ("identity", "0005_auditor_role"),
    ("licenses", "0002_import_stored_file"),
    ("registers", "0001_initial"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _legacy_rows(apps, *, user, mandate, license, requester, start):
    """One row of every legacy kind; ``created_at`` is set afterwards (auto_now_add ignores it)."""
    at = {minutes: start + dt.timedelta(minutes=minutes) for minutes in range(5)}
    rows = [
        (apps.get_model("registers", "AccessLog"), at[3], {
            "actor_id": user.pk, "register": "population", "subject": user.id_number,
            "fields": ["name"], "purpose": "本人查询", "outcome": "granted",
        }),
        (apps.get_model("identity", "AuditEvent"), at[0], {
            "actor_id": mandate.agent_id, "mandate_id": mandate.pk, "acting_for": mandate.enterprise.name,
            "action": "mandate_refused", "details": {"reason": "item_outside_mandate"},
        }),
        (apps.get_model("licenses", "LicenseUse"), at[2], {
            "license_id": license.pk, "holder_code": license.holder_code, "requester_id": requester.pk,
            "purpose": "", "outcome": "refused",
        }),
        (apps.get_model("licenses", "LicenseAuditEvent"), at[1], {
            "action": "license_issued", "target": license.identifier, "details": {"issuer": "x"},
        }),
        (apps.get_model("identity", "AuditEvent"), at[3], {
            "actor_id": user.pk, "action": "logged_in", "target_type": "identity.user",
            "target_id": str(user.public_id),
        }),
    ]  # fmt: skip
    for model, created_at, values in rows:
        row = model.objects.create(**values)
        model.objects.filter(pk=row.pk).update(created_at=created_at)


# Migrating back to the legacy tables and forward again rebuilds most tables on SQLite (about a minute);
# the carry-over's SQL is the same on both databases, so it runs once, on PostgreSQL, where production runs.
@pytest.mark.slow
@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_legacy_rows_are_carried_over_in_time_order_with_their_facts():
    # given the people and licenses the legacy rows refer to, and the database as it was before
    user, mandate = UserFactory(level3=True), MandateFactory()
    license = make_license(holder=user)
    requester = DepartmentFactory()
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=30)
    try:
        apps = _migrate(BEFORE)
        _legacy_rows(apps, user=user, mandate=mandate, license=license, requester=requester, start=start)
        # when the migrations run forward
        _migrate(latest)
    finally:
        _migrate(latest)
    # then every legacy row is one entry, in time order (ties broken by source id), keeping its time
    carried = list(AuditEntry.objects.filter(details__has_key="carried_from").order_by("id"))
    assert [(entry.action, entry.occurred_at - start) for entry in carried] == [
        ("identity.mandate_refused", dt.timedelta(minutes=0)),
        ("licenses.license_issued", dt.timedelta(minutes=1)),
        ("licenses.license_used", dt.timedelta(minutes=2)),
        ("registers.person_read", dt.timedelta(minutes=3)),
        ("identity.logged_in", dt.timedelta(minutes=3)),
    ]
    refused, issued, used, read, logged_in = carried
    assert (refused.outcome, refused.reason, refused.mandate_id, refused.on_behalf_of) == (
        Outcome.REFUSED, "item_outside_mandate", mandate.pk, mandate.enterprise.name,
    )  # fmt: skip
    assert (issued.object_id, issued.department_id) == (license.identifier, license.issuer_id)
    assert issued.subject_hash == subject_hash(license.holder_code)
    assert (used.kind, used.outcome, used.actor_department_id, used.object_id) == (
        "read", Outcome.REFUSED, requester.pk, license.identifier,
    )  # fmt: skip
    assert (read.actor, read.ground_kind, read.fields) == (user, GroundKind.SELF, ["name"])
    assert read.object_id == ""  # the legacy row named the subject by number; only its hash is kept
    assert read.subject_hash == subject_hash(user.id_number)
    assert user.id_number not in str(AuditEntry.objects.filter(pk=read.pk).values().get())
    assert (logged_in.actor, logged_in.subject_hash) == (user, subject_hash(user.id_number))
