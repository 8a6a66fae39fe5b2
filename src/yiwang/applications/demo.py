"""The applications' part of the demo (办件): the standard processes, the demo forms, the exchange grants the
accepting departments need for prefill, the result license types' issuers, and a few cases in different
states made through the real services. Idempotent: a second run changes nothing.

Runs after the accounts, the licenses and the exchange steps (the staff, the seller's 不动产权证书 and the
published register resources come from them).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.catalog.models import Bundle, Implementation
from yiwang.core.identifiers import credit_code_check_character
from yiwang.exchange.constants import EXCHANGE_SCOPE, Mask, RequestStatus
from yiwang.exchange.models import Grant, Resource
from yiwang.exchange.services import decide_request, request_resource
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import ClientProfile, StaffAssignment, User
from yiwang.licenses.models import LicenseType
from yiwang.regions.models import Department
from yiwang.registers.models import Person, RealEstate

from .constants import CaseStatus, MaterialSource, TaskState
from .models import ApplicationForm, Case, CaseTask
from .services import cases, materials, prefill
from .services.forms import bundle_form, load_demo_forms
from .services.processes import load_default_processes

HOUSE_BUNDLE = "second-hand-house-transfer"
NEWBORN_BUNDLE = "newborn-birth"
DEMO_BUNDLES = (HOUSE_BUNDLE, NEWBORN_BUNDLE)
PREFILL_PURPOSE = "网上申报预填与核验"
PREFILL_BASIS = "《国务院关于在线政务服务的若干规定》（国务院令第716号）第七条"
GRANT_DAYS = 365
# A scanned page standing in for each upload of the demo cases (a valid, tiny PDF).
DEMO_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" + b"%demo scan\n" * 8 + b"%%EOF\n"
SOCIAL_SECURITY_CARD = "512B0070200003-511602000000-000-1151130108778239R-1-00"  # 社会保障卡申领, 区人社局
MEDICAL_INSURANCE = "512036001003-511602000000-000-11511301MB15537661-1-00"  # 城乡居民参保登记, 区医疗保障局
CONTRACT_FILING = "000172011001-511602000000-000-11511301008778255F-1-00"  # 存量房网签备案, 区住建局
TAX_RETURN = "000172012001-511602000000-000-11511301MB1549994W-1-00"  # 交易税费申报, 税务局
TRANSFER = "00017200800201-511602000000-000-11511301MB1550442U-1-00"  # 转移登记, 自然资源和规划局
MORTGAGE = "000172008003-511602000000-000-11511301MB1550442U-1-00"  # 抵押登记, 自然资源和规划局
_BANK_BODY = "91511600MA62A0XX3"  # a synthetic lender of the buyer's loan (check character added below)
DEMO_BANK_CREDIT_CODE = _BANK_BODY + credit_code_check_character(_BANK_BODY)


# --- exchange grants for prefill ---------------------------------------------------------------------


@dataclass
class _Need:
    """What one consumer department must be granted of one resource: items (in full) and item codes."""

    items: set[str] = field(default_factory=set)
    item_codes: set[str] = field(default_factory=set)


def _needs() -> dict[tuple[int, str], _Need]:
    """(department, resource) → the items the active forms of its implementations prefill or share."""
    needs: dict[tuple[int, str], _Need] = defaultdict(_Need)
    active = ApplicationForm.objects.filter(status="active").select_related("implementation__item")
    for form in active.order_by("pk"):
        implementation = form.implementation
        for resource_code, items in prefill.grants_needed(form.schema).items():
            need = needs[(implementation.department_id, resource_code)]
            need.items |= set(items)
            need.item_codes.add(implementation.item.code)
    return needs


def _data_admin(department: Department) -> User:
    """The department's data administrator, or one that only files the demo's requests (no password)."""
    assignment = (
        StaffAssignment.objects.filter(department=department, role=StaffRole.DATA_ADMIN)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if assignment is not None:
        return assignment.user
    user, created = User.objects.get_or_create(
        username=f"intake_data_{department.credit_code.lower()}",
        defaults={"surname": "数据", "given_name": "管理员", "is_staff_member": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    StaffAssignment.objects.get_or_create(
        user=user, department=department, role=StaffRole.DATA_ADMIN, defaults={"region": department.region}
    )
    return user


def _intake_system(department: Department) -> Application:
    """The department's online application system (网上申报系统), the consumer of its prefill reads."""
    client_id = f"demo-intake-{department.credit_code.lower()}"
    system = Application.objects.filter(client_id=client_id).first()
    if system is None:
        system = Application.objects.create(
            client_id=client_id,
            client_secret=secrets.token_urlsafe(32),  # never used: the platform reads on its behalf
            name=f"{department.short_name or department.name}网上申报系统",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            algorithm=Application.RS256_ALGORITHM,
        )
    ClientProfile.objects.update_or_create(
        application=system, defaults={"department": department, "allowed_scopes": EXCHANGE_SCOPE}
    )
    return system


