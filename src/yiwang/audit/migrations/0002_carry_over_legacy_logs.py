"""Carry the three legacy logs (identity AuditEvent, licenses LicenseAuditEvent + LicenseUse, registers
AccessLog) into the one audit log, merged in time order (created_at, then source id), each row keeping its
time. The legacy tables are dropped by the migrations of their apps that depend on this one.

The mapping is frozen here on purpose: it describes the legacy rows as they were, not today's code.
"""

import heapq
from itertools import islice

from django.db import migrations

from yiwang.audit.subjects import subject_hash, subject_kind_of

BATCH = 2000

# Identity actions that recorded a refusal (their details carry the reason code).
IDENTITY_REFUSALS = frozenset(
    {
        "registration_refused",
        "login_failed",
        "assurance_refused",
        "phone_code_refused",
        "enterprise_bind_refused",
        "mandate_refused",
        "mandate_grant_refused",
        "staff_action_refused",
    }
)
# Licenses actions by the kind of object their ``target`` string names.
LICENSE_TARGETS = {
    "license_issued": "licenses.license",
    "license_status_changed": "licenses.license",
    "license_shown": "licenses.license",
    "key_generated": "licenses.signingkey",
    "key_rotated": "licenses.signingkey",
    "license_type_saved": "licenses.licensetype",
    "consent_granted": "licenses.consent",
    "consent_revoked": "licenses.consent",
    "consent_requested": "licenses.consentrequest",
    "licenses_imported": "licenses.importjob",
}
REGISTER_REASONS = {"refused": "not_permitted", "not_found": "not_found"}


def _stream(model, source):
    """The model's rows as (created_at, id, source, row), oldest first."""
    for row in model.objects.order_by("created_at", "id").iterator(chunk_size=BATCH):
        yield (row.created_at, row.pk, source, row)


def _subject(code):
    return {"subject_hash": subject_hash(code or ""), "subject_kind": subject_kind_of(code or "")}


def _identity_entry(row, lookups):
    refused = row.action in IDENTITY_REFUSALS
    subject = ""
    if row.target_type == "identity.user":
        subject = lookups["users"].get(row.target_id, "")
    elif row.target_type == "identity.enterprise":
        subject = lookups["enterprises"].get(row.target_id, "")
    return {
        "kind": "write",
        "action": f"identity.{row.action}"[:60],
        "outcome": "refused" if refused else "allowed",
        "reason": str(row.details.get("reason", ""))[:60] if refused else "",
        "actor_id": row.actor_id,
        "mandate_id": row.mandate_id,
        "on_behalf_of": row.acting_for,
        "ground_kind": "mandate" if row.mandate_id else "",
        "ground_ref": str(row.mandate_id) if row.mandate_id else "",
        "object_type": row.target_type,
        "object_id": row.target_id,
        "ip_address": row.ip_address,
        "details": row.details,
        **_subject(subject),
    }


def _license_event_entry(row, lookups):
    object_type = LICENSE_TARGETS.get(row.action, "")
    subject, department_id = "", None
    if object_type == "licenses.license":
        subject, department_id = lookups["licenses"].get(row.target, ("", None))
    elif object_type == "licenses.consent":
        subject = lookups["consents"].get(row.target, "")
    department_code = row.details.get("issuer") or row.details.get("department")
    if department_id is None and department_code:
        department_id = lookups["departments"].get(department_code)
    return {
        "kind": "write",
        "action": f"licenses.{row.action}"[:60],
        "actor_id": row.actor_id,
        "object_type": object_type,
        "object_id": row.target,
        "department_id": department_id,
        "details": row.details,
        **_subject(subject),
    }


def _license_use_entry(row, lookups):
    identifier, issuer_id = lookups["license_ids"].get(row.license_id, ("", None))
    granted = row.outcome == "granted"
    return {
        "kind": "read",
        "action": "licenses.license_used" if row.requester_id else "licenses.license_read",
        "outcome": "allowed" if granted else "refused",
        "reason": "" if granted else "no_consent",
        "actor_id": row.actor_id,
        "actor_department_id": row.requester_id,
        "object_type": "licenses.license",
        "object_id": identifier,
        "department_id": issuer_id,
        "fields": ["license"],
        "purpose": row.purpose,
        "ground_kind": "consent" if row.consent_id else "",
        "ground_ref": str(row.consent_id) if row.consent_id else "",
        **_subject(row.holder_code),
    }


