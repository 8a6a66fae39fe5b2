"""The e-license library as a source of the data exchange: licenses' metadata by identifier, and verification
that a holder holds a valid license of a type (免证办), without handing the license over.

The exchange sits below licenses and never names it: it defines the plugin contract
(``exchange.selectors.sources``) and this app registers the library's source in its ``AppConfig.ready``.
The exchange has checked the consuming system's grant before any call reaches here; every read is logged
with the holder as data subject, so the holder's data tracker shows which system checked their licenses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from yiwang.audit.constants import GroundKind, Outcome
from yiwang.audit.services import record_read
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.identifiers import is_valid_credit_code, is_valid_resident_id
from yiwang.exchange.selectors.sources import (
    LICENSE_LIBRARY_SOURCE,
    Assertion,
    Reader,
    ResourceSource,
    resource_sources,
)

from .audit_facts import LICENSE_OBJECT
from .constants import AuditAction, LicenseStatus
from .models import License
from .selectors import effective_status

HOLDS_LICENSE = "holds_license"


def _is_holder_code(key: str) -> bool:
    return is_valid_resident_id(key) or is_valid_credit_code(key)


def _log(
    reader: Reader, *, subject: str, fields: Sequence[str], object_id: str, department, found: bool
) -> None:
    record_read(
        action=AuditAction.LICENSE_READ,
        subject=subject,
        fields=fields,
        purpose=reader.purpose[:200],
        outcome=Outcome.ALLOWED if found else Outcome.REFUSED,
        reason="" if found else "not_found",
        system=reader.system,
        on_behalf_of=reader.acting_for,
        actor_department=reader.consumer,
        object_type=LICENSE_OBJECT,
        object_id=object_id,
        department=department,
        ground_kind=GroundKind.CASE,
        ground_ref=reader.case_number[:100],
    )


@resource_sources.register(LICENSE_LIBRARY_SOURCE)
class LicenseLibrarySource(ResourceSource):
    """Queried by license identifier; ``holds_license`` also takes the holder's ID number or credit code."""

    key_name = "identifier"
    verify_key_name = "identifier_or_holder_code"
    assertions = {
        HOLDS_LICENSE: Assertion(
            ("license_type_code", "status"),
            (str,),
            lambda record, wanted: wanted.strip().upper() in record["valid_types"],
            "持有该类型（证照类型代码）的有效证照",
        ),
        "valid": Assertion(
            ("status",), (bool,), lambda record, wanted: record["is_valid"] == wanted, "证照有效"
        ),
        "holder": Assertion(
            ("holder_code",),
            (str,),
            lambda record, wanted: record["holder_code"] == wanted.strip().upper(),
            "持证主体证件号一致",
        ),
    }

    def _license(self, key: str, items: Sequence[str], reader: Reader) -> License:
        with transaction.atomic():
            license = License.objects.select_related("license_type", "issuer").filter(identifier=key).first()
            _log(
                reader,
                subject=license.holder_code if license else key,
                fields=items,
                object_id=key,
                department=license.issuer if license else reader.provider,
                found=license is not None,
            )
        if license is None:
            raise NotFound("电子证照库中未找到该证照", code="license_not_found")
        return license

    def read(self, *, key: str, items: Sequence[str], reader: Reader) -> dict[str, Any]:
        license = self._license(key, items, reader)
        record = {
            "identifier": license.identifier,
            "license_type_code": license.license_type.code,
            "license_type_name": license.license_type.name,
            "holder_kind": license.holder_kind,
            "holder_name": license.holder_name,
            "holder_code": license.holder_code,
            "issuer": license.issuer.name,
            "issued_on": license.issued_on,
            "valid_from": license.valid_from,
            "valid_until": license.valid_until,
            "status": effective_status(license),
            "trust_level": license.trust_level,
        }
        return {name: record[name] for name in items}

    def verify(self, *, key: str, assertions: Mapping[str, Any], reader: Reader) -> dict[str, bool]:
        if _is_holder_code(key) and set(assertions) - {HOLDS_LICENSE}:
            raise InvalidInput(
                "以持证主体证件号核验时只能核验 holds_license；其他核验项须以证照标识为主键",
                code="assertion_needs_license_identifier",
                assertions=sorted(set(assertions) - {HOLDS_LICENSE}),
            )
        return super().verify(key=key, assertions=assertions, reader=reader)

    def verification_record(self, *, key: str, items: Sequence[str], reader: Reader) -> Mapping[str, Any]:
        if _is_holder_code(key):
            return {"valid_types": self._valid_types_held(key, items, reader)}
        license = self._license(key, items, reader)
        is_valid = effective_status(license) == LicenseStatus.VALID
        return {
            "valid_types": {license.license_type.code} if is_valid else set(),
            "is_valid": is_valid,
            "holder_code": license.holder_code,
        }

    def _valid_types_held(self, holder_code: str, items: Sequence[str], reader: Reader) -> set[str]:
        """The types of the holder's licenses in force today (holding none is an answer, not a 404)."""
        with transaction.atomic():
            licenses = list(
                License.objects.filter(holder_code=holder_code, status=LicenseStatus.VALID).select_related(
                    "license_type"
                )
            )
            _log(
                reader,
                subject=holder_code,
                fields=items,
                object_id="",
                department=reader.provider,
                found=True,
            )
        return {
            license.license_type.code
            for license in licenses
            if effective_status(license) == LicenseStatus.VALID
        }
