"""The submission receipt: what it prints (masked applicant, materials, dates) and the QR it carries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.applications.constants import CaseStatus, MaterialSource, TrustLevel
from yiwang.applications.models import CaseMaterial
from yiwang.applications.services.receipts import receipt_pdf, status_query_url
from yiwang.catalog.tests.factories import BundleFactory, ImplementationFactory

from .factories import CaseFactory
from .pdf_text import expected_qr_modules, pdf_images, pdf_text, qr_modules

pytestmark = pytest.mark.django_db


def _material(case, name: str, source: str = MaterialSource.UPLOAD, **extra) -> CaseMaterial:
    trust = {MaterialSource.LICENSE: TrustLevel.SIGNED, MaterialSource.SHARED_DATA: TrustLevel.VERIFIED}
    return CaseMaterial.objects.create(
        case=case, key=name, name=name, source=source, trust=trust.get(source, TrustLevel.DECLARED), **extra
    )


def test_receipt_names_the_case_item_and_materials_and_masks_the_applicant(settings):
    # given a submitted case with two materials, one replaced by a license
    settings.SITE_URL = "https://zwfw.example.gov.cn"
    case = CaseFactory(
        holder_name="欧阳明华",
        submitted_at=timezone.make_aware(dt.datetime(2026, 3, 2, 9, 30)),
    )
    _material(case, "居民身份证", MaterialSource.LICENSE)
    _material(case, "申请书")
    _material(case, "旧的申请书", superseded=True)
    # when
    pdf = receipt_pdf(case=case)
    # then it is a PDF stating what the applicant needs to keep and track the case
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "申报回执" in text
    assert case.number in text
    assert case.implementation.name in text
    assert "欧***" in text and "明华" not in text
    assert case.holder_code[:4] + "*" * 10 + case.holder_code[-4:] in text
    assert case.holder_code not in text
    assert "2026-03-02 09:30" in text
    assert "1. 居民身份证（电子证照（免提交））" in text and "2. 申请书（在线上传）" in text
    assert "旧的申请书" not in text
    assert "受理后按工作日计算并告知" in text
    assert "https://zwfw.example.gov.cn/cases/query/?number=" + case.number in text


def test_receipt_qr_code_encodes_the_public_status_query_url():
    # given
    case = CaseFactory()
    # when
    pdf = receipt_pdf(case=case)
    # then the one image is a QR code of the query page of this case (read back module by module)
    (image,) = pdf_images(pdf)
    url = status_query_url(case)
    assert url.endswith(f"/cases/query/?number={case.number}")
    assert qr_modules(image) == expected_qr_modules(url)
    assert qr_modules(image) != expected_qr_modules(url + "0")


def test_accepted_case_receipt_states_both_planned_dates():
    # given an accepted case whose clock runs
    case = CaseFactory(
        status=CaseStatus.ACCEPTED,
        accepted_at=timezone.now(),
        promised_due=dt.date(2026, 3, 9),
        statutory_due=dt.date(2026, 3, 30),
    )
    # when
    text = pdf_text(receipt_pdf(case=case))
    # then
    assert "受理回执" in text
    assert "承诺办结日期：2026-03-09" in text and "法定办结日期：2026-03-30" in text
    assert "受理后按工作日计算并告知" not in text


def test_bundle_receipt_lists_each_part_with_its_department():
    # given a bundle parent with two sub-cases at two departments
    first, second = ImplementationFactory(), ImplementationFactory()
    bundle = BundleFactory()
    parent = CaseFactory(implementation=None, bundle=bundle, department=first.department, region=first.region)
    CaseFactory(
        parent=parent, implementation=first, number=parent.number + "-01", promised_due=dt.date(2026, 3, 9)
    )
    CaseFactory(parent=parent, implementation=second, number=parent.number + "-02")
    # when
    text = pdf_text(receipt_pdf(case=parent))
    # then
    assert bundle.name in text
    assert f"{parent.number}-01 {first.name}（{first.department.name}，承诺办结 2026-03-09）" in text
    assert f"{parent.number}-02 {second.name}（{second.department.name}，承诺办结 受理后告知）" in text
