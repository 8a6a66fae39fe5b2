"""Bulk import: row-by-row validation, all or nothing, progress, Excel and CSV, only by the issuer's admin."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.licenses.constants import ImportStatus
from yiwang.licenses.importers import start_import
from yiwang.licenses.models import License
from yiwang.licenses.selectors import verify_license_identifier
from yiwang.licenses.services import issuance

from .conftest import log_in
from .factories import DepartmentFactory, LicenseTypeFactory, StaffAssignmentFactory, synthetic_id_number

pytestmark = pytest.mark.django_db


def _csv(rows: list[list[str]]) -> SimpleUploadedFile:
    text = "\n".join(",".join(row) for row in rows)
    return SimpleUploadedFile("历史证照.csv", text.encode("utf-8"), content_type="text/csv")


def _good_rows(count: int) -> list[list[str]]:
    header = ["持证主体证件号", "持证主体名称", "签发日期", "name", "grade"]
    return [header] + [
        [synthetic_id_number(n), f"王{n}", "2019-05-01", f"王{n}", "二级"] for n in range(count)
    ]


@pytest.fixture
def admin_and_issuer(db):
    issuer = DepartmentFactory()
    return StaffAssignmentFactory(department=issuer).user, issuer


def test_csv_import_signs_every_row(admin_and_issuer, django_capture_on_commit_callbacks):
    admin, issuer = admin_and_issuer
    license_type = LicenseTypeFactory()
    # when a 50-row file is imported
    with django_capture_on_commit_callbacks(execute=True):
        job = start_import(actor=admin, license_type=license_type, issuer=issuer, upload=_csv(_good_rows(50)))
    job.refresh_from_db()
    # then all 50 are signed licenses that verify (expired by now: 5-year validity from 2019)
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert (job.total_rows, job.processed_rows, job.imported_count) == (50, 50, 50)
    imported = License.objects.filter(import_job=job)
    assert imported.count() == 50
    outcome = verify_license_identifier(identifier=imported.first().identifier)
    assert outcome.signature_ok and outcome.status == "expired"


def test_one_bad_row_imports_nothing_and_names_the_row(admin_and_issuer, django_capture_on_commit_callbacks):
    admin, issuer = admin_and_issuer
    rows = _good_rows(20)
    rows[7][0] = rows[7][0][:-1] + ("0" if rows[7][0][-1] != "0" else "1")  # wrong check digit
    rows[12][4] = "九级"  # not in the schema's enum
    with django_capture_on_commit_callbacks(execute=True):
        job = start_import(actor=admin, license_type=LicenseTypeFactory(), issuer=issuer, upload=_csv(rows))
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert License.objects.filter(issuer=issuer).count() == 0
    assert [error["row"] for error in job.errors] == [8, 13]


def test_excel_import(admin_and_issuer, django_capture_on_commit_callbacks):
    admin, issuer = admin_and_issuer
    workbook = Workbook()
    for row in _good_rows(5):
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("证照.xlsx", buffer.getvalue())
    with django_capture_on_commit_callbacks(execute=True):
        job = start_import(actor=admin, license_type=LicenseTypeFactory(), issuer=issuer, upload=upload)
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED and job.imported_count == 5


def test_binary_garbage_is_refused_by_content(admin_and_issuer):
    admin, issuer = admin_and_issuer
    upload = SimpleUploadedFile("looks.csv", bytes(range(256)) * 4)
    with pytest.raises(InvalidInput):
        start_import(actor=admin, license_type=LicenseTypeFactory(), issuer=issuer, upload=upload)


def test_only_the_issuers_license_admin_imports(admin_and_issuer):
    _, issuer = admin_and_issuer
    outsider = StaffAssignmentFactory().user
    with pytest.raises(PermissionDenied):
        start_import(
            actor=outsider, license_type=LicenseTypeFactory(), issuer=issuer, upload=_csv(_good_rows(1))
        )


def test_progress_endpoint_is_scoped_to_the_department(
    client, admin_and_issuer, django_capture_on_commit_callbacks
):
    admin, issuer = admin_and_issuer
    license_type = LicenseTypeFactory()
    log_in(client, admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/licenses/imports",
            {
                "type_code": license_type.code,
                "issuer_credit_code": issuer.credit_code,
                "file": _csv(_good_rows(3)),
            },
        )
    assert response.status_code == 202
    job_id = response.json()["id"]
    progress = client.get(f"/api/v1/licenses/imports/{job_id}").json()
    assert progress["status"] == "succeeded" and progress["imported_count"] == 3
    log_in(client, StaffAssignmentFactory().user)
    assert client.get(f"/api/v1/licenses/imports/{job_id}").status_code == 404


# An import of several batches (signed and inserted batch by batch, in one transaction). The capacity the
# issuing departments need (>= 100,000 historical licenses in one file) is a figure of `make bench`
# (bench/license_bench.py imports 100,000 rows and prints the rate), not of a test.
def test_an_import_of_several_batches_imports_every_row_once(
    admin_and_issuer, django_capture_on_commit_callbacks
):
    admin, issuer = admin_and_issuer
    rows = 2 * issuance._BATCH + 1
    with django_capture_on_commit_callbacks(execute=True):
        job = start_import(
            actor=admin, license_type=LicenseTypeFactory(), issuer=issuer, upload=_csv(_good_rows(rows))
        )
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED and job.imported_count == rows
    assert License.objects.filter(license_type=job.license_type).count() == rows
    assert (
        License.objects.filter(license_type=job.license_type).values("identifier").distinct().count() == rows
    )
