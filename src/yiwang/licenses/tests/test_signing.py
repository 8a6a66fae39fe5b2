"""Signing keys, issuance, verification and the bundle that OpenSSL 3 verifies on its own."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess

import pytest
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.audit.subjects import subject_hash
from yiwang.core.crypto import canonicalize
from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.core.signing import get_backend
from yiwang.licenses.constants import KeyStatus, LicenseStatus
from yiwang.licenses.models import SigningKey
from yiwang.licenses.selectors import get_bundle, verify_bundle, verify_license_identifier
from yiwang.licenses.services import change_license_status, rotate_signing_key

from .factories import (
    DepartmentFactory,
    LicenseTypeFactory,
    StaffAssignmentFactory,
    UserFactory,
    make_license,
    synthetic_id_number,
)

pytestmark = pytest.mark.django_db


def _openssl_verify(tmp_path, bundle: dict) -> subprocess.CompletedProcess:
    """The exact command of docs/license-verification.md, on the bundle's three parts."""
    (tmp_path / "license.json").write_bytes(base64.b64decode(bundle["canonical"]))
    (tmp_path / "license.sig").write_bytes(base64.b64decode(bundle["signature"]))
    (tmp_path / "issuer.pem").write_text(bundle["public_key_pem"])
    command = [
        "openssl",
        "dgst",
        "-sm3",
        "-verify",
        "issuer.pem",
        "-signature",
        "license.sig",
        "-sigopt",
        "distid:1234567812345678",
        "license.json",
    ]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)  # noqa: S603


def test_bundle_verifies_with_openssl_and_tampering_fails(tmp_path):
    # given an issued license and its bundle
    license = make_license()
    bundle = get_bundle(license=license)
    # when OpenSSL checks it alone
    result = _openssl_verify(tmp_path, bundle)
    # then it verifies
    assert result.returncode == 0, result.stderr
    assert "Verified OK" in result.stdout
    # and when one character of the holder's name is changed, it does not
    payload = json.loads(base64.b64decode(bundle["canonical"]))
    payload["holder"]["name"] = payload["holder"]["name"] + "改"
    tampered = dict(bundle, canonical=base64.b64encode(canonicalize(payload)).decode())
    result = _openssl_verify(tmp_path, tampered)
    assert result.returncode != 0
    assert "Verification failure" in result.stdout + result.stderr


def test_bundle_verifies_through_the_platform_and_tampering_is_flagged():
    license = make_license()
    bundle = get_bundle(license=license)
    assert verify_bundle(bundle=bundle).is_valid
    payload = json.loads(base64.b64decode(bundle["canonical"]))
    payload["valid_until"] = "2099-12-31"
    tampered = dict(bundle, canonical=base64.b64encode(canonicalize(payload)).decode())
    outcome = verify_bundle(bundle=tampered)
    assert not outcome.is_valid
    assert not outcome.signature_ok


def test_bundle_with_a_foreign_key_is_refused():
    # given a bundle re-signed by someone else's key but claiming the issuer's key id
    license = make_license()
    other = make_license()
    bundle = get_bundle(license=license)
    forged = dict(bundle, public_key_pem=get_bundle(license=other)["public_key_pem"])
    outcome = verify_bundle(bundle=forged)
    assert not outcome.is_valid
    assert "公钥" in outcome.problems[0]


def test_revoked_and_expired_licenses_are_flagged():
    revoked = make_license()
    change_license_status(license=revoked, to_status=LicenseStatus.REVOKED, reason="测试")
    outcome = verify_license_identifier(identifier=revoked.identifier)
    assert outcome.signature_ok and not outcome.is_valid
    assert outcome.status == LicenseStatus.REVOKED
    old = make_license(issued_on=timezone.localdate() - dt.timedelta(days=365 * 6))
    outcome = verify_license_identifier(identifier=old.identifier)
    assert outcome.status == LicenseStatus.EXPIRED
    assert not outcome.within_validity and not outcome.is_valid


def test_rotation_keeps_old_licenses_verifying():
    # given a department that signed a license, then rotated its key
    department = DepartmentFactory()
    admin = StaffAssignmentFactory(department=department).user
    first = make_license(issuer=department)
    new_key = rotate_signing_key(department=department, rotated_by=admin)
    second = make_license(issuer=department, license_type=first.license_type)
    # then both verify, under different keys, the old one retired
    first.signing_key.refresh_from_db()
    assert first.signing_key.status == KeyStatus.RETIRED
    assert second.signing_key == new_key != first.signing_key
    assert verify_license_identifier(identifier=first.identifier).is_valid
    assert verify_license_identifier(identifier=second.identifier).is_valid
    rotated = AuditEntry.objects.get(action="licenses.key_rotated", object_id=new_key.key_id)
    assert (rotated.actor, rotated.department, rotated.actor_role) == (admin, department, "license_admin")


def test_only_the_departments_license_admin_rotates():
    department = DepartmentFactory()
    make_license(issuer=department)
    with pytest.raises(PermissionDenied):
        rotate_signing_key(department=department, rotated_by=StaffAssignmentFactory().user)


def test_private_keys_are_sealed_at_rest():
    license = make_license()
    key = SigningKey.objects.get(pk=license.signing_key_id)
    sealed = bytes(key.sealed_private_key)
    # 12-byte nonce + 32-byte key + 16-byte tag; the raw key is nowhere in the row
    assert len(sealed) == 12 + 32 + 16
    signature = get_backend(key.backend).sign(key=key, message=b"x")
    assert signature  # the backend can still open it with the KEK


def test_issue_checks_schema_and_holder():
    license_type = LicenseTypeFactory()
    with pytest.raises(InvalidInput) as caught:
        make_license(license_type=license_type, surface={"name": "张三", "grade": "三级"})
    assert caught.value.code == "invalid_surface"
    valid = synthetic_id_number(5)
    wrong_check = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    with pytest.raises(InvalidInput):
        make_license(license_type=license_type, holder_code=wrong_check)


def test_issue_records_history_and_audit_and_serials_grow():
    department = DepartmentFactory()
    license_type = LicenseTypeFactory()
    holder = UserFactory()
    first = make_license(issuer=department, license_type=license_type, holder=holder)
    second = make_license(issuer=department, license_type=license_type, holder=holder)
    assert first.identifier.split("-")[3] == "00000001"
    assert second.identifier.split("-")[3] == "00000002"
    assert first.status_changes.get().to_status == LicenseStatus.VALID
    issued = AuditEntry.objects.get(action="licenses.license_issued", object_id=first.identifier)
    assert (issued.department, issued.subject_hash) == (department, subject_hash(first.holder_code))
    assert first.valid_until == first.issued_on.replace(year=first.issued_on.year + 5) - dt.timedelta(days=1)
