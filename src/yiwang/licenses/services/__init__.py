"""Writes of the licenses domain. Each function is one transaction; see the modules for details."""

from .catalog import load_license_type_catalog, save_license_type, save_license_type_edit
from .consents import (
    accept_consent_request,
    create_consent_request,
    get_pending_consent_request,
    grant_consent,
    read_license_with_consent,
    revoke_consent,
)
from .issuance import LicenseDraft, issue_in_bulk, issue_license, issue_license_by_staff
from .keys import ensure_signing_key, rotate_signing_key
from .showing import create_show_token, scan_show_token
from .status import change_license_status, change_license_status_by_staff, expire_licenses

__all__ = [
    "LicenseDraft",
    "accept_consent_request",
    "change_license_status",
    "change_license_status_by_staff",
    "create_consent_request",
    "create_show_token",
    "ensure_signing_key",
    "expire_licenses",
    "get_pending_consent_request",
    "grant_consent",
    "issue_in_bulk",
    "issue_license",
    "issue_license_by_staff",
    "load_license_type_catalog",
    "read_license_with_consent",
    "revoke_consent",
    "rotate_signing_key",
    "save_license_type",
    "save_license_type_edit",
    "scan_show_token",
]