def _covered(department: Department, resource: Resource, need: _Need) -> bool:
    today = timezone.localdate()
    grants = Grant.objects.filter(
        consumer=department, resource=resource, revoked_at__isnull=True, ends_on__gt=today
    )
    for grant in grants:
        full = {code for code, mask in grant.masks.items() if mask == Mask.FULL}
        if need.items <= full and need.item_codes <= set(grant.service_item_codes):
            return True
    return False


def _grant(department: Department, resource: Resource, need: _Need) -> bool:
    """Request the items for the department's system and have the provider decide; whether granted."""
    if _covered(department, resource, need):
        return False
    provider_admin = (
        StaffAssignment.objects.filter(department=resource.provider, role=StaffRole.DATA_ADMIN)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if provider_admin is None:
        return False  # nobody could decide it: the form's prefill falls back to the applicant
    share = request_resource(
        actor=_data_admin(department),
        resource=resource,
        consumer=department,
        system=_intake_system(department),
        purpose=PREFILL_PURPOSE,
        service_item_codes=sorted(need.item_codes),
        legal_basis=PREFILL_BASIS,
        item_codes=sorted(need.items),
        full_items=sorted(need.items),
        ends_on=timezone.localdate() + dt.timedelta(days=GRANT_DAYS),
    )
    if share.status == RequestStatus.PENDING:
        share = decide_request(actor=provider_admin.user, request_id=share.pk, approve=True)
    return share.status == RequestStatus.GRANTED


def grant_prefill_sources() -> int:
    """The exchange grants every demo form's prefill and shared materials need; returns the new ones."""
    resources = {resource.code: resource for resource in Resource.objects.select_related("provider")}
    departments = Department.objects.in_bulk({department for department, _code in _needs()})
    granted = 0
    for (department_id, code), need in sorted(_needs().items()):
        if code in resources:
            granted += _grant(departments[department_id], resources[code], need)
    return granted


# --- result license types -----------------------------------------------------------------------------


def register_result_issuers() -> int:
    """Each demo implementation's department may sign its result license type; returns the types touched."""
    touched = 0
    implementations = Implementation.objects.filter(
        pk__in=ApplicationForm.objects.filter(status="active").values("implementation")
    ).exclude(result_license_type="")
    for implementation in implementations.select_related("department"):
        license_type = LicenseType.objects.filter(code=implementation.result_license_type).first()
        if license_type is None:
            continue
        if not license_type.issuing_departments.filter(pk=implementation.department_id).exists():
            license_type.issuing_departments.add(implementation.department)
            touched += 1
    return touched


def prepare_applications() -> str:
    """Processes, forms, prefill grants and result issuers: what online applications need to run."""
    processes = load_default_processes()
    forms = load_demo_forms()
    grants = grant_prefill_sources()
    issuers = register_result_issuers()
    return f"{len(processes)} processes, {forms} new forms, {grants} new grants, {issuers} result issuers"


# --- demo cases ---------------------------------------------------------------------------------------


def demo_upload(name: str) -> Any:
    return materials.store_upload(uploaded_file=SimpleUploadedFile(name, DEMO_PDF, "application/pdf"))


def uploads_for(
    *, implementations: Iterable[Implementation], situation: dict[str, str], actor: User, holder_code: str
) -> dict[str, Any]:
    """A scan for each material the plan still asks to upload (licenses, the vault and shared data cover
    the rest)."""
    plan = materials.plan(
        implementations=list(implementations), situation=situation, actor=actor, holder_code=holder_code
    )
    return {
        item.key: demo_upload(f"{item.key}.pdf")
        for item in plan
        if item.satisfied_by == MaterialSource.UPLOAD
    }


def staff(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def ready_task(case: Case, bpmn_id: str) -> CaseTask:
    return CaseTask.objects.get(case=case, bpmn_id=bpmn_id, state=TaskState.READY)


def _submit_single(
    actor: User, code: str, situation: dict[str, str], data: dict[str, Any], key: str
) -> Case | None:
    implementation = Implementation.objects.filter(code=code).first()
    if implementation is None:
        return None
    existing = Case.objects.filter(applicant=actor, idempotency_key=key).first()
    if existing is not None:
        return existing
    case, _created = cases.submit(
        actor=actor,
        implementation=implementation,
        applicant_kind="person",
        holder_code=actor.id_number or "",
        situation=situation,
        data=data,
        prefilled_claims={},
        uploads=uploads_for(
            implementations=[implementation],
            situation=situation,
            actor=actor,
            holder_code=actor.id_number or "",
        ),
        idempotency_key=key,
    )
    return case


def _applicant(user: User) -> dict[str, str]:
    return {
        "applicant_name": user.full_name,
        "applicant_id_number": user.id_number or "",
        "applicant_phone": user.phone,
    }


def _supplement_case(citizen: User) -> str:
    """citizen_l3 applied for a social security card; the clerk asks for a new photo and a mail address."""
    situation = {"applicant": "self", "age": "adult", "card_method": "mail", "photo": "on_file"}
    data = {**_applicant(citizen), "mail_address": "四川省广安市广安区渠江北路88号", "truth_commitment": True}
    case = _submit_single(citizen, SOCIAL_SECURITY_CARD, situation, data, "demo-supplement-ss-card")
    clerk = staff("rsj_clerk")
    if case is None or clerk is None:
        return ""
    if case.status == CaseStatus.SUBMITTED:
        case = cases.accept(actor=clerk, case=case)
    if case.status == CaseStatus.ACCEPTED and not case.supplements.exists():
        cases.request_supplement(
            actor=clerk,
            case=case,
            items=[
                {"kind": "field", "key": "mail_address", "problem": "邮寄地址缺少楼栋和门牌号，请补充完整"},
                {"kind": "material", "key": "id_photo", "problem": "证件照片背景不是白色，请重新上传"},
            ],
            note="补正后恢复计时",
        )
    return case.number


def _approved_case(citizen: User) -> str:
    """citizen_l4 enrolled in the residents' medical insurance: accepted, approved, its license issued."""
    situation = {"person_type": "adult", "hukou": "local", "assisted": "no"}
    data = {
        **_applicant(citizen),
        "insured_name": citizen.full_name,
        "insured_id_number": citizen.id_number,
        "contribution_year": timezone.localdate().year + 1,
        "truth_commitment": True,
    }
    case = _submit_single(citizen, MEDICAL_INSURANCE, situation, data, "demo-approved-medical-insurance")
    clerk, approver = staff("ybj_clerk"), staff("ybj_approver")
    if case is None or clerk is None or approver is None:
        return ""
    if case.status == CaseStatus.SUBMITTED:
        case = cases.accept(actor=clerk, case=case)
    if case.status == CaseStatus.ACCEPTED:
        surface = {"insured_region": "四川省广安市广安区", "insurance_type": "城乡居民基本医疗保险"}
        case = cases.complete_task(
            actor=approver, case=case, task=ready_task(case, "review"), data={"result_surface": surface}
        )
        cases.decide(
            actor=approver,
            case=case,
            decision="approve",
            reason="符合城乡居民基本医疗保险参保条件",
            legal_basis="《中华人民共和国社会保险法》第二十五条",
        )
    return case.number


# --- the house bundle ---------------------------------------------------------------------------------


HOUSE_SITUATION = {  # a first-home sale, held 5 years, loan-financed, no co-owners
    "applicant": "self",
    "supervision": "no",
    "seller_married": "no",
    "register": "registered",
    "buyer_homes": "first",
    "held_two_years": "yes",
    "five_year_only_home": "yes",
    "house_type": "residential",
    "mortgaged": "no",
    "buyer_loan": "yes",
    "co_owners": "single",
    "co_owned": "no",
    "small_business": "no",
}


def house_answers(
    *, seller: User, buyer: Person, estate: RealEstate
) -> tuple[dict[str, str], dict[str, Any]]:
    """The situation and the one form's answers of a seller applying for the 二手房转移登记 bundle
    (the property's address, area and use are left to prefill from the real estate register)."""
    situation = dict(HOUSE_SITUATION)
    today = timezone.localdate()
    data = {
        **_applicant(seller),
        "applicant_role": "seller",
        "seller_name": seller.full_name,
        "seller_id_number": seller.id_number,
        "seller_phone": seller.phone,
        "buyer_name": buyer.name,
        "buyer_id_number": buyer.id_number,
        "buyer_phone": buyer.phone,
        "property_certificate_number": estate.certificate_number,
        "contract_price": 680000,
        "contract_signed_on": (today - dt.timedelta(days=3)).isoformat(),
        "payment_method": "loan",
        "seller_purchase_price": 420000,
        "seller_purchase_date": estate.registered_on.isoformat(),
        "buyer_ownership": "joint",
        "mortgagee_name": "中国建设银行股份有限公司广安分行",
        "mortgagee_credit_code": DEMO_BANK_CREDIT_CODE,
        "loan_amount": 400000,
        "loan_start_on": today.isoformat(),
        "loan_end_on": today.replace(year=today.year + 20).isoformat(),
        "mortgage_kind": "general",
        "certificate_delivery": "window",
        "truth_commitment": True,
    }
    return situation, data


def seller_estate(seller: User) -> RealEstate | None:
    return (
        RealEstate.objects.filter(owners__owner_id_number=seller.id_number)
        .order_by("certificate_number")
        .first()
    )


def demo_buyer(*, excluded: Iterable[str]) -> Person | None:
    """An adult of 广安区 from the population register who has no demo account (the buyer of the house)."""
    taken = set(excluded) | set(User.objects.exclude(id_number="").values_list("id_number", flat=True))
    people = Person.objects.filter(
        region__code__startswith="511602", birth_date__lte=dt.date(2000, 1, 1), is_deceased=False
    ).exclude(phone="")
    return next((person for person in people.order_by("-pk")[:50] if person.id_number not in taken), None)


def submit_house_bundle(*, seller: User, key: str, buyer: Person | None = None) -> tuple[Case, bool]:
    """The seller applies once for the 二手房转移登记 bundle: the one form prefilled (the account, the real
    estate register through the exchange), materials from the licenses where the seller holds them."""
    bundle = Bundle.objects.select_related("lead_department").get(code=HOUSE_BUNDLE)
    estate = seller_estate(seller)
    buyer = buyer or demo_buyer(excluded=[seller.id_number or ""])
    if estate is None or buyer is None:
        raise LookupError("二手房演示需要单独持有不动产的卖方和一名买方（先生成基础库和演示账号）")
    situation, data = house_answers(seller=seller, buyer=buyer, estate=estate)
    claims = prefill.prefill(
        schema=bundle_form(bundle=bundle),
        actor=seller,
        holder_code=seller.id_number or "",
        applicant_kind="person",
        department=bundle.lead_department,
        purpose=prefill.PrefillPurpose(reference=key),
        data=data,
    )
    data.update({field_key: entry["value"] for field_key, entry in claims.items()})
    parts = [item.implementation for item in bundle.bundle_items.order_by("order", "pk")]
    return cases.submit(
        actor=seller,
        bundle=bundle,
        applicant_kind="person",
        holder_code=seller.id_number or "",
        situation=situation,
        data=data,
        prefilled_claims=claims,
        uploads=uploads_for(
            implementations=parts, situation=situation, actor=seller, holder_code=seller.id_number or ""
        ),
        idempotency_key=key,
    )


def _house_in_progress(seller: User) -> str:
    """house_seller's bundle: accepted at the one window, the contract filing approved by 区住建局, the tax
    return accepted by the tax bureau, the registrations still waiting."""
    key = "demo-house-bundle"
    parent = Case.objects.filter(applicant=seller, idempotency_key=key).first()
    if parent is None:
        parent, _created = submit_house_bundle(seller=seller, key=key)
    window, clerk, approver, tax_clerk = (
        staff("zrzy_clerk"),
        staff("zjj_clerk"),
        staff("zjj_approver"),
        staff("swj_clerk"),
    )
    if None in (window, clerk, approver, tax_clerk):
        return parent.number
    if parent.status == CaseStatus.SUBMITTED:
        cases.accept(actor=window, case=parent)
    parts = {
        part.implementation.code: part
        for part in parent.children.select_related("implementation")
        if part.implementation is not None
    }
    contract = parts[CONTRACT_FILING]
    if contract.status == CaseStatus.SUBMITTED:
        contract = cases.accept(actor=clerk, case=contract)
    if contract.status == CaseStatus.ACCEPTED:
        contract = cases.complete_task(
            actor=approver, case=contract, task=ready_task(contract, "review"), data={}
        )
        cases.decide(
            actor=approver,
            case=contract,
            decision="approve",
            reason="买卖双方信息与不动产登记一致，合同已网签备案",
            legal_basis="《城市房地产管理法》第四十五条；《商品房销售管理办法》",
        )
    tax = parts[TAX_RETURN]
    if tax.status == CaseStatus.SUBMITTED:
        cases.accept(actor=tax_clerk, case=tax)
    return parent.number


def create_demo_cases() -> list[str]:
    """A case waiting for a supplement, an approved one with its license, a bundle in progress."""
    numbers = []
    makers = (
        ("citizen_l3", _supplement_case),
        ("citizen_l4", _approved_case),
        ("house_seller", _house_in_progress),
    )
    for username, make in makers:
        citizen = User.objects.filter(username=username).first()
        if citizen is not None:
            numbers.append(make(citizen))
    return [number for number in numbers if number]


@transaction.atomic
def load_demo_applications() -> str:
    """The demo step 办件: what applications need, then the demo cases; idempotent."""
    prepared = prepare_applications()
    numbers = create_demo_cases()
    return f"{prepared}; demo cases {', '.join(numbers) or 'none'}"
