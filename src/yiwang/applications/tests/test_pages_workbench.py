"""The workbench pages: the queue (scoped, sorted, marked, filtered, paged), the case page (answers with
their sources, materials with trust and audited downloads, the clock, the history), and each action
through its service with the revision the page showed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from yiwang.applications.constants import AuditAction, CaseStatus, ClockStopKind, Decision, TaskState
from yiwang.applications.models import Case, CaseMaterial, CaseTask, ClockStop, SupplementRequest
from yiwang.applications.services import cases
from yiwang.applications.tests.factories import CaseFactory
from yiwang.applications.views import workbench as workbench_views
from yiwang.applications.views import workbench_queue
from yiwang.audit.models import AuditEntry
from yiwang.catalog.models import Implementation
from yiwang.catalog.tests.factories import ImplementationFactory
from yiwang.conftest import login_with_second_factor
from yiwang.core.workdays import add_working_days
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory
from yiwang.licenses.services import load_license_type_catalog

from .workbench_world import make_page_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def pages():
    return make_page_world()


def case_url(case: Case) -> str:
    return reverse("applications:workbench_case", kwargs={"number": case.number})


def action_url(case: Case, action: str) -> str:
    return reverse("applications:workbench_action", kwargs={"number": case.number, "action": action})


def test_the_workbench_urls_reach_the_workbench_views():
    assert resolve("/cases/workbench/").func.__name__ == "queue"
    assert resolve("/cases/workbench/511602202601010000011/").func is workbench_views.case_page


def test_the_queue_lists_the_clerks_ready_tasks_with_the_case(pages):
    response = pages.client("clerk").get(reverse("applications:workbench"))
    assert response.status_code == 200
    body = response.content.decode()
    assert pages.case.number in body
    assert "受理" in body and "待受理" in body


def test_the_case_page_shows_answers_sources_materials_trust_clock_and_history(pages):
    response = pages.client("clerk").get(case_url(pages.case))
    assert response.status_code == 200
    body = response.content.decode()
    assert pages.world.applicant.full_name in body
    assert "预填：" in body  # the name came from the account
    assert "申请人提交" in body  # trust of the uploads
    assert "已提交申请，等待受理" in body
    assert 'id="accept-button"' in body


def test_accepting_through_the_page_moves_the_case_and_shows_both_dates(pages):
    client = pages.client("clerk")
    response = client.post(action_url(pages.case, "accept"), {"expected_revision": pages.case.revision})
    assert response.status_code == 302
    pages.case.refresh_from_db()
    assert pages.case.status == CaseStatus.ACCEPTED
    body = client.get(case_url(pages.case)).content.decode()
    assert "已受理" in body and pages.case.promised_due.strftime("%Y-%m-%d") in body


# Helpers -------------------------------------------------------------------------------------------


def ready(case: Case, bpmn_id: str) -> CaseTask:
    return CaseTask.objects.get(case=case, bpmn_id=bpmn_id, state=TaskState.READY)


def accepted(pages) -> Case:
    cases.accept(actor=pages.people["clerk"], case=pages.case)
    pages.case.refresh_from_db()
    return pages.case


def reviewed(pages) -> Case:
    case = accepted(pages)
    cases.complete_task(
        actor=pages.people["approver"], case=case, task=ready(case, "review"), data={"opinion": "材料齐全"}
    )
    case.refresh_from_db()
    return case


def queued(pages, *, due_on, implementation=None, status=CaseStatus.ACCEPTED, role="approver") -> CaseTask:
    """A case with one ready 审查 task in the world's department (no workflow: for the queue's order)."""
    case = CaseFactory(
        implementation=implementation or pages.world.implementation,
        status=status,
        promised_due=due_on,
        accepted_at=timezone.now(),
    )
    return CaseTask.objects.create(
        case=case,
        task_id=f"task-{case.pk}",
        bpmn_id="review",
        name="审查",
        role=role,
        department=case.department,
        region=case.region,
        due_on=due_on,
    )


# The queue -----------------------------------------------------------------------------------------


def test_each_role_sees_its_own_lane(pages):
    assert (
        pages.case.number
        not in pages.client("approver").get(reverse("applications:workbench")).content.decode()
    )
    accepted(pages)
    approver_queue = pages.client("approver").get(reverse("applications:workbench")).content.decode()
    clerk_queue = pages.client("clerk").get(reverse("applications:workbench")).content.decode()
    assert pages.case.number in approver_queue and "审查" in approver_queue
    assert pages.case.number not in clerk_queue


def test_the_queue_is_sorted_by_deadline_with_overdue_and_near_due_marked(pages):
    today = timezone.localdate()
    far = queued(pages, due_on=today + dt.timedelta(days=60))
    overdue = queued(pages, due_on=today - dt.timedelta(days=10))
    near = queued(pages, due_on=add_working_days(today, 1))
    body = pages.client("approver").get(reverse("applications:workbench")).content.decode()
    positions = [body.index(task.case.number) for task in (overdue, near, far)]
    assert positions == sorted(positions)
    assert body.count('class="row-overdue"') == 1 and body.count('class="row-near"') == 1
    assert 'data-testid="overdue"' in body and 'data-testid="near-due"' in body


def test_the_queue_filters_by_claim_item_and_status(pages):
    today = timezone.localdate()
    mine = queued(pages, due_on=today + dt.timedelta(days=5))
    mine.claimed_by = pages.people["approver"]
    mine.save(update_fields=["claimed_by"])
    free = queued(pages, due_on=today + dt.timedelta(days=6))
    other_item = queued(
        pages,
        due_on=today + dt.timedelta(days=7),
        implementation=ImplementationFactory(
            department=pages.world.department, region=pages.world.department.region
        ),
        status=CaseStatus.SUSPENDED,
    )
    client = pages.client("approver")
    url = reverse("applications:workbench")

    def numbers(**query):
        body = client.get(url, query).content.decode()
        return {task.case.number for task in (mine, free, other_item) if task.case.number in body}

    assert numbers() == {mine.case.number, free.case.number, other_item.case.number}
    assert numbers(claimed="mine") == {mine.case.number}
    assert numbers(claimed="unclaimed") == {free.case.number, other_item.case.number}
    assert numbers(item=pages.world.implementation.item_id) == {mine.case.number, free.case.number}
    assert numbers(status=CaseStatus.SUSPENDED) == {other_item.case.number}


def test_a_queue_row_shows_window_escalation_claimant_and_escapes_what_people_typed(pages):
    today = timezone.localdate()
    task = queued(pages, due_on=today + dt.timedelta(days=30))
    Case.objects.filter(pk=task.case_id).update(holder_name="<script>alert(1)</script>", channel="window")
    CaseTask.objects.filter(pk=task.pk).update(
        is_escalation=True, claimed_by=pages.people["clerk"], name="审查 & <b>复核</b>"
    )
    client = pages.client("approver")
    response = client.get(reverse("applications:workbench"), {"status": CaseStatus.ACCEPTED})
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "审查 &amp; &lt;b&gt;复核&lt;/b&gt;" in body
    assert '<span class="tag">窗口</span>' in body
    assert '<span class="flag flag-overdue">督办</span>' in body
    assert pages.people["clerk"].full_name in body
    assert f'href="{case_url(task.case)}"' in body
    assert f'<option value="{CaseStatus.ACCEPTED}" selected>' in body
    english = client.get(reverse("applications:workbench"), HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200


def test_the_queue_pages_by_cursor(pages, monkeypatch):
    monkeypatch.setattr(workbench_queue, "PAGE_SIZE", 2)
    today = timezone.localdate()
    tasks = [queued(pages, due_on=today + dt.timedelta(days=n + 1)) for n in range(3)]
    client = pages.client("approver")
    first = client.get(reverse("applications:workbench"))
    assert [t.case.number in first.content.decode() for t in tasks] == [True, True, False]
    cursor = first.context["next_cursor"]
    second = client.get(reverse("applications:workbench"), {"cursor": cursor}).content.decode()
    assert [t.case.number in second for t in tasks] == [False, False, True]
    forged = client.get(reverse("applications:workbench"), {"cursor": "forged"})
    assert forged.status_code == 200 and "分页游标无效" in forged.content.decode()


# The case page and its actions ---------------------------------------------------------------------


def test_a_material_download_is_logged_with_the_case(pages):
    material = CaseMaterial.objects.filter(case=pages.case).exclude(file="").first()
    url = reverse(
        "applications:workbench_material", kwargs={"number": pages.case.number, "material_id": material.pk}
    )
    response = pages.client("approver").get(url)
    assert response.status_code == 200 and response["Content-Disposition"] == "attachment"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    entry = AuditEntry.objects.filter(action=AuditAction.CASE_READ, fields=["material"]).get()
    assert entry.details["material"] == material.key and entry.actor == pages.people["approver"]
    assert pages.client("approver_other_department").get(url).status_code == 404


def test_refusing_to_accept_needs_reason_and_basis_and_keeps_what_was_typed(pages):
    client = pages.client("clerk")
    revision = pages.case.revision
    response = client.post(
        action_url(pages.case, "refuse-to-accept"),
        {"expected_revision": revision, "reason": "不属于本部门职权范围"},
    )
    assert response.status_code == 400
    assert "不属于本部门职权范围" in response.content.decode()
    pages.case.refresh_from_db()
    assert pages.case.status == CaseStatus.SUBMITTED
    client.post(
        action_url(pages.case, "refuse-to-accept"),
        {
            "expected_revision": revision,
            "reason": "不属于本部门职权范围",
            "legal_basis": "《行政许可法》第三十二条",
        },
    )
    pages.case.refresh_from_db()
    assert pages.case.status == CaseStatus.NOT_ACCEPTED
    assert pages.case.decision_basis == "《行政许可法》第三十二条"


def test_the_one_time_notice_lists_every_material_and_field_and_sends_the_ticked_ones(pages):
    client = pages.client("clerk")
    url = reverse("applications:workbench_supplement", kwargs={"number": pages.case.number})
    page = client.get(url).content.decode()
    assert (
        page.count('data-testid="supplement-material"')
        == CaseMaterial.objects.filter(case=pages.case).count()
    )
    assert page.count('data-testid="supplement-field"') == len(pages.case.data)
    # a ticked item without its problem is refused, nothing is sent
    refused = client.post(url, {"expected_revision": pages.case.revision, "material": "application_form"})
    assert refused.status_code == 400 and not SupplementRequest.objects.exists()
    response = client.post(
        url,
        {
            "expected_revision": pages.case.revision,
            "material": "application_form",
            "material-application_form-problem": "申请表未签字",
            "field": "phone",
            "field-phone-problem": "联系电话无法接通",
            "field-kind-problem": "未勾选的说明不发送",
            "note": "请一次补齐",
        },
    )
    assert response.status_code == 302
    request = SupplementRequest.objects.get(case=pages.case)
    assert {(i["kind"], i["key"], i["problem"]) for i in request.items} == {
        ("material", "application_form", "申请表未签字"),
        ("field", "phone", "联系电话无法接通"),
    }
    pages.case.refresh_from_db()
    assert pages.case.status == CaseStatus.SUPPLEMENT


def test_claim_hand_over_review_and_decide_through_the_page(pages):
    case = accepted(pages)
    colleague = StaffAssignmentFactory(department=pages.world.department, role=StaffRole.APPROVER).user
    approver = pages.client("approver")
    review = ready(case, "review")
    assert (
        approver.post(
            action_url(case, "claim"), {"expected_revision": case.revision, "task": review.pk}
        ).status_code
        == 302
    )
    review.refresh_from_db()
    assert review.claimed_by == pages.people["approver"]
    case.refresh_from_db()
    # a recipient who cannot work on the task is refused
    stranger = pages.people["approver_other_department"]
    refused = approver.post(
        action_url(case, "hand-over"),
        {
            "expected_revision": case.revision,
            "task": review.pk,
            "to_user": str(stranger.public_id),
            "reason": "休假",
        },
    )
    assert refused.status_code == 400
    approver.post(
        action_url(case, "hand-over"),
        {
            "expected_revision": case.revision,
            "task": review.pk,
            "to_user": str(colleague.public_id),
            "reason": "休假",
        },
    )
    review.refresh_from_db()
    assert review.claimed_by == colleague
    # the colleague completes the review with an opinion, then decides with reason and basis
    colleague_client = Client()
    login_with_second_factor(colleague_client, colleague)
    case.refresh_from_db()
    colleague_client.post(
        action_url(case, "complete"),
        {"expected_revision": case.revision, "task": review.pk, "opinion": "符合条件"},
    )
    case.refresh_from_db()
    decide_task = ready(case, "decide")
    page = colleague_client.get(case_url(case)).content.decode()
    assert 'id="decide-form"' in page
    response = colleague_client.post(
        action_url(case, "decide"),
        {
            "expected_revision": case.revision,
            "task": decide_task.pk,
            "decision": Decision.APPROVE,
            "reason": "申请材料齐全，符合法定条件",
            "legal_basis": "《行政许可法》第三十八条",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.decision == Decision.APPROVE and case.decided_by == colleague
    # the decision document is there to download for staff of the case, and logged
    url = reverse("applications:workbench_decision", kwargs={"number": case.number})
    document = colleague_client.get(url)
    assert document.status_code == 200 and b"".join(document.streaming_content).startswith(b"%PDF")
    assert AuditEntry.objects.filter(action=AuditAction.CASE_READ, fields=["decision_document"]).exists()
    assert pages.client("approver_other_department").get(url).status_code == 404


def test_suspend_resume_and_extend_move_the_dates_and_show_the_stops(pages):
    case = accepted(pages)
    approver = pages.client("approver")
    promised = case.promised_due
    approver.post(
        action_url(case, "suspend"),
        {
            "expected_revision": case.revision,
            "kind": ClockStopKind.EXPERT_REVIEW,
            "reason": "组织专家评审",
            "legal_basis": "第四十五条",
        },
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED
    approver.post(action_url(case, "resume"), {"expected_revision": case.revision})
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    approver.post(
        action_url(case, "extend"),
        {
            "expected_revision": case.revision,
            "days": "10",
            "unit": "working",
            "reason": "情况复杂",
            "legal_basis": "第四十二条",
        },
    )
    case.refresh_from_db()
    assert case.promised_due > promised
    assert ClockStop.objects.filter(case=case).count() == 2
    page = approver.get(case_url(case)).content.decode()
    assert "专家评审" in page and "延长办理时限" in page and case.promised_due.strftime("%Y-%m-%d") in page


def test_an_action_without_the_revision_is_refused(pages):
    response = pages.client("clerk").post(action_url(pages.case, "accept"), {})
    assert response.status_code == 400 and "刷新" in response.content.decode()
    pages.case.refresh_from_db()
    assert pages.case.status == CaseStatus.SUBMITTED


# Two clerks at once --------------------------------------------------------------------------------


def test_the_second_of_two_clerks_gets_the_stale_revision_message_and_keeps_what_was_typed(pages):
    other_clerk = StaffAssignmentFactory(department=pages.world.department, role=StaffRole.WINDOW_CLERK).user
    first, second = pages.client("clerk"), Client()
    login_with_second_factor(second, other_clerk)
    # both open the case page at the same revision
    seen = second.get(case_url(pages.case)).context["case"].revision
    assert first.get(case_url(pages.case)).context["case"].revision == seen
    # the first accepts; the second, still on the old page, refuses to accept
    assert first.post(action_url(pages.case, "accept"), {"expected_revision": seen}).status_code == 302
    response = second.post(
        action_url(pages.case, "refuse-to-accept"),
        {"expected_revision": seen, "reason": "材料不全", "legal_basis": "第三十二条"},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "已被他人更新" in body and "材料不全" in body
    assert response.context["case"].status == CaseStatus.ACCEPTED  # the page shows the case as it is now
    pages.case.refresh_from_db()
    assert pages.case.status == CaseStatus.ACCEPTED and pages.case.decision_reason == ""


def test_a_bundle_parent_shows_its_parts_and_the_part_that_holds_it_up():
    from yiwang.applications.services import bundles

    from .test_bundles import accept as accept_part
    from .test_bundles import submitted_parent

    parent = submitted_parent()
    parts = bundles.fan_out(parent=parent)
    accept_part(parts[0], timezone.localdate())
    lead = StaffAssignmentFactory(department=parent.department, role=StaffRole.SUPERVISOR).user
    client = Client()
    login_with_second_factor(client, lead)
    body = client.get(case_url(parent)).content.decode()
    assert body.count('data-testid="sub-case"') == len(parts)
    assert 'id="critical-path"' in body and parts[0].number in body
    assert "广安区渠江北路88号" in body  # the one form's answers, labelled from the parts' forms


def test_the_decision_asks_for_the_result_licenses_surface_the_answers_do_not_give(pages, monkeypatch):
    load_license_type_catalog()
    Implementation.objects.filter(pk=pages.world.implementation.pk).update(
        result_license_type="REAL_ESTATE_CERT"
    )
    case = reviewed(pages)
    client = pages.client("approver")
    page = client.get(case_url(case)).content.decode()
    assert 'id="result-surface"' in page and "不动产单元号" in page
    assert 'name="surface-unit_number"' in page
    assert 'name="surface-name"' not in page  # the holder's name comes from the case
    seen = {}

    def decide(**arguments):
        seen.update(arguments)
        return arguments["case"]

    monkeypatch.setattr(workbench_views.cases, "decide", decide)
    client.post(
        action_url(case, "decide"),
        {
            "expected_revision": case.revision,
            "decision": Decision.APPROVE,
            "reason": "符合条件",
            "legal_basis": "《不动产登记暂行条例》第二十一条",
            "surface-unit_number": "511602001001GB00001F00010001",
            "surface-area": "89.5",
            "surface-use": " ",
        },
    )
    assert seen["result_surface"] == {"unit_number": "511602001001GB00001F00010001", "area": "89.5"}
