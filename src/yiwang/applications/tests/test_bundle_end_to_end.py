"""二手房转移登记一件事 end to end through the services, on the demo data: the seller submits one form and
one set of materials (prefilled from the account and from the real estate register through the exchange,
the 不动产权证书 and the ID card taken from the license library), the application fans out to three
departments that accept and decide their parts in parallel, a supplement in one part stops the one clock
and the answer restarts it with a later planned end, the results are issued as signed e-licenses into the
seller's wallet, and the parent closes with its last part."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from yiwang.applications.constants import (
    CASE_RESUBMITTED,
    CASE_RESULT_ISSUED,
    CASE_SUPPLEMENT_REQUESTED,
    CaseStatus,
    ClockStopKind,
    Decision,
    MaterialSource,
    TaskState,
)
from yiwang.applications.demo import (
    CONTRACT_FILING,
    DEMO_PDF,
    HOUSE_BUNDLE,
    MORTGAGE,
    TAX_RETURN,
    TRANSFER,
    demo_buyer,
    demo_upload,
    house_answers,
    seller_estate,
    submit_house_bundle,
)
from yiwang.applications.models import Case, CaseEvent, CaseTask
from yiwang.applications.services import cases, clock
from yiwang.applications.services.forms import bundle_form
from yiwang.audit.models import AuditEntry
from yiwang.catalog.models import Bundle
from yiwang.conftest import built_once
from yiwang.core.errors import DomainError
from yiwang.core.workdays import load_calendar
from yiwang.identity.models import User
from yiwang.licenses.constants import LicenseStatus
from yiwang.licenses.models import License
from yiwang.licenses.selectors import verify_license_identifier
from yiwang.notifications.models import OutboxEvent

from .api_world import bearer, token_for
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


@pytest.fixture(scope="module")
def _demo_world(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, load_demo_world):
        yield


@pytest.fixture
def world(_demo_world, db):
    """The demo world (loaded once for the module; each test's writes are rolled back at its end)."""
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

    # then each result is a signed e-license that verifies: the new 不动产权证书 in the buyer's wallet (the
    # house is theirs now), the tax proof and the mortgage's proof in the selling applicant's
    issued = {case.implementation.code: case.result_license for case in (tax, mortgage, transfer)}
    assert {code: license.license_type.code for code, license in issued.items()} == {
        TAX_RETURN: "TAX_PAYMENT_PROOF",
        MORTGAGE: "REAL_ESTATE_PROOF",
        TRANSFER: "REAL_ESTATE_CERT",
    }
    buyer = parent.data["buyer_id_number"], parent.data["buyer_name"]
    for code, license in issued.items():
        holder = buyer if code == TRANSFER else (seller.id_number, seller.full_name)
        assert (license.holder_code, license.holder_name) == holder
        assert license.issuer_id == parts[code].department_id
        assert verify_license_identifier(identifier=license.identifier).is_valid
    wallet = set(License.objects.filter(holder_code=seller.id_number).values_list("identifier", flat=True))
    assert {issued[TAX_RETURN].identifier, issued[MORTGAGE].identifier} <= wallet
    assert issued[TRANSFER].identifier not in wallet
    assert (issued[TRANSFER].surface["name"], issued[TRANSFER].surface["id_number"]) == buyer[::-1]
    assert issued[TRANSFER].surface["location"] == estate.address
    issued_text = parts[TRANSFER].events.get(kind=CASE_RESULT_ISSUED).text
    assert f"已签发至权利人{buyer[1]}的电子证照夹" in issued_text
    # and the seller's old 不动产权证书 is cancelled (注销), replaced by the buyer's, and the seller is told;
    # the bundle's own cases, which used it as a material, are not flagged for it
    old = License.objects.get(pk=certificate.license_id)
    assert old.status == LicenseStatus.REVOKED and old.identifier in issued_text and "已注销" in issued_text
    assert (
        old.status_changes.get(to_status=LicenseStatus.REVOKED).reason
        == f"已由办件 {transfer.number} 的办理结果 {issued[TRANSFER].identifier} 替代"
    )
    assert not verify_license_identifier(identifier=old.identifier).is_valid
    assert not Case.objects.filter(pk__in=[parent.pk, *(p.pk for p in parts.values())]).exclude(
        flagged_reason=""
    )
    # and the parent closed, approved, with its last part
    parent = fresh(parent)
    assert parent.status == CaseStatus.APPROVED and parent.closed_at is not None
    assert all(fresh(part).status == CaseStatus.APPROVED for part in parts.values())


# --- the same through the API ---------------------------------------------------------------------------

SELLER_SCOPES = "openid applications:read applications:write licenses:read"
STAFF_API_SCOPES = "openid workbench:read workbench:write applications:read"


class Caller:
    """One user calling /api/v1 with a bearer token of their scopes (long-lived: the test moves days)."""

    def __init__(self, client: Client, user: User, scopes: str):
        token = token_for(user, scopes)
        AccessToken.objects.filter(token=token).update(expires=timezone.now() + dt.timedelta(days=365))
        self.client, self.headers = client, bearer(token)

    def get(self, path: str, params: dict | None = None) -> dict:
        response = self.client.get(f"/api/v1{path}", params or {}, **self.headers)
        assert response.status_code == 200, response.content
        return response.json()

    def post(self, path: str, body: dict | None = None, status: int = 200, **headers: str) -> dict:
        response = self.client.post(
            f"/api/v1{path}", body or {}, content_type="application/json", **self.headers, **headers
        )
        assert response.status_code == status, response.content
        return response.json()

    def upload(self, name: str) -> str:
        file = SimpleUploadedFile(name, DEMO_PDF, "application/pdf")
        response = self.client.post("/api/v1/applications/uploads", {"file": file}, **self.headers)
        assert response.status_code == 201, response.content
        return response.json()["upload"]


def ready_task_id(caller: Caller, number: str, bpmn_id: str) -> int:
    tasks = caller.get(f"/applications/{number}")["tasks"]
    return next(task["id"] for task in tasks if task["bpmn_id"] == bpmn_id and task["state"] == "ready")


def api_review(caller: Caller, number: str, data: dict | None = None) -> None:
    task = ready_task_id(caller, number, "review")
    caller.post(f"/workbench/cases/{number}/tasks/{task}/complete", {"data": data or {}})


def api_approve(caller: Caller, number: str, reason: str, basis: str) -> dict:
    body = {"decision": "approve", "reason": reason, "legal_basis": basis}
    return caller.post(f"/workbench/cases/{number}/decide", body)


def test_the_house_transfer_bundle_end_to_end_through_the_api(world, on, client):
    seller = world["house_seller"]
    estate = seller_estate(seller)
    monday = quiet_week()
    tuesday, thursday = monday + dt.timedelta(days=1), monday + dt.timedelta(days=3)
    calendar = load_calendar()
    on(monday)
    me = Caller(client, seller, SELLER_SCOPES)
    staff = {name: Caller(client, world[name], STAFF_API_SCOPES) for name in STAFF if name != "house_seller"}
    situation, answers = house_answers(
        seller=seller, buyer=demo_buyer(excluded=[seller.id_number]), estate=estate
    )

    # given the one form as the seller's app shows it: prefilled from the account, materials from licenses
    form = me.get(
        f"/applications/forms/{HOUSE_BUNDLE}",
        {"situation": [f"{question}:{option}" for question, option in situation.items()]},
    )
    fields = {item["key"]: item for item in form["fields"]}
    assert form["kind"] == "bundle" and len(fields) == len(form["fields"])
    assert (
        fields["applicant_name"]["locked"]
        and fields["applicant_name"]["prefill"]["value"] == seller.full_name
    )
    plan = {item["key"]: item for item in form["materials"]}
    assert (
        plan["real_estate_cert"]["satisfied_by"] == "license" and not plan["real_estate_cert"]["needs_upload"]
    )
    assert plan["applicant_id_card"]["satisfied_by"] == "license" and plan["real_estate_cert"]["why"]
    assert plan["tax_payment_proof"]["satisfied_by"] == "shared_data"

    # when it submits once (the property's details left to the register), and again with the same key
    locked = {key: item["prefill"] for key, item in fields.items() if item["locked"]}
    data = {key: value for key, value in answers.items() if key not in locked}
    for key in ("property_address", "property_area", "property_use"):
        data.pop(key, None)
    body = {
        "bundle_code": HOUSE_BUNDLE,
        "applicant_kind": "person",
        "holder_code": seller.id_number,
        "situation": situation,
        "data": data,
        "prefilled": locked,
        "materials": {key: me.upload(f"{key}.pdf") for key, item in plan.items() if item["needs_upload"]},
    }
    first = me.post("/applications", body, status=201, HTTP_IDEMPOTENCY_KEY="api-house-1")
    second = me.post("/applications", body, status=200, HTTP_IDEMPOTENCY_KEY="api-house-1")
    assert second == first and first["query_code"]
    number = first["number"]
    assert Case.objects.filter(applicant=seller, parent__isnull=True).count() == 1

    # then the application shows the register's values with their source, and its four parts
    parent = me.get(f"/applications/{number}")
    assert parent["data"]["property_address"] == estate.address
    assert parent["prefilled"]["property_address"].startswith("数据共享：")  # the register, via the exchange
    materials_by_key = {item["key"]: item for item in parent["materials"]}
    assert materials_by_key["real_estate_cert"]["license_identifier"]
    parts = {part["name"]: part["number"] for part in parent["parts"]}
    assert len(parts) == 4 and len({part["department"] for part in parent["parts"]}) == 3
    by_code = {
        case.implementation.code: case.number
        for case in Case.objects.filter(parent__number=number).select_related("implementation")
    }

    # each department's queue holds its own parts only; the departments accept in parallel
    def queue(name: str) -> set[str]:
        return {task["case_number"] for task in staff[name].get("/workbench/tasks", {"limit": 100})["items"]}

    assert by_code[TAX_RETURN] in queue("swj_clerk") and by_code[TRANSFER] not in queue("swj_clerk")
    assert {by_code[TRANSFER], by_code[MORTGAGE]} <= queue("zrzy_clerk")
    staff["zrzy_clerk"].post(f"/workbench/cases/{by_code[TRANSFER]}/accept")
    staff["swj_clerk"].post(f"/workbench/cases/{by_code[TAX_RETURN]}/accept")
    staff["zjj_clerk"].post(f"/workbench/cases/{by_code[CONTRACT_FILING]}/accept")
    staff["zrzy_clerk"].post(f"/workbench/cases/{by_code[MORTGAGE]}/accept")
    promised = calendar.add_working_days(monday, Bundle.objects.get(code=HOUSE_BUNDLE).promised_limit_days)
    assert me.get(f"/applications/{number}")["clock"]["promised_due"] == promised.isoformat()

    # when the registration asks for a supplement on Tuesday, the one clock stops
    on(tuesday)
    item = {"kind": "material", "key": "real_estate_application", "problem": "申请书缺少买方签名"}
    staff["zrzy_clerk"].post(f"/workbench/cases/{by_code[TRANSFER]}/request-supplement", {"items": [item]})
    clock_view = me.get(f"/applications/{number}")["clock"]
    assert not clock_view["is_running"] and clock_view["stopped_by"]
    api_review(staff["zjj_approver"], by_code[CONTRACT_FILING])
    api_approve(staff["zjj_approver"], by_code[CONTRACT_FILING], "合同已网签备案", "《城市房地产管理法》")

    # and the seller's answer on Thursday restarts it two working days later than promised
    on(thursday)
    answer = {"materials": {"real_estate_application": me.upload("signed.pdf")}}
    assert me.post(f"/applications/{by_code[TRANSFER]}/supplements", answer)["status"] == "accepted"
    clock_view = me.get(f"/applications/{number}")["clock"]
    assert clock_view["is_running"]
    assert clock_view["promised_due"] == calendar.add_working_days(promised, 2).isoformat()
    assert [stop["kind"] for stop in clock_view["stops"]] == ["supplement"]

    # when the rest is decided, the transfer last
    valid_until = (monday + dt.timedelta(days=365)).isoformat()
    api_review(
        staff["swj_approver"],
        by_code[TAX_RETURN],
        {"result_surface": TAX_SURFACE, "result_valid_until": valid_until},
    )
    api_approve(staff["swj_approver"], by_code[TAX_RETURN], "税款已缴清", "《中华人民共和国契税法》")
    surface = {"matter": "抵押权", "obligor": seller.full_name, "location": estate.address}
    api_review(staff["zrzy_approver"], by_code[MORTGAGE], {"result_surface": surface})
    api_approve(staff["zrzy_approver"], by_code[MORTGAGE], "抵押合同有效", "《不动产登记暂行条例》")
    assert me.get(f"/applications/{number}")["closed_at"] is None
    surface = {
        "unit_number": estate.unit_number,
        "location": estate.address,
        "area": float(estate.area),
        "use": "住宅",
        "co_ownership": "单独所有",
    }
    api_review(staff["zrzy_approver"], by_code[TRANSFER], {"result_surface": surface})
    api_approve(staff["zrzy_approver"], by_code[TRANSFER], "符合转移登记条件", "《不动产登记暂行条例》")

    # then the parent is closed, approved, and each result is in the seller's wallet and verifies
    closed = me.get(f"/applications/{number}")
    assert closed["status"] == "approved" and closed["closed_at"]
    results = {code: me.get(f"/applications/{by_code[code]}")["result_license"] for code in by_code}
    assert results[CONTRACT_FILING] is None and all(
        results[code] for code in (TAX_RETURN, TRANSFER, MORTGAGE)
    )
    wallet = {item["identifier"]: item for item in me.get("/licenses/mine", {"limit": 100})["items"]}
    for code in (TAX_RETURN, TRANSFER, MORTGAGE):
        assert (results[code] in wallet) is (code != TRANSFER)  # the new 不动产权证书 is the buyer's
        verified = client.post(
            "/api/v1/licenses/verify", {"identifier": results[code]}, content_type="application/json"
        ).json()
        assert verified["is_valid"] and verified["signature_ok"]
    certificate = License.objects.get(identifier=results[TRANSFER])
    assert certificate.license_type.code == "REAL_ESTATE_CERT"
    assert certificate.holder_code == answers["buyer_id_number"] != seller.id_number