def _access_entry(row, lookups):
    noun = "person" if row.register == "population" else row.register
    is_self = bool(row.actor_id) and lookups["actor_numbers"].get(row.actor_id) == row.subject
    return {
        "kind": "read",
        "action": f"registers.{noun}_read",
        "outcome": "allowed" if row.outcome == "granted" else "refused",
        "reason": REGISTER_REASONS.get(row.outcome, ""),
        "actor_id": row.actor_id,
        "system": row.system,
        "on_behalf_of": row.acting_for,
        "object_type": f"registers.{row.register}",
        "object_id": "",  # the legacy row named the subject by number; only its keyed hash is kept
        "department_id": lookups["registers"].get(row.register),
        "fields": sorted(set(row.fields or [])),
        "purpose": row.purpose,
        "ground_kind": "self" if is_self else "",
        "ground_ref": "self" if is_self else "",
        **_subject(row.subject),
    }


BUILDERS = {
    "identity.auditevent": _identity_entry,
    "licenses.licenseauditevent": _license_event_entry,
    "licenses.licenseuse": _license_use_entry,
    "registers.accesslog": _access_entry,
}


def _identity_lookups(apps, events):
    User, Enterprise = apps.get_model("identity", "User"), apps.get_model("identity", "Enterprise")
    user_ids = {row.target_id for row in events if row.target_type == "identity.user"}
    enterprise_ids = {
        row.target_id
        for row in events
        if row.target_type == "identity.enterprise" and row.target_id.isdigit()
    }
    users = User.objects.filter(public_id__in=user_ids).values_list("public_id", "id_number")
    enterprises = Enterprise.objects.filter(pk__in=enterprise_ids).values_list("pk", "credit_code")
    return {
        "users": {str(public_id): number for public_id, number in users},
        "enterprises": {str(pk): code for pk, code in enterprises},
    }


def _license_lookups(apps, events, uses):
    License, Consent = apps.get_model("licenses", "License"), apps.get_model("licenses", "Consent")
    Department = apps.get_model("regions", "Department")
    identifiers = {row.target for row in events if LICENSE_TARGETS.get(row.action) == "licenses.license"}
    consent_ids = {row.target for row in events if row.action.startswith("consent_") and row.target.isdigit()}
    codes = {row.details.get("issuer") or row.details.get("department") for row in events} - {None, ""}
    by_identifier = License.objects.filter(identifier__in=identifiers)
    by_pk = License.objects.filter(pk__in={row.license_id for row in uses})
    consents = Consent.objects.filter(pk__in=consent_ids).values_list("pk", "holder_code")
    return {
        "licenses": {
            i: (h, d) for i, h, d in by_identifier.values_list("identifier", "holder_code", "issuer_id")
        },
        "license_ids": {pk: (i, d) for pk, i, d in by_pk.values_list("pk", "identifier", "issuer_id")},
        "consents": {str(pk): holder for pk, holder in consents},
        "departments": dict(
            Department.objects.filter(credit_code__in=codes).values_list("credit_code", "pk")
        ),
    }


def _register_lookups(apps, reads):
    User, Register = apps.get_model("identity", "User"), apps.get_model("registers", "Register")
    actor_ids = {row.actor_id for row in reads if row.actor_id}
    return {
        "registers": dict(Register.objects.values_list("code", "department_id")),
        "actor_numbers": dict(User.objects.filter(pk__in=actor_ids).values_list("pk", "id_number")),
    }


def _lookups(apps, batch):
    """What the rows of one batch refer to: subjects and departments, one query per kind."""
    rows = {source: [row for _, _, name, row in batch if name == source] for source in BUILDERS}
    return {
        **_identity_lookups(apps, rows["identity.auditevent"]),
        **_license_lookups(apps, rows["licenses.licenseauditevent"], rows["licenses.licenseuse"]),
        **_register_lookups(apps, rows["registers.accesslog"]),
    }


def carry_over(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    streams = [
        _stream(apps.get_model("identity", "AuditEvent"), "identity.auditevent"),
        _stream(apps.get_model("licenses", "LicenseAuditEvent"), "licenses.licenseauditevent"),
        _stream(apps.get_model("licenses", "LicenseUse"), "licenses.licenseuse"),
        _stream(apps.get_model("registers", "AccessLog"), "registers.accesslog"),
    ]
    # Rows are merged by (created_at, source id); the source name only breaks a tie between tables.
    merged = heapq.merge(*streams, key=lambda item: (item[0], item[1], item[2]))
    while batch := list(islice(merged, BATCH)):
        lookups = _lookups(apps, batch)
        entries = []
        for created_at, pk, source, row in batch:
            facts = BUILDERS[source](row, lookups)
            facts["details"] = {**facts.get("details", {}), "carried_from": f"{source}:{pk}"}
            entries.append(AuditEntry(occurred_at=created_at, channel="system", **facts))
        AuditEntry.objects.bulk_create(entries, batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("identity", "0005_auditor_role"),
        ("licenses", "0002_import_stored_file"),
        ("registers", "0001_initial"),
    ]

    # Backwards, nothing is removed: the log is append-only (the legacy tables come back empty).
    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
