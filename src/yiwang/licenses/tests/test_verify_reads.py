"""Verification reads a license and its key in one query and caches nothing that can change (issue 13).

A process that verified before must see a key rotation, a revocation or a row changed behind its back at
the next verification, as another web node would: these tests warm every per-process cache first.
"""

from __future__ import annotations

import base64
import json

import pytest

from yiwang.core.crypto import canonicalize, generate_keypair
from yiwang.licenses import selectors
from yiwang.licenses.constants import KeyStatus, LicenseStatus
from yiwang.licenses.models import License, SigningKey
from yiwang.licenses.selectors import get_bundle, verify_bundle, verify_license_identifier
from yiwang.licenses.services import rotate_signing_key

from .factories import DepartmentFactory, StaffAssignmentFactory, make_license

pytestmark = pytest.mark.django_db


def test_a_verification_reads_the_license_and_its_key_in_one_query(django_assert_num_queries):
    license = make_license()
    bundle = get_bundle(license=license)
    with django_assert_num_queries(1):
        assert verify_license_identifier(identifier=license.identifier).is_valid
    with django_assert_num_queries(1):
        assert verify_bundle(bundle=bundle).is_valid


def test_a_rotation_is_seen_at_once_by_a_process_that_verified_before():
    # given a license verified once (key active), so this process holds whatever it caches
    department = DepartmentFactory()
    admin = StaffAssignmentFactory(department=department).user
    first = make_license(issuer=department)
    assert verify_license_identifier(identifier=first.identifier).key_status == KeyStatus.ACTIVE
    # when the department rotates its key
    rotate_signing_key(department=department, rotated_by=admin)
    # then the next verification says the key is retired, and the license still verifies
    outcome = verify_license_identifier(identifier=first.identifier)
    assert (outcome.key_status, outcome.is_valid) == (KeyStatus.RETIRED, True)
    assert verify_bundle(bundle=get_bundle(license=first)).key_status == KeyStatus.RETIRED


def test_changes_written_by_another_node_are_seen_at_the_next_verification():
    # given a license verified once in this process
    license = make_license()
    assert verify_license_identifier(identifier=license.identifier).is_valid
    bundle = get_bundle(license=license)
    assert verify_bundle(bundle=bundle).is_valid
    # when another node retires the key and revokes the license (plain UPDATEs: no signal reaches us)
    SigningKey.objects.filter(pk=license.signing_key_id).update(status=KeyStatus.RETIRED)
    License.objects.filter(pk=license.pk).update(status=LicenseStatus.REVOKED)
    # then both kinds of verification see it at once
    for outcome in (verify_license_identifier(identifier=license.identifier), verify_bundle(bundle=bundle)):
        assert outcome.key_status == KeyStatus.RETIRED
        assert outcome.status == LicenseStatus.REVOKED
        assert outcome.signature_ok and not outcome.is_valid


def test_a_tampered_bundle_fails_under_a_key_this_process_already_used():
    license = make_license()
    bundle = get_bundle(license=license)
    assert verify_bundle(bundle=bundle).is_valid  # the key is now in every per-process cache
    payload = json.loads(base64.b64decode(bundle["canonical"]))
    payload["holder"]["name"] += "改"
    tampered = dict(bundle, canonical=base64.b64encode(canonicalize(payload)).decode())
    outcome = verify_bundle(bundle=tampered)
    assert not outcome.signature_ok and not outcome.is_valid
    assert verify_bundle(bundle=bundle).is_valid  # and the genuine bundle still verifies after it


def test_a_payload_or_key_changed_in_the_database_fails_after_a_successful_verification():
    # given a license verified once
    license = make_license()
    assert verify_license_identifier(identifier=license.identifier).is_valid
    # when someone edits its signed payload in the database, the stored signature no longer matches
    edited = dict(license.payload, valid_until="2099-12-31")
    License.objects.filter(pk=license.pk).update(payload=edited)
    assert not verify_license_identifier(identifier=license.identifier).signature_ok
    License.objects.filter(pk=license.pk).update(payload=license.payload)
    assert verify_license_identifier(identifier=license.identifier).is_valid
    # and a public key swapped under the same key id is used as stored now, not as cached before
    SigningKey.objects.filter(pk=license.signing_key_id).update(
        public_key=generate_keypair().public_key.hex()
    )
    assert not verify_license_identifier(identifier=license.identifier).signature_ok


def test_the_one_query_finds_nothing_for_an_unknown_identifier():
    assert selectors._verification_row("ID_CARD-NOPE") is None
