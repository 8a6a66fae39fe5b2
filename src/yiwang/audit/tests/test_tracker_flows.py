"""Alerts, suspicion reports, proofs, export and paging of the data tracker."""

from __future__ import annotations

import pytest
from django.db import connection

from yiwang.audit.constants import AlertReason, GroundKind, Outcome, ReportStatus
from yiwang.audit.models import AuditEntry, DataUseAlert, SuspicionReport
from yiwang.audit.services import record_read
from yiwang.audit.tests.tracker_world import build_world, clerk_read
from yiwang.conftest import login_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def test_a_staff_read_without_a_case_alerts_the_citizen_and_the_departments_auditors(client, world):
    # given a clerk reading without a case or consent
    entry = clerk_read(
        world.clerk, world.department, world.citizen.id_number, "随便看看", ground=GroundKind.NONE
    )
    # then one alert for the citizen and one for the department's auditors, in the same transaction
    alerts = DataUseAlert.objects.filter(entry=entry)
    assert {(a.reason, a.recipient_department_id) for a in alerts} == {
        (AlertReason.NO_GROUND, None),
        (AlertReason.NO_GROUND, world.department.pk),
    }
    # and the citizen sees it on the tracker with a badge, then marks it read
    client.force_login(world.citizen)
    page = client.get("/me/data-uses").content.decode()
    assert 'data-testid="alert-badge"' in page and "随便看看" in page
    listed = client.get("/api/v1/me/data-use-alerts", {"unread": "true"}).json()["items"]
    assert [item["entry"]["id"] for item in listed] == [entry.pk]
    client.post(f"/me/data-use-alerts/{listed[0]['id']}/read")
    assert client.get("/api/v1/me/data-use-alerts", {"unread": "true"}).json()["items"] == []
    # nobody else sees it
    client.force_login(world.other)
    assert client.get("/api/v1/me/data-use-alerts").json()["items"] == []


def test_a_read_with_a_case_or_by_the_citizen_themself_raises_no_alert(world):
    record_read(
        action="registers.person_read",
        actor=world.citizen,
        subject=world.citizen.id_number,
        fields=["name"],
        purpose="本人查询",
        ground_kind=GroundKind.SELF,
    )
    assert not DataUseAlert.objects.exists()  # the world's reads all carry a case


def test_a_refused_read_outside_the_region_alerts(world):
    entry = record_read(
        action="registers.person_read",
        actor=world.clerk,
        actor_role="window_clerk",
        actor_department=world.department,
        department=world.department,
        subject=world.citizen.id_number,
        fields=["name"],
        purpose="受理",
        outcome=Outcome.REFUSED,
        reason=AlertReason.OUTSIDE_REGION,
        ground_kind=GroundKind.CASE,
        ground_ref="BJ-2",
    )
    assert set(DataUseAlert.objects.filter(entry=entry).values_list("reason", flat=True)) == {
        AlertReason.OUTSIDE_REGION
    }


