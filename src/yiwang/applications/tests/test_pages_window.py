"""一窗受理 pages: the citizen's consent by the window's QR code (the licenses' window consent), the
applicant found by the ID number on the card, any department's item applied for with prefill and paper
scans, channel window and one visit, in the accepting department's queue."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from yiwang.applications.constants import Channel, MaterialSource, TaskState, TrustLevel
from yiwang.applications.models import Case, CaseMaterial, CaseTask
from yiwang.applications.services.window import APPLICANT_FOUND, WINDOW_PURPOSE
from yiwang.applications.views.window import SESSION_TOKENS
from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.conftest import login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory
from yiwang.licenses.models import Consent
from yiwang.licenses.services import load_license_type_catalog, revoke_consent

from .cases_world import PDF
from .workbench_world import make_page_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def window():
    """A clerk at the comprehensive window (another department than the one that accepts the item)."""
    load_license_type_catalog()
    pages = make_page_world()
    window_department = DepartmentFactory(name="政务服务中心综合窗口", region=pages.world.department.region)
    clerk = StaffAssignmentFactory(department=window_department, role=StaffRole.WINDOW_CLERK).user
    client = Client()
    login_with_second_factor(client, clerk)
    # a citizen who has not applied before (nothing in their vault: every paper material is scanned)
    holder = pages.people["citizen"]
    citizen = Client()
    citizen.force_login(holder)
    return {
        "pages": pages,
        "holder": holder,
        "clerk": clerk,
        "client": client,
        "citizen": citizen,
        "department": window_department,
    }


def start_request(window) -> int:
    response = window["client"].post(reverse("applications:window"), {"department": window["department"].pk})
    assert response.status_code == 302
    return int(re.search(r"/window/(\d+)/", response["Location"]).group(1))


def agree(window, request_id: int) -> None:
    """The citizen scans the window's code and agrees (the licenses' consent page)."""
    token = window["client"].session[SESSION_TOKENS][str(request_id)]
    holder = window["holder"]
    response = window["citizen"].post(
        f"/licenses/consent-requests/{token}", {"holder_code": holder.id_number}
    )
    assert response.status_code == 302


def find(window, request_id: int, id_number: str | None = None):
    id_number = id_number or window["holder"].id_number
    url = reverse("applications:window_consent", kwargs={"request_id": request_id})
    return window["client"].post(url, {"id_number": id_number})


def apply_url(window, request_id: int) -> str:
    code = window["pages"].world.implementation.code
    return reverse("applications:window_apply", kwargs={"request_id": request_id, "code": code})


def scans() -> dict[str, SimpleUploadedFile]:
    return {
        "applicant_id_card": SimpleUploadedFile("身份证.pdf", PDF, "application/pdf"),
        "application_form": SimpleUploadedFile("申请表.pdf", PDF, "application/pdf"),
    }


def form_post(reference: str, id_number: str, **extra) -> dict:
    return {
        "step": "submit",
        "reference": reference,
        "situation-employed": "no",
        "f-applicant_id_number": id_number,
        "f-phone": "13900000000",
        "f-kind": "a",
        **extra,
    }


def test_the_qr_code_asks_for_the_citizens_consent_and_the_id_number_must_be_theirs(window):
    request_id = start_request(window)
    page = window["client"].get(reverse("applications:window_consent", kwargs={"request_id": request_id}))
    assert page.status_code == 200 and 'src="data:image/png;base64,' in page.content.decode()
    # before the citizen agrees, the applicant cannot be found
    pending = find(window, request_id)
    assert pending.status_code == 409 and "尚未扫码同意" in pending.content.decode()
    agree(window, request_id)
    consent = Consent.objects.get(holder_code=window["holder"].id_number)
    assert (consent.requester, consent.purpose) == (window["department"], WINDOW_PURPOSE)
    # another ID number than the citizen who agreed is refused
    other = window["pages"].world.applicant.id_number
    assert find(window, request_id, other).status_code == 404
    found = find(window, request_id)
    assert found.status_code == 302 and found["Location"].endswith(f"/window/{request_id}/items")
    entry = AuditEntry.objects.get(action=APPLICANT_FOUND)
    assert (entry.actor, entry.ground_kind, entry.ground_ref) == (window["clerk"], "consent", str(consent.pk))


def test_a_clerk_applies_for_the_citizen_with_prefill_and_scans_and_hands_it_to_the_back_office(window):
    request_id = start_request(window)
    agree(window, request_id)
    find(window, request_id)
    client, holder = window["client"], window["holder"]
    items = client.get(
        reverse("applications:window_items", kwargs={"request_id": request_id})
    ).content.decode()
    assert window["pages"].world.implementation.name in items
    # the situation first, then the form: the name prefilled from the account and locked
    situation = client.get(apply_url(window, request_id)).content.decode()
    assert 'id="situation-form"' in situation
    form = client.get(apply_url(window, request_id), {"situation-employed": "no", "reference": "w-1"})
    body = form.content.decode()
    assert 'name="f-applicant_name"' in body and "readonly" in body and "预填：" in body
    response = client.post(apply_url(window, request_id), {**form_post("w-1", holder.id_number), **scans()})
    assert response.status_code == 201, response.context.get("error")
    case = Case.objects.get(number=response.context["case"].number)
    assert (case.channel, case.visits, case.window_clerk) == (Channel.WINDOW, 1, window["clerk"])
    assert case.applicant == window["holder"]
    assert case.data["applicant_name"] == window["holder"].full_name
    assert "applicant_name" in case.prefilled
    scanned = CaseMaterial.objects.filter(case=case, source=MaterialSource.PAPER_SCAN)
    assert {m.key for m in scanned} == {"applicant_id_card", "application_form"}
    assert {m.trust for m in scanned} == {TrustLevel.DECLARED}
    assert response.context["query_code"] and "查询码" in response.content.decode()
    # in the accepting department's queue (not the window's)
    task = CaseTask.objects.get(case=case, state=TaskState.READY)
    assert (task.bpmn_id, task.department) == ("accept", window["pages"].world.department)
    queue = window["pages"].client("clerk").get(reverse("applications:workbench")).content.decode()
    assert case.number in queue
    # the same page sent twice makes one case
    again = client.post(apply_url(window, request_id), {**form_post("w-1", holder.id_number), **scans()})
    assert again.status_code == 200 and Case.objects.filter(channel=Channel.WINDOW).count() == 1


def test_an_invalid_form_is_shown_again_with_its_errors_and_nothing_is_kept(window, settings):
    request_id = start_request(window)
    agree(window, request_id)
    find(window, request_id)
    response = window["client"].post(
        apply_url(window, request_id),
        {**form_post("w-2", window["holder"].id_number, **{"f-phone": "12"}), **scans()},
    )
    assert response.status_code == 400
    assert 'data-testid="field-error"' in response.content.decode()
    assert not Case.objects.filter(channel=Channel.WINDOW).exists()
    stored = list((settings.MEDIA_ROOT / "applications").rglob("*.pdf"))
    assert len(stored) == CaseMaterial.objects.exclude(file="").values("file").distinct().count()


def test_a_revoked_consent_ends_the_clerks_access_and_another_clerk_never_had_it(window):
    request_id = start_request(window)
    agree(window, request_id)
    find(window, request_id)
    items_url = reverse("applications:window_items", kwargs={"request_id": request_id})
    other_clerk = StaffAssignmentFactory(department=window["department"], role=StaffRole.WINDOW_CLERK).user
    other = Client()
    login_with_second_factor(other, other_clerk)
    assert other.get(items_url).status_code == 404
    assert other.get(apply_url(window, request_id)).status_code == 404
    consent = Consent.objects.get(holder_code=window["holder"].id_number)
    revoke_consent(actor=window["holder"], consent_id=consent.pk)
    assert window["client"].get(items_url).status_code == 404
    assert (
        window["client"]
        .post(apply_url(window, request_id), form_post("w-3", window["holder"].id_number))
        .status_code
        == 404
    )
