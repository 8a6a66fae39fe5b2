"""License pages: rendering with the watermark, QR showing, verifier page, PDF, consents, issuance."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yiwang.core.crypto import canonicalize
from yiwang.licenses.models import Consent, ShowToken
from yiwang.licenses.selectors import get_bundle
from yiwang.licenses.services import create_consent_request

from .conftest import log_in
from .factories import LicenseTypeFactory, StaffAssignmentFactory

pytestmark = pytest.mark.django_db


def test_holder_sees_license_with_watermark(client, world):
    log_in(client, world.holder)
    page = client.get(f"/licenses/{world.license.identifier}/").content.decode()
    assert world.license.identifier in page
    assert f"此件由{world.license.issuer.name}提供，仅供办理政务服务事项时使用，有效期至" in page
    listing = client.get("/licenses/").content.decode()
    assert world.license.license_type.name in listing


def test_other_citizen_gets_404_page(client, world):
    log_in(client, world.other_citizen)
    response = client.get(f"/licenses/{world.license.identifier}/")
    assert response.status_code == 404
    assert world.holder.full_name not in response.content.decode()


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(f"/licenses/{world.license.identifier}/")
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_show_qr_then_verifier_page_confirms_and_masks(client, world):
    # given the holder shows the license
    log_in(client, world.holder)
    page = client.get(f"/licenses/{world.license.identifier}/show").content.decode()
    assert "<svg" in page
    link = re.search(r'id="show-link" href="[^"]*(/licenses/show/[^"]+)"', page).group(1)
    # when a verifier (not logged in) scans it
    client.logout()
    scanned = client.get(link).content.decode()
    # then it is confirmed with minimal, masked fields
    assert "验证通过" in scanned
    assert world.license.holder_name not in scanned and world.license.holder_name[0] + "*" in scanned
    assert world.holder.id_number not in scanned
    # and the holder finds the scan among the uses of their licenses
    log_in(client, world.holder)
    uses = client.get("/licenses/consents/").content.decode().split('id="uses"')[1]
    assert world.license.identifier in uses and "亮证核验" in uses


def test_expired_show_token_is_refused(client, world):
    log_in(client, world.holder)
    page = client.get(f"/licenses/{world.license.identifier}/show").content.decode()
    link = re.search(r'(/licenses/show/[^"]+)"', page).group(1)
    ShowToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(link).status_code == 404


def test_pdf_is_a_pdf_with_the_bundle_attached(client, world):
    log_in(client, world.holder)
    response = client.get(f"/licenses/{world.license.identifier}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF") and b"bundle.json" in body


def test_verify_page_flags_a_tampered_bundle(client, world):
    bundle = get_bundle(license=world.license)
    payload = json.loads(base64.b64decode(bundle["canonical"]))
    payload["surface"]["grade"] = "二级"
    tampered = dict(bundle, canonical=base64.b64encode(canonicalize(payload)).decode())
    upload = SimpleUploadedFile("bundle.json", json.dumps(tampered).encode())
    page = client.post("/licenses/verify", {"bundle": upload}).content.decode()
    assert "验证未通过" in page and "签名无效" in page
    page = client.get(f"/licenses/verify?identifier={world.license.identifier}").content.decode()
    assert "验证通过" in page


def test_grant_and_revoke_consent_through_pages(client, world):
    log_in(client, world.holder)
    response = client.post(
        f"/licenses/{world.license.identifier}/consent",
        {
            "requester_credit_code": world.other_staff.staff_assignments.get().department.credit_code,
            "purpose": "办理不动产登记",
            "days": 3,
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(purpose="办理不动产登记")
    page = client.get("/licenses/consents/").content.decode()
    assert "办理不动产登记" in page and "办理公积金提取" in page  # and the earlier use is listed
    client.post(f"/licenses/consents/{consent.pk}/revoke")
    consent.refresh_from_db()
    assert consent.revoked_at is not None


def test_window_code_consent(client, world):
    # given a window clerk's request for the holder's license type
    request, token = create_consent_request(
        actor=world.requester,
        requester=world.requester_department,
        license_type=world.license.license_type,
        purpose="窗口办理",
        consent_days=1,
    )
    log_in(client, world.holder)
    page = client.get(f"/licenses/consent-requests/{token}").content.decode()
    assert "窗口办理" in page
    client.post(f"/licenses/consent-requests/{token}", {"holder_code": world.holder.id_number})
    request.refresh_from_db()
    assert request.consent.channel == "window_code"
    # and the code works only once
    assert client.get(f"/licenses/consent-requests/{token}").status_code == 404


def test_issue_page_for_license_admin_only(client, world):
    license_type = LicenseTypeFactory()
    log_in(client, world.issuer_staff)
    response = client.post(
        "/licenses/issue",
        {
            "type": license_type.code,
            "issuer_credit_code": world.license.issuer.credit_code,
            "holder_code": world.other_citizen.id_number,
            "holder_name": world.other_citizen.full_name,
            "surface__name": world.other_citizen.full_name,
            "valid_until": "",
        },
    )
    assert response.status_code == 302
    log_in(client, world.holder)
    assert client.get("/licenses/issue").status_code == 403  # not staff with a second factor
    log_in(client, StaffAssignmentFactory(role="window_clerk").user)
    assert client.get("/licenses/issue").status_code == 404


def test_window_clerk_page_shows_a_consent_qr(client, world):
    log_in(client, world.requester)
    page = client.post(
        "/licenses/consent-requests/new",
        {
            "requester_credit_code": world.requester_department.credit_code,
            "type_code": world.license.license_type.code,
            "purpose": "窗口核验",
            "consent_days": 1,
        },
    ).content.decode()
    assert "<svg" in page
    link = re.search(r'id="consent-link" href="[^"]*(/licenses/consent-requests/[^"]+)"', page).group(1)
    log_in(client, world.holder)
    assert "窗口核验" in client.get(link).content.decode()


def test_issuer_staff_page_access_needs_the_second_factor(client, world):
    client.force_login(world.issuer_staff)  # no TOTP
    assert client.get(f"/licenses/{world.license.identifier}/").status_code == 404
    log_in(client, world.issuer_staff)
    assert client.get(f"/licenses/{world.license.identifier}/").status_code == 200
