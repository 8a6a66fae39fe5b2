"""一件事: the second-hand house transfer fans out to its departments; the parent's one clock and critical
path; the parent closes only when every part has, and explains a part that was refused."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from yiwang.applications.constants import (
    CASE_CLOSED,
    CASE_SUBMITTED,
    AuditAction,
    CaseStatus,
    Decision,
    MaterialSource,
    TaskState,
    TrustLevel,
)
from yiwang.applications.models import Case, CaseEvent, CaseMaterial, CaseTask
from yiwang.applications.services import bundles, clock, runtime
from yiwang.applications.services.forms import load_demo_forms
from yiwang.applications.services.numbers import is_valid_case_number
from yiwang.applications.services.processes import load_default_processes
from yiwang.audit.models import AuditEntry
from yiwang.catalog.models import Bundle
from yiwang.catalog.tests.factories import BundleFactory, ImplementationFactory
from yiwang.conftest import built_once
from yiwang.core.errors import Conflict
from yiwang.core.workdays import add_working_days
from yiwang.notifications.models import OutboxEvent

from .factories import CaseFactory
from .forms_world import load_demo_catalog

pytestmark = pytest.mark.django_db

CONTRACT = "000172011001-511602000000-000-11511301008778255F-1-00"  # 网签备案, 住建局
TAX = "000172012001-511602000000-000-11511301MB1549994W-1-00"  # 税费申报, 税务局
TRANSFER = "00017200800201-511602000000-000-11511301MB1550442U-1-00"  # 转移登记, 自然资源和规划局
MORTGAGE = "000172008003-511602000000-000-11511301MB1550442U-1-00"  # 抵押登记, 自然资源和规划局

# The one form's answers (a few of each part's fields, and one no part's form asks).
ANSWERS = {
    "applicant_name": "张测一",
    "property_address": "广安区渠江北路88号1栋1单元101室",
    "contract_signed_on": "2026-03-01",  # the contract filing's only
    "seller_purchase_price": 420000,  # the tax return's only
    "buyer_ownership": "single",  # the transfer's only
    "loan_amount": 300000,  # the mortgage's only
    "not_a_field": "kept out of every part",
}


@dataclass
class House:
    parent: Case
    parts: dict[str, Case]  # by implementation code


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _material(case: Case, key: str, name: str, source: str = MaterialSource.UPLOAD) -> CaseMaterial:
    row = CaseMaterial(case=case, key=key, name=name, source=source, trust=TrustLevel.DECLARED)
    if source == MaterialSource.UPLOAD:
        row.file = default_storage.save(
            f"applications/materials/{key}.pdf", ContentFile(b"%PDF-1.4 " + key.encode())
        )
        row.sha256, row.size = "0" * 64, 16
    row.save()
    return row


def _load_demo_catalog() -> None:
    load_demo_catalog()
    load_demo_forms()
    load_default_processes()


@pytest.fixture(scope="module")
def _demo_catalog(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, _load_demo_catalog):
        yield


@pytest.fixture
def catalog(_demo_catalog, db) -> None:
    """The demo catalog, forms and processes, loaded once for this module (most of a test's time when
    each loaded them); what a test writes is rolled back at its end, the catalog at the module's."""


def submitted_parent(*, load: bool = True) -> Case:
    """A submitted 二手房转移登记 application: the one form's answers and one set of materials (``load``:
    the demo catalog first, unless the ``catalog`` fixture has)."""
    if load:
        _load_demo_catalog()
    bundle = Bundle.objects.select_related("lead_department", "region").get(code="second-hand-house-transfer")
    parent = CaseFactory(
        implementation=None,
        bundle=bundle,
        department=bundle.lead_department,
        region=bundle.region,
        data=dict(ANSWERS),
        prefilled={"applicant_name": {"source": "account"}, "not_a_field": {"source": "x"}},
    )
    _material(parent, "applicant_id_card", "买卖双方居民身份证", MaterialSource.LICENSE)
    _material(parent, "house_sale_contract", "存量房买卖合同")
    _material(parent, "tax_source_form", "《财产和行为税税源明细表》")
    _material(parent, "mortgage_contract", "主债权合同及抵押合同")
    return parent


