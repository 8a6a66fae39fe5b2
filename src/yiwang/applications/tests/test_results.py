"""Results of a decision: the signed result license in the holder's wallet, the decision documents, the
rights a refusal states (with their last days), delivery and escalation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.applications.constants import (
    CASE_ESCALATED,
    CASE_RESULT_ISSUED,
    AuditAction,
    CaseStatus,
    Decision,
    MaterialSource,
    TrustLevel,
)
from yiwang.applications.models import ApplicationForm, CaseEvent, CaseMaterial
from yiwang.applications.services import results
from yiwang.applications.workflow.handlers import call_handler, has_handler
from yiwang.audit.models import AuditEntry
from yiwang.catalog.constants import ItemType
from yiwang.catalog.tests.factories import DepartmentFactory, ImplementationFactory
from yiwang.core.errors import Conflict, InvalidInput
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory
from yiwang.licenses.constants import LicenseStatus
from yiwang.licenses.models import License, LicenseType
from yiwang.licenses.selectors import list_licenses_for_actor, verify_license_identifier
from yiwang.licenses.services import load_license_type_catalog
from yiwang.licenses.tests.factories import make_license
from yiwang.notifications.models import Notice, OutboxEvent

from .factories import CaseFactory
from .pdf_text import pdf_text

pytestmark = pytest.mark.django_db

HOUSE = {"unit_number": "511602001001GB00001F00010001", "location": "广安区渠江北路88号1栋1单元101室"}
HOUSE |= {"area": "89.5", "use": "住宅", "co_ownership": "单独所有"}


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def license_types():
    load_license_type_catalog()


def decided_case(*, decision=Decision.APPROVE, decided_on=dt.date(2026, 4, 1), **overrides):
    """An accepted case of an item whose result is a 不动产权证书, decided by an approver."""
    implementation = overrides.pop("implementation", None) or ImplementationFactory(
        result_license_type="REAL_ESTATE_CERT",
        result_name="不动产权证书",
        item__legal_basis="《不动产登记暂行条例》第十四条",
    )
    approver = StaffAssignmentFactory(department=implementation.department, role=StaffRole.APPROVER).user
    decided_at = timezone.make_aware(dt.datetime.combine(decided_on, dt.time(10, 0)))
    arguments = {
        "implementation": implementation,
        "status": CaseStatus.ACCEPTED,
        "submitted_at": decided_at - dt.timedelta(days=4),
        "accepted_at": decided_at - dt.timedelta(days=3),
        "data": dict(HOUSE),
        "decision": decision,
        "decided_by": approver,
        "decided_at": decided_at,
    }
    return CaseFactory(**(arguments | overrides))


def document_text(case) -> str:
    with case.decision_document.open("rb") as document:
        return pdf_text(document.read()).replace("\n", "")


# --- approval ---------------------------------------------------------------------------------------


def test_the_four_result_handlers_are_registered():
    assert all(has_handler(name) for name in ("issue_result", "notify_refusal", "deliver_result", "escalate"))


def test_approval_issues_a_verifiable_signed_license_into_the_holders_wallet(license_types):
    # given an approved case whose department may issue 不动产权证书
    case = decided_case()
    # when the workflow's service task runs
    returned = call_handler("issue_result", case, {"decision": "approve"})
    # then a license signed by the department's key is in the holder's wallet and verifies
    license = License.objects.get(identifier=returned["result_license"])
    assert case.result_license == license
    assert license.license_type.code == "REAL_ESTATE_CERT"
    assert license.issuer == case.department and license.signing_key.department == case.department
    assert (license.holder_code, license.holder_name) == (case.holder_code, case.holder_name)
    assert license.issued_on == dt.date(2026, 4, 1)
    assert license.surface == {
        "name": case.holder_name,
        "id_number": case.holder_code,
        "certificate_number": case.number,
        "unit_number": HOUSE["unit_number"],
        "location": HOUSE["location"],
        "area": 89.5,
        "use": "住宅",
        "co_ownership": "单独所有",
    }
    verification = verify_license_identifier(identifier=license.identifier)
    assert verification.is_valid and verification.signature_ok, verification.problems
    assert license in list_licenses_for_actor(actor=case.applicant)
    # and the decision is written, stored, audited and announced
    case.refresh_from_db()
    assert case.result_license_id == license.pk
    text = document_text(case)
    assert "准予行政许可决定书" in text and license.identifier in text and case.number in text
    assert "《不动产登记暂行条例》第十四条" in text
    assert AuditEntry.objects.filter(action=AuditAction.RESULT_ISSUED, object_id=str(case.pk)).exists()
    assert OutboxEvent.objects.filter(topic=CASE_RESULT_ISSUED, payload__license=license.identifier).exists()
    assert CaseEvent.objects.filter(case=case, kind=CASE_RESULT_ISSUED, is_public=True).exists()


def test_issuing_twice_issues_one_license(license_types):
    case = decided_case()
    first = results.issue_result(case=case)
    assert results.issue_result(case=case) == first
    assert License.objects.filter(holder_code=case.holder_code).count() == 1


def test_the_approvers_surface_entries_win_over_the_form(license_types):
    case = decided_case()
    license = results.issue_result(
        case=case, data={"result_surface": {"certificate_number": "川(2026)广安区不动产权第0000123号"}}
    )
    assert license.surface["certificate_number"] == "川(2026)广安区不动产权第0000123号"


def test_a_department_that_may_not_issue_the_type_gets_a_clear_error_and_nothing_is_issued(license_types):
    # given the type is issued only by another department
    LicenseType.objects.get(code="REAL_ESTATE_CERT").issuing_departments.add(DepartmentFactory())
    case = decided_case()
    # when / then
    with pytest.raises(Conflict) as raised:
        results.issue_result(case=case)
    assert raised.value.code == "result_issuer_not_allowed"
    assert case.department.name in raised.value.message and "不动产权证书" in raised.value.message
    assert not License.objects.exists() and not case.decision_document


def test_missing_surface_fields_are_named(license_types):
    case = decided_case(data={"location": "广安区渠江北路88号"})
    with pytest.raises(InvalidInput) as raised:
        results.issue_result(case=case)
    assert raised.value.code == "result_surface_incomplete"
    assert "unit_number" in raised.value.message and "area" in raised.value.message
    assert not License.objects.exists()


def test_a_result_without_license_type_gets_the_decision_document_only():
    implementation = ImplementationFactory(
        result_name="存量房买卖合同网签备案证明", item__item_type=ItemType.CONFIRMATION
    )
    case = decided_case(implementation=implementation)
    assert results.issue_result(case=case) is None
    text = document_text(case)
    assert "准予办理决定书" in text and "存量房买卖合同网签备案证明" in text


# --- refusal ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decided_on", "reconsideration_until", "litigation_until"),
    [
        # 60 days end on Sunday 31 May → Monday; 6 months end on 1 October (National Day) → 8 October
        (dt.date(2026, 4, 1), dt.date(2026, 6, 1), dt.date(2026, 10, 8)),
        # 60 days end in the Spring Festival holiday (15 February 2026) → 24 February
        (dt.date(2025, 12, 17), dt.date(2026, 2, 24), dt.date(2026, 6, 17)),
        # no 31 February: the month's last day, a Saturday worked in lieu (调休) and so a working day
        (dt.date(2025, 8, 31), dt.date(2025, 10, 30), dt.date(2026, 2, 28)),
        # 60 days end on 1 October 2026 → 8 October
        (dt.date(2026, 8, 2), dt.date(2026, 10, 8), dt.date(2027, 2, 2)),
    ],
)
def test_rights_last_days(decided_on, reconsideration_until, litigation_until):
    rights = results.rights_of_remedy(decided_on=decided_on)
    assert (rights.reconsideration_until, rights.litigation_until) == (
        reconsideration_until,
        litigation_until,
    )


def test_refusal_document_states_reasons_basis_and_rights_with_their_last_days():
    # given a refused case
    case = decided_case(
        decision=Decision.REFUSE,
        decided_on=dt.date(2026, 4, 1),
        decision_reason="申请登记的房屋存在查封登记，不符合转移登记条件",
        decision_basis="《不动产登记暂行条例》第二十二条第（三）项",
    )
    # when
    returned = call_handler("notify_refusal", case, {"decision": "refuse"})
    # then the document states why, on what basis, and the remedies with their last days
    assert returned == {"reconsideration_until": "2026-06-01", "litigation_until": "2026-10-08"}
    case.refresh_from_db()
    text = document_text(case)
    assert "不予行政许可决定书" in text
    assert "理由：申请登记的房屋存在查封登记，不符合转移登记条件" in text
    assert "依据：《不动产登记暂行条例》第二十二条第（三）项" in text
    assert "六十日内（最后一日为2026年6月1日）" in text and "《中华人民共和国行政复议法》第二十条" in text
    assert "六个月内（最后一日为2026年10月8日）" in text and "《中华人民共和国行政诉讼法》第四十六条" in text
    assert "2026年4月1日" in text
    # and the applicant is told
    assert Notice.objects.filter(recipient=case.applicant, title__contains=case.number).exists()
    assert AuditEntry.objects.filter(action=AuditAction.REFUSAL_NOTIFIED, object_id=str(case.pk)).exists()


def test_refusal_without_reason_is_refused():
    case = decided_case(decision=Decision.REFUSE, decision_reason="")
    with pytest.raises(InvalidInput) as raised:
        results.notify_refusal(case=case)
    assert raised.value.code == "refusal_reason_required"


# --- delivery and escalation ------------------------------------------------------------------------


def test_delivery_is_on_the_timeline_and_told_to_the_applicant(license_types):
    case = decided_case()
    results.issue_result(case=case)
    assert call_handler("deliver_result", case, {}) == {"delivered_by": "electronic"}
    event = CaseEvent.objects.filter(case=case, kind="case.result_delivered").get()
    assert event.is_public and "电子送达" in event.text and "电子证照" in event.text
    assert Notice.objects.filter(recipient=case.applicant, title=f"办件 {case.number} 已办结").exists()


def test_escalation_alerts_the_departments_supervisors_and_leaves_the_case_open():
    # given an open case past its promised date, two supervisors of its department and one elsewhere
    case = CaseFactory(status=CaseStatus.ACCEPTED, promised_due=dt.date(2026, 3, 9))
    supervisors = [
        StaffAssignmentFactory(department=case.department, role=StaffRole.SUPERVISOR).user for _ in range(2)
    ]
    StaffAssignmentFactory(role=StaffRole.SUPERVISOR)
    # when the deadline timer's handler runs
    assert call_handler("escalate", case, {"timer": "promised_due"}) == {"escalated": 2}
    # then each supervisor has a notice, staff see it on the timeline, the case stays open
    notices = Notice.objects.filter(title__contains=case.number)
    assert sorted(notice.recipient_id for notice in notices) == sorted(user.pk for user in supervisors)
    assert CaseEvent.objects.filter(case=case, kind=CASE_ESCALATED, is_public=False).exists()
    assert AuditEntry.objects.filter(action=AuditAction.CASE_ESCALATED, object_id=str(case.pk)).exists()
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.closed_at is None


def test_escalation_without_supervisors_alerts_the_department():
    case = CaseFactory(status=CaseStatus.ACCEPTED)
    assert results.escalate(case=case) == 1
    notice = Notice.objects.get(title__contains=case.number)
    assert notice.recipient is None and notice.department == case.department


def test_a_forms_result_field_fills_the_surface(license_types):
    # given a form whose address, area and use answers are the result's 坐落, 面积 and 用途
    implementation = ImplementationFactory(result_license_type="REAL_ESTATE_CERT")
    fields = [
        {"key": "property_address", "type": "address", "result_field": "location"},
        {"key": "property_area", "type": "number", "result_field": "area"},
        {"key": "property_use", "type": "text", "result_field": "use"},
    ]
    form = ApplicationForm.objects.create(
        implementation=implementation,
        version=1,
        title="转移登记申请表",
        schema={"sections": [{"fields": fields}]},
    )
    answers = {"property_address": "广安区渠江北路88号", "property_area": 120, "property_use": "住宅"}
    answers |= {"unit_number": HOUSE["unit_number"], "co_ownership": "共同共有"}
    case = decided_case(implementation=implementation, form=form, data=answers)
    # when
    license = results.issue_result(case=case)
    # then
    assert (license.surface["location"], license.surface["area"], license.surface["use"]) == (
        "广安区渠江北路88号",
        120,
        "住宅",
    )


def _buyer_form(implementation, code_type: str = "id_number") -> ApplicationForm:
    """A 转移登记 form whose result goes to the buyer its answers name."""
    fields = [{"key": "buyer_name", "type": "text"}, {"key": "buyer_code", "type": code_type}]
    return ApplicationForm.objects.create(
        implementation=implementation,
        version=1,
        title="转移登记申请表",
        schema={
            "sections": [{"fields": fields}],
            "result_holder": {"code": "buyer_code", "name": "buyer_name"},
        },
    )


def test_a_form_may_issue_the_result_to_the_party_it_names_not_the_applicant(license_types):
    # given the seller's transfer, whose form names the buyer as the result's holder
    implementation = ImplementationFactory(result_license_type="REAL_ESTATE_CERT")
    buyer = {"buyer_name": "谭峰", "buyer_code": "511602194701180011"}
    case = decided_case(implementation=implementation, form=_buyer_form(implementation), data=HOUSE | buyer)
    # when
    license = results.issue_result(case=case)
    # then the new 不动产权证书 is the buyer's, surface included, and not in the seller's wallet
    assert (license.holder_code, license.holder_name) == ("511602194701180011", "谭峰")
    assert (license.surface["name"], license.surface["id_number"]) == ("谭峰", "511602194701180011")
    assert license not in list_licenses_for_actor(actor=case.applicant)
    assert verify_license_identifier(identifier=license.identifier).is_valid
    event = CaseEvent.objects.get(case=case, kind=CASE_RESULT_ISSUED)
    assert "已签发至权利人谭峰的电子证照夹" in event.text


def test_without_the_named_partys_answers_the_result_goes_to_the_cases_holder(license_types):
    implementation = ImplementationFactory(result_license_type="REAL_ESTATE_CERT")
    case = decided_case(implementation=implementation, form=_buyer_form(implementation), data=dict(HOUSE))
    license = results.issue_result(case=case)
    assert (license.holder_code, license.holder_name) == (case.holder_code, case.holder_name)


def test_a_named_holder_of_the_wrong_kind_is_refused_and_nothing_is_issued(license_types):
    # given a person's license type, but the form names an enterprise (a credit code) as its holder
    implementation = ImplementationFactory(result_license_type="REAL_ESTATE_CERT")
    bank = {"buyer_name": "中国建设银行股份有限公司广安分行", "buyer_code": "91511600MA62A0XX3N"}
    form = _buyer_form(implementation, code_type="credit_code")
    case = decided_case(implementation=implementation, form=form, data=HOUSE | bank)
    # when / then
    with pytest.raises(Conflict) as raised:
        results.issue_result(case=case)
    assert raised.value.code == "result_holder_kind_mismatch"
    assert "表单所填的结果持证人（法人）" in raised.value.message
    assert not License.objects.exists() and not case.decision_document


def test_the_result_cancels_the_license_it_replaces_and_flags_only_other_cases(license_types):
    # given the seller's transfer, proven by their 不动产权证书, which another open case also relies on
    implementation = ImplementationFactory(result_license_type="REAL_ESTATE_CERT")
    form = _buyer_form(implementation)
    form.schema["result_supersedes"] = "deed"
    form.save()
    buyer = {"buyer_name": "谭峰", "buyer_code": "511602194701180011"}
    case = decided_case(implementation=implementation, form=form, data=HOUSE | buyer)
    deed = LicenseType.objects.get(code="REAL_ESTATE_CERT")
    deed.issuing_departments.add(case.department)
    surface = {"name": case.holder_name, "id_number": case.holder_code, "certificate_number": "川(2016)第1号"}
    old = make_license(
        holder=case.applicant,
        issuer=case.department,
        license_type=deed,
        surface=surface | HOUSE | {"area": 89.5},
    )
    other = CaseFactory(applicant=case.applicant)
    for holder_case in (case, other):
        CaseMaterial.objects.create(
            case=holder_case,
            key="deed",
            name="不动产权证书",
            source=MaterialSource.LICENSE,
            trust=TrustLevel.SIGNED,
            license=old,
        )
    # when the buyer's certificate is issued
    new = results.issue_result(case=case)
    # then the seller's is cancelled for it, the seller is told, and only the other case is flagged
    old.refresh_from_db()
    assert old.status == LicenseStatus.REVOKED
    assert old.status_changes.get(to_status=LicenseStatus.REVOKED).reason == (
        f"已由办件 {case.number} 的办理结果 {new.identifier} 替代"
    )
    told = Notice.objects.get(recipient=case.applicant, title__contains="注销或吊销")
    assert f"原因：已由办件 {case.number} 的办理结果 {new.identifier} 替代" in told.body
    text = CaseEvent.objects.get(case=case, kind=CASE_RESULT_ISSUED).text
    assert f"原“不动产权证书”（证照标识 {old.identifier}）已注销" in text
    case.refresh_from_db()
    other.refresh_from_db()
    assert case.flagged_reason == "" and old.identifier in other.flagged_reason
