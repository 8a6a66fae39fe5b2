"""二手房转移登记一件事 end to end through the services, on the demo data: the seller submits one form and
one set of materials (prefilled from the account and from the real estate register through the exchange,
the 不动产权证书 and the ID card taken from the license library), the application fans out to three
departments that accept and decide their parts in parallel, a supplement in one part stops the one clock
and the answer restarts it with a later planned end, the results are issued as signed e-licenses into the
seller's wallet, and the parent closes with its last part."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.applications.constants import (
    CASE_RESUBMITTED,
    CASE_SUPPLEMENT_REQUESTED,
    CaseStatus,
    ClockStopKind,
    Decision,
    MaterialSource,
    TaskState,
)
from yiwang.applications.demo import (
    CONTRACT_FILING,
    HOUSE_BUNDLE,
    MORTGAGE,
    TAX_RETURN,
    TRANSFER,
    demo_upload,
    seller_estate,
    submit_house_bundle,
)
from yiwang.applications.models import Case, CaseEvent, CaseTask
from yiwang.applications.services import cases, clock
from yiwang.applications.services.forms import bundle_form
from yiwang.audit.models import AuditEntry
from yiwang.catalog.models import Bundle
from yiwang.core.errors import DomainError
from yiwang.core.workdays import load_calendar
from yiwang.identity.models import User
from yiwang.licenses.models import License
from yiwang.licenses.selectors import verify_license_identifier
from yiwang.notifications.models import OutboxEvent

from .demo_world import load_demo_world, next_monday, noon

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

KEY = "e2e-house-transfer"
STAFF = (
    "zjj_clerk",
    "zjj_approver",
    "swj_clerk",
    "swj_approver",
    "zrzy_clerk",
    "zrzy_approver",
    "house_seller",
)
# What each registering department records at review (审查) for its result license.
TAX_SURFACE = {"tax_period": "2026年", "tax_type": "契税、增值税及附加、个人所得税", "amount": 20400}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def on(monkeypatch):
    """Set the day the next actions happen on (noon, Asia/Shanghai)."""
    real_now = timezone.now
    moment: dict[str, dt.datetime] = {}
    monkeypatch.setattr(timezone, "now", lambda: moment.get("now") or real_now())

    def set_day(day: dt.date) -> None:
        moment["now"] = noon(day)

    return set_day


@pytest.fixture
def world():
    load_demo_world()
    return {username: User.objects.get(username=username) for username in STAFF}


def quiet_week() -> dt.date:
    """A Monday (after the demo licenses were issued) of a week without a holiday."""
    calendar = load_calendar()
    monday = next_monday()
    while not all(calendar.is_working_day(monday + dt.timedelta(days=n)) for n in range(5)):
        monday += dt.timedelta(days=7)
    return monday


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def review(actor: User, case: Case, surface: dict | None = None, **extra: str) -> Case:
    """The approver's review (审查), recording what the result license will say."""
    task = CaseTask.objects.get(case=case, bpmn_id="review", state=TaskState.READY)
    data = {"result_surface": surface, **extra} if surface else {}
    return cases.complete_task(actor=actor, case=case, task=task, data=data)


def approve(actor: User, case: Case, reason: str, basis: str) -> Case:
    cases.decide(actor=actor, case=fresh(case), decision=Decision.APPROVE, reason=reason, legal_basis=basis)
    return fresh(case)