@pytest.fixture
def house(catalog) -> House:
    parent = submitted_parent(load=False)
    children = bundles.fan_out(parent=parent)
    return House(parent=parent, parts={child.implementation.code: child for child in children})


def close_part(part: Case, status: str = CaseStatus.APPROVED, reason: str = "", basis: str = "") -> Case:
    decision = Decision.APPROVE if status == CaseStatus.APPROVED else Decision.REFUSE
    Case.objects.filter(pk=part.pk).update(
        status=status,
        decision=decision,
        decision_reason=reason,
        decision_basis=basis,
        closed_at=timezone.now(),
    )
    part.refresh_from_db()
    return part


def accept(case: Case, on: dt.date) -> Case:
    """Start the case's clock on ``on`` with the limits it copies at acceptance (as cases.accept does)."""
    limits = clock.limits_for(case=case)
    case.statutory_limit_days, case.statutory_limit_unit = limits.statutory_days, limits.statutory_unit
    case.promised_limit_days, case.promised_limit_unit = limits.promised_days, limits.promised_unit
    case.status, case.accepted_at = (
        CaseStatus.ACCEPTED,
        timezone.make_aware(dt.datetime.combine(on, dt.time(9))),
    )
    case.save()
    clock.recompute(case=case, today=on)
    return case


# --- fan-out ----------------------------------------------------------------------------------------


def test_the_house_transfer_fans_out_to_its_four_parts_at_three_departments(house):
    parent, parts = house.parent, house.parts
    # one sub-case per implementation, each at its own department and region, three departments in all
    assert set(parts) == {CONTRACT, TAX, TRANSFER, MORTGAGE}
    assert len({part.department_id for part in parts.values()}) == 3
    for part in parts.values():
        assert part.parent == parent and part.status == CaseStatus.SUBMITTED
        assert part.department == part.implementation.department and part.region == part.implementation.region
        assert is_valid_case_number(part.number) and part.number != parent.number
        assert part.query_code_hash == parent.query_code_hash  # one query code for the whole application
        assert (part.holder_code, part.applicant) == (parent.holder_code, parent.applicant)
        assert part.form is not None and part.form.implementation == part.implementation
        assert part.visits == 0 and part.submitted_at == parent.submitted_at
    assert parent.state_json is None  # the parent runs no workflow of its own


def test_each_part_runs_its_own_workflow_in_its_department(house):
    for part in house.parts.values():
        assert part.state_json is not None and part.process_version is not None
        task = CaseTask.objects.get(case=part, state=TaskState.READY)
        assert (task.bpmn_id, task.role, task.department_id) == ("accept", "window_clerk", part.department_id)


def test_each_part_gets_only_the_answers_its_form_asks(house):
    parts = house.parts
    assert parts[CONTRACT].data["contract_signed_on"] == "2026-03-01"
    assert "loan_amount" not in parts[CONTRACT].data and "seller_purchase_price" not in parts[CONTRACT].data
    assert parts[TAX].data["seller_purchase_price"] == 420000 and "buyer_ownership" not in parts[TAX].data
    assert parts[TRANSFER].data["buyer_ownership"] == "single" and "loan_amount" not in parts[TRANSFER].data
    assert parts[MORTGAGE].data["loan_amount"] == 300000 and "contract_signed_on" not in parts[MORTGAGE].data
    for part in parts.values():
        assert (
            part.data["applicant_name"] == "张测一"
            and part.data["property_address"] == ANSWERS["property_address"]
        )
        assert "not_a_field" not in part.data and "not_a_field" not in part.prefilled
        assert part.prefilled == {"applicant_name": {"source": "account"}}


def test_materials_are_shared_by_reference_with_the_parts_whose_guide_lists_them(house):
    parent, parts = house.parent, house.parts

    def keys(case):
        return sorted(case.materials.values_list("key", flat=True))

    assert keys(parts[TAX]) == ["applicant_id_card", "house_sale_contract", "tax_source_form"]
    assert keys(parts[MORTGAGE]) == ["applicant_id_card", "mortgage_contract"]
    assert keys(parts[CONTRACT]) == keys(parts[TRANSFER]) == ["applicant_id_card", "house_sale_contract"]
    original = parent.materials.get(key="house_sale_contract")
    for part in (parts[CONTRACT], parts[TAX], parts[TRANSFER]):
        shared = part.materials.get(key="house_sale_contract")
        assert shared.pk != original.pk and shared.file.name == original.file.name  # the same stored file
    assert default_storage.listdir("applications/materials")[1].count("house_sale_contract.pdf") == 1