def test_a_report_reaches_the_departments_auditor_once_and_its_status_comes_back(client, world):
    entry = world.citizen_entry
    client.force_login(world.citizen)
    url = f"/api/v1/me/data-uses/{entry.pk}/report"
    first = client.post(url, {"note": "我没有去办过业务"}, content_type="application/json")
    again = client.post(url, {"note": "再报一次"}, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and again.json()["note"] == "我没有去办过业务"
    report = SuspicionReport.objects.get()
    assert report.department == world.department
    assert AuditEntry.objects.filter(action="audit.suspicion_reported", object_id=str(report.pk)).count() == 1
    # the other department's auditor does not see or handle it
    login_with_second_factor(client, world.other_auditor)
    assert client.get("/api/v1/audit/reports").json()["items"] == []
    refused = client.post(
        f"/api/v1/audit/reports/{report.pk}", {"status": "dismissed"}, content_type="application/json"
    )
    assert refused.status_code == 404
    # the department's auditor handles it
    login_with_second_factor(client, world.auditor)
    assert [item["id"] for item in client.get("/api/v1/audit/reports").json()["items"]] == [report.pk]
    handled = client.post(
        f"/api/v1/audit/reports/{report.pk}",
        {"status": "confirmed", "resolution": "已约谈经办人"},
        content_type="application/json",
    )
    assert handled.status_code == 200 and handled.json()["status"] == ReportStatus.CONFIRMED
    assert AuditEntry.objects.filter(action="audit.suspicion_handled", actor=world.auditor).exists()
    # the citizen sees the status on the row
    client.force_login(world.citizen)
    rows = client.get("/api/v1/me/data-uses").json()["items"]
    assert {row["id"]: row["report_status"] for row in rows}[entry.pk] == ReportStatus.CONFIRMED
    assert "确认违规" in client.get(f"/me/data-uses/{entry.pk}").content.decode()


def test_the_detail_proves_the_entry_unchanged_against_the_signed_tree_head(client, world):
    client.force_login(world.citizen)
    response = client.get(f"/api/v1/me/data-uses/{world.citizen_entry.pk}")
    proof = response.json()["proof"]
    assert proof["status"] == "verified" and proof["is_signature_valid"] and proof["is_inclusion_valid"]
    assert "记录未被篡改" in client.get(f"/me/data-uses/{world.citizen_entry.pk}").content.decode()


def test_an_entry_edited_after_sealing_fails_its_proof(client, world):
    client.force_login(world.citizen)
    client.get(f"/api/v1/me/data-uses/{world.citizen_entry.pk}")  # sealed on demand
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # an attacker with superuser rights gets past the trigger
            cursor.execute("SET LOCAL session_replication_role = replica")
        AuditEntry.objects.filter(pk=world.citizen_entry.pk).update(purpose="改过的用途")
    proof = client.get(f"/api/v1/me/data-uses/{world.citizen_entry.pk}").json()["proof"]
    assert proof["status"] == "failed" and not proof["is_inclusion_valid"]


def test_the_export_streams_the_departments_entries_and_is_itself_recorded(client, world):
    login_with_second_factor(client, world.auditor)
    response = client.get("/api/v1/audit/entries/export", {"outcome": "allowed"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("id,seq,occurred_at") and len(lines) == 3  # header + two entries
    assert "核验婚姻登记材料" not in body and world.citizen.id_number not in body
    exported = AuditEntry.objects.get(action="audit.log_exported")
    assert exported.actor == world.auditor and exported.details["query"] == {"outcome": "allowed"}
    page = client.get("/staff/audit/export.csv")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/csv")


def test_the_list_pages_with_a_cursor_and_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    for number in range(5):
        clerk_read(world.clerk, world.department, world.citizen.id_number, f"第{number}次受理")
    client.force_login(world.citizen)
    # session, user, represented enterprises, the page, the citizen's reports on it
    with django_assert_num_queries(5):
        first = client.get("/api/v1/me/data-uses", {"limit": 4}).json()
    second = client.get("/api/v1/me/data-uses", {"limit": 4, "cursor": first["next_cursor"]}).json()
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert len(ids) == 6 == len(set(ids)) and second["next_cursor"] is None
    assert ids == sorted(ids, reverse=True)
    assert client.get("/api/v1/me/data-uses", {"limit": 0}).status_code == 400
    assert (
        client.get("/api/v1/me/data-uses", {"cursor": "forged"}).json()["error"]["code"] == "invalid_cursor"
    )


def test_the_tracker_filters_by_subject_kind_and_time(client, world):
    client.force_login(world.representative)
    items = client.get("/api/v1/me/data-uses", {"subject": world.enterprise.credit_code}).json()["items"]
    assert [item["id"] for item in items] == [world.enterprise_entry.pk]
    assert client.get("/api/v1/me/data-uses", {"subject": "self"}).json()["items"] == []
    assert client.get("/api/v1/me/data-uses", {"kind": "license_use"}).json()["items"] == []
    since = world.enterprise_entry.occurred_at.isoformat()
    bad = client.get("/api/v1/me/data-uses", {"since": since, "until": "2000-01-01T00:00:00+08:00"})
    assert bad.status_code == 400
    fields = client.get("/api/v1/me/data-uses").json()["items"][0]["fields"]
    assert {"name": "birth_date", "label": "出生日期"} in fields