def test_the_house_transfer_bundle_end_to_end_through_the_services(world, on):
    seller = world["house_seller"]
    estate = seller_estate(seller)
    bundle = Bundle.objects.get(code=HOUSE_BUNDLE)
    monday = quiet_week()
    tuesday, thursday = monday + dt.timedelta(days=1), monday + dt.timedelta(days=3)
    calendar = load_calendar()

    # given one form for the four parts, each field asked once
    keys = [item["key"] for section in bundle_form(bundle=bundle)["sections"] for item in section["fields"]]
    assert len(keys) == len(set(keys)) and {"property_address", "loan_amount", "contract_price"} <= set(keys)

    # when the seller submits it on Monday, and the same submission again (a double click)
    on(monday)
    parent, created = submit_house_bundle(seller=seller, key=KEY)
    again, created_again = submit_house_bundle(seller=seller, key=KEY)

    # then there is one application, prefilled from the account and the real estate register
    assert created and not created_again and again.pk == parent.pk
    assert Case.objects.filter(bundle=bundle, parent__isnull=True, applicant=seller).count() == 1
    assert parent.prefilled["applicant_name"]["source"] == "account:name"
    assert parent.prefilled["property_address"]["source"] == "register:BDC-511602-0001:address"
    assert parent.data["property_address"] == estate.address
    assert float(parent.data["property_area"]) == float(estate.area)
    # read through the exchange under this application, as the seller's data tracker shows
    assert AuditEntry.objects.filter(ground_ref=KEY, subject_hash__gt="").exists()
    # and one set of materials: the ID card and the 不动产权证书 from the license library (免证办), the
    # tax receipt to come from the tax part, the rest uploaded once
    materials = {material.key: material for material in parent.materials.filter(superseded=False)}
    assert len(materials) == parent.materials.filter(superseded=False).count()
    certificate = materials["real_estate_cert"]
    assert certificate.source == MaterialSource.LICENSE
    assert certificate.license.surface["certificate_number"] == estate.certificate_number
    assert materials["applicant_id_card"].source == MaterialSource.LICENSE
    assert materials["tax_payment_proof"].source == MaterialSource.SHARED_DATA
    assert materials["house_sale_contract"].source == MaterialSource.UPLOAD

    # and it fans out to four parts at three departments, sharing the materials by reference
    parts = {part.implementation.code: part for part in parent.children.select_related("implementation")}
    assert set(parts) == {CONTRACT_FILING, TAX_RETURN, TRANSFER, MORTGAGE}
    assert {part.department.short_name for part in parts.values()} == {
        "区住建局",
        "广安区税务局",
        "区自然资源和规划局",
    }
    shared = {m.license_id for part in parts.values() for m in part.materials.filter(key="real_estate_cert")}
    assert shared == {certificate.license_id}
    assert parent.promised_due is None  # the clock has not started

    # a department cannot act on another's part
    with pytest.raises(DomainError):
        cases.accept(actor=world["zjj_clerk"], case=parts[TAX_RETURN])

    # when the departments accept their parts in parallel, the one clock starts with the first
    cases.accept(actor=world["swj_clerk"], case=parts[TAX_RETURN])
    parent = fresh(parent)
    promised = calendar.add_working_days(monday, bundle.promised_limit_days)
    assert parent.status == CaseStatus.ACCEPTED and parent.promised_due == promised
    cases.accept(actor=world["zrzy_clerk"], case=parts[TRANSFER])
    cases.accept(actor=world["zjj_clerk"], case=parts[CONTRACT_FILING])
    review(world["zjj_approver"], fresh(parts[CONTRACT_FILING]))
    cases.accept(actor=world["zrzy_clerk"], case=parts[MORTGAGE])
    assert fresh(parent).promised_due == promised  # accepting more parts does not restart it

    # when the registration asks on Tuesday for a signed application form (一次性告知)
    on(tuesday)
    cases.request_supplement(
        actor=world["zrzy_clerk"],
        case=fresh(parts[TRANSFER]),
        items=[{"kind": "material", "key": "real_estate_application", "problem": "申请书缺少买方签名"}],
    )
    # then the one clock stands still with it
    view = clock.describe(case=fresh(parent))
    assert not view.is_running and view.stopped_by
    assert fresh(parts[TRANSFER]).status == CaseStatus.SUPPLEMENT
    # while the other departments go on: the contract filing is approved (no license of its own)
    contract = approve(
        world["zjj_approver"], parts[CONTRACT_FILING], "合同已网签备案", "《城市房地产管理法》第四十五条"
    )
    assert contract.status == CaseStatus.APPROVED and contract.result_license is None
    valid_until = (monday + dt.timedelta(days=365)).isoformat()  # a 完税证明 states its validity
    review(world["swj_approver"], fresh(parts[TAX_RETURN]), TAX_SURFACE, result_valid_until=valid_until)

    # when the seller answers on Thursday
    on(thursday)
    cases.resubmit(
        actor=seller,
        case=fresh(parts[TRANSFER]),
        data={},
        uploads={"real_estate_application": demo_upload("signed-application.pdf")},
    )
    # then the clock restarts and its planned end has moved by the working days it stood still
    parent = fresh(parent)
    stopped = calendar.working_days_between(tuesday, thursday)
    assert stopped == 2 and parent.promised_due == calendar.add_working_days(promised, stopped)
    assert clock.describe(case=parent).is_running
    stop = parent.clock_stops.get()
    assert (stop.kind, stop.started_on, stop.ended_on) == (ClockStopKind.SUPPLEMENT, tuesday, thursday)
    timeline = list(CaseEvent.objects.filter(case=parent).values_list("kind", flat=True))
    assert CASE_SUPPLEMENT_REQUESTED in timeline and CASE_RESUBMITTED in timeline
    assert OutboxEvent.objects.filter(topic=CASE_RESUBMITTED).count() == 2  # the part's and the parent's

    # when the tax bureau and the registration decide, interleaved, the transfer last
    transfer_surface = {
        "unit_number": estate.unit_number,
        "location": estate.address,
        "area": float(estate.area),
        "use": "住宅",
        "co_ownership": "单独所有",
    }
    review(world["zrzy_approver"], fresh(parts[TRANSFER]), transfer_surface)
    tax = approve(world["swj_approver"], parts[TAX_RETURN], "税款已缴清", "《中华人民共和国契税法》")
    mortgage_surface = {"matter": "抵押权", "obligor": seller.full_name, "location": estate.address}
    review(world["zrzy_approver"], fresh(parts[MORTGAGE]), mortgage_surface)
    mortgage = approve(world["zrzy_approver"], parts[MORTGAGE], "抵押合同有效", "《不动产登记暂行条例》")
    assert fresh(parent).closed_at is None  # one part is still open
    transfer = approve(world["zrzy_approver"], parts[TRANSFER], "符合转移登记条件", "《不动产登记暂行条例》")

    # then each result is a signed e-license in the seller's wallet, and verifies
    issued = {case.implementation.code: case.result_license for case in (tax, mortgage, transfer)}
    assert {code: license.license_type.code for code, license in issued.items()} == {
        TAX_RETURN: "TAX_PAYMENT_PROOF",
        MORTGAGE: "REAL_ESTATE_PROOF",
        TRANSFER: "REAL_ESTATE_CERT",
    }
    for code, license in issued.items():
        assert license.holder_code == seller.id_number
        assert license.issuer_id == parts[code].department_id
        assert verify_license_identifier(identifier=license.identifier).is_valid
    wallet = set(License.objects.filter(holder_code=seller.id_number).values_list("identifier", flat=True))
    assert {license.identifier for license in issued.values()} <= wallet
    assert issued[TRANSFER].surface["location"] == estate.address
    # and the parent closed, approved, with its last part
    parent = fresh(parent)
    assert parent.status == CaseStatus.APPROVED and parent.closed_at is not None
    assert all(fresh(part).status == CaseStatus.APPROVED for part in parts.values())