def test_fan_out_is_announced_to_each_department_and_on_the_parents_timeline(house):
    parent, parts = house.parent, house.parts
    for part in parts.values():
        event = OutboxEvent.objects.get(topic=CASE_SUBMITTED, payload__number=part.number)
        assert event.payload["parent"] == parent.number
        assert event.payload["department"] == part.department.credit_code
    timeline = CaseEvent.objects.get(case=parent, kind="case.fanned_out")
    assert all(part.department.name in timeline.text for part in parts.values())
    entry = AuditEntry.objects.get(action=AuditAction.BUNDLE_FANNED_OUT, object_id=str(parent.pk))
    assert sorted(entry.details["parts"]) == sorted(part.number for part in parts.values())


def test_fanning_out_twice_creates_no_more_parts(house):
    assert sorted(bundles.fan_out(parent=house.parent), key=lambda c: c.pk) == sorted(
        house.parts.values(), key=lambda c: c.pk
    )
    assert house.parent.children.count() == 4


def test_a_part_failing_to_start_leaves_no_part_behind(catalog, monkeypatch):
    # given a process that cannot start for the third part
    parent = submitted_parent(load=False)
    started = []

    def start(*, case):
        started.append(case.number)
        if len(started) == 3:
            raise Conflict("没有启用的审批流程", code="no_active_process")
        return original(case=case)

    original = runtime.start
    monkeypatch.setattr(runtime, "start", start)
    # when / then nothing of the fan-out remains
    with pytest.raises(Conflict):
        bundles.fan_out(parent=parent)
    assert not parent.children.exists()
    assert not CaseMaterial.objects.exclude(case=parent).exists()


def test_only_a_bundle_parent_fans_out():
    with pytest.raises(Conflict) as raised:
        bundles.fan_out(parent=CaseFactory())
    assert raised.value.code == "not_a_bundle_parent"


# --- the parent's clock and critical path -----------------------------------------------------------


def test_the_parent_has_one_clock_and_names_the_part_that_holds_it_up(house):
    parent, parts = house.parent, house.parts
    monday = dt.date(2026, 3, 2)
    # when the parent and its parts are accepted the same day
    accept(parent, monday)
    for part in parts.values():
        accept(part, monday)
    # then the parent's clock is the bundle's promise (3 working days); the parts keep their statutory limits
    assert parent.promised_due == add_working_days(monday, 3) and parent.statutory_due is None
    # and the part planned to end last holds it up: the transfer (3 days) over the mortgage (1) and the
    # contract filing and tax return (当场办结)
    assert parts[TRANSFER].promised_due == add_working_days(monday, 3)
    path = bundles.critical_path(parent=parent)
    assert (path.case, path.planned_end, path.open_parts, path.is_late) == (
        parts[TRANSFER],
        add_working_days(monday, 3),
        4,
        False,
    )
    # when the transfer closes, the mortgage is next
    close_part(parts[TRANSFER])
    assert bundles.critical_path(parent=parent).case == parts[MORTGAGE]
    # a part stopped by a supplement past the parent's promise makes it late
    Case.objects.filter(pk=parts[MORTGAGE].pk).update(promised_due=dt.date(2026, 3, 20))
    path = bundles.critical_path(parent=parent)
    assert path.case.pk == parts[MORTGAGE].pk and path.is_late
    # no open part: nothing holds it up
    for part in parts.values():
        close_part(part)
    assert bundles.critical_path(parent=parent).case is None


def test_before_acceptance_the_first_open_part_is_named(house):
    path = bundles.critical_path(parent=house.parent)
    assert path.case == min(house.parts.values(), key=lambda part: part.number)
    assert path.planned_end is None and path.open_parts == 4


# --- closing ----------------------------------------------------------------------------------------


def test_a_parent_cannot_close_with_an_open_sub_case(house):
    parent, parts = house.parent, house.parts
    # given three parts closed and the mortgage still open
    for code in (CONTRACT, TAX, TRANSFER):
        close_part(parts[code])
    # then closing the parent is refused, naming the open part
    with pytest.raises(Conflict) as raised:
        bundles.close_parent(parent=parent)
    assert raised.value.code == "bundle_parts_open"
    assert parts[MORTGAGE].number in raised.value.message
    assert bundles.close_parent_if_done(parent=parent) is False
    parent.refresh_from_db()
    assert parent.status == CaseStatus.SUBMITTED and parent.closed_at is None
    # when the last part closes, the parent closes, approved
    close_part(parts[MORTGAGE])
    assert bundles.close_parent_if_done(parent=parent) is True
    parent.refresh_from_db()
    assert (parent.status, parent.decision) == (CaseStatus.APPROVED, Decision.APPROVE)
    assert parent.closed_at is not None
    assert OutboxEvent.objects.filter(topic=CASE_CLOSED, payload__number=parent.number).exists()
    # and it closes once
    assert bundles.close_parent_if_done(parent=parent) is False


def test_a_parent_without_parts_cannot_close():
    bundle = Bundle.objects.create(
        code="empty",
        name="空一件事",
        audience="person",
        region_id="511602000000",
        lead_department=CaseFactory().department,
    )
    parent = CaseFactory(
        implementation=None, bundle=bundle, department=bundle.lead_department, region=bundle.region
    )
    with pytest.raises(Conflict) as raised:
        bundles.close_parent(parent=parent)
    assert raised.value.code == "bundle_not_fanned_out"
    assert bundles.close_parent_if_done(parent=parent) is False


def test_a_refused_part_is_explained_in_the_parent(house):
    parent, parts = house.parent, house.parts
    # given the tax return refused and every other part approved
    close_part(
        parts[TAX],
        CaseStatus.REFUSED,
        reason="卖方有欠缴税款，须先行缴清",
        basis="《中华人民共和国税收征收管理法》第四十四条",
    )
    for code in (CONTRACT, TRANSFER, MORTGAGE):
        close_part(parts[code])
    # when
    assert bundles.close_parent_if_done(parent=parent) is True
    # then the parent is refused and says which part, where, why and on what basis
    parent.refresh_from_db()
    assert (parent.status, parent.decision) == (CaseStatus.REFUSED, Decision.REFUSE)
    tax = parts[TAX]
    assert tax.implementation.name in parent.decision_reason and tax.department.name in parent.decision_reason
    assert tax.number in parent.decision_reason
    assert "不予许可，理由：卖方有欠缴税款，须先行缴清" in parent.decision_reason
    assert parent.decision_basis == "《中华人民共和国税收征收管理法》第四十四条"
    assert parts[TRANSFER].implementation.name not in parent.decision_reason
    timeline = CaseEvent.objects.get(case=parent, kind=CASE_CLOSED)
    assert timeline.is_public and "未能全部办成" in timeline.text and "卖方有欠缴税款" in timeline.text
    assert f"{parts[TRANSFER].implementation.name}（" in timeline.text  # the approved parts are listed too


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_the_last_two_parts_closing_at_once_close_the_parent_exactly_once():
    # given a parent whose two parts are decided at the same moment by two departments
    first, second = ImplementationFactory(), ImplementationFactory()
    bundle = BundleFactory(implementations=[first, second])
    parent = CaseFactory(
        implementation=None, bundle=bundle, department=bundle.lead_department, region=bundle.region
    )
    parts = [CaseFactory(parent=parent, implementation=implementation) for implementation in (first, second)]
    barrier = threading.Barrier(2, timeout=30)
    outcomes: list[bool] = []

    def decide(part: Case) -> None:
        try:
            with transaction.atomic():
                locked = Case.objects.select_for_update().get(pk=part.pk)
                locked.status, locked.decision, locked.closed_at = (
                    CaseStatus.APPROVED,
                    Decision.APPROVE,
                    timezone.now(),
                )
                locked.save(update_fields=["status", "decision", "closed_at"])
                barrier.wait()  # both parts are closed (not yet committed) before either looks at the parent
                outcomes.append(bundles.close_parent_if_done(parent=parent))
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(part,)) for part in parts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then the one that got the parent's lock last closed it; the parent closed once
    assert sorted(outcomes) == [False, True]
    parent.refresh_from_db()
    assert parent.status == CaseStatus.APPROVED
    assert CaseEvent.objects.filter(case=parent, kind=CASE_CLOSED).count() == 1
