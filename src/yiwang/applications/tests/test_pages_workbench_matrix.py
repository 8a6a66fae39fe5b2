"""The authorization matrix of the workbench: every page and every action, for every kind of visitor.

Staff of the case's department and region see it (the supervisor only reads); staff of another
department or region get the same 404 as for a number that does not exist, and nothing of the case in
it; citizens and staff without the second factor are refused; anonymous visitors are sent to log in.
Only the role whose lane it is may act, and a refused action changes nothing.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from yiwang.applications.constants import CaseStatus, ClockStopKind, Decision, TaskState
from yiwang.applications.models import Case, CaseMaterial, CaseTask
from yiwang.applications.services import cases
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory

from .workbench_world import IN_SCOPE, OUT_OF_SCOPE, make_page_world

pytestmark = pytest.mark.django_db

REFUSED_AS_NOT_STAFF = ("citizen", "applicant", "staff_without_totp")
EVERYONE = ("anonymous", *REFUSED_AS_NOT_STAFF, *IN_SCOPE, *OUT_OF_SCOPE)
MISSING = "511602000000202001019999990"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def pages():
    return make_page_world()


def _object_pages(number: str, material_id: int) -> list[str]:
    return [
        reverse("applications:workbench_case", kwargs={"number": number}),
        reverse("applications:workbench_material", kwargs={"number": number, "material_id": material_id}),
        reverse("applications:workbench_supplement", kwargs={"number": number}),
        reverse("applications:workbench_decision", kwargs={"number": number}),
    ]


def _without_tokens(body: bytes, number: str) -> str:
    """The page without its CSRF tokens and the number it was asked for (its own URL is in the header)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body.decode()).replace(number, "N")


def _refused_as_expected(who: str, response) -> None:
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"], who
    elif who in REFUSED_AS_NOT_STAFF:
        assert response.status_code == 403, who
    else:
        assert response.status_code == 404, who


@pytest.mark.parametrize("who", EVERYONE)
def test_who_may_open_each_workbench_page(pages, who):
    client = pages.client(who)
    case = pages.case
    material = CaseMaterial.objects.filter(case=case).exclude(file="").first()
    case.decision_document.save(f"{case.number}-approval.pdf", ContentFile(b"%PDF-1.7 decision"))
    queue = client.get(reverse("applications:workbench"))
    real = [client.get(url) for url in _object_pages(case.number, material.pk)]
    missing = [client.get(url) for url in _object_pages(MISSING, material.pk)]
    if who in IN_SCOPE:
        assert queue.status_code == 200
        assert [response.status_code for response in real] == [200, 200, 200, 200], who
        return
    if who in OUT_OF_SCOPE:
        assert queue.status_code == 200 and case.number not in queue.content.decode()
    else:
        _refused_as_expected(who, queue)
    for seen, absent in zip(real, missing, strict=True):
        _refused_as_expected(who, seen)
        # the same answer as for a number that does not exist: nothing says the case is there
        assert seen.status_code == absent.status_code
        if who in OUT_OF_SCOPE:
            assert _without_tokens(seen.content, case.number) == _without_tokens(absent.content, MISSING)
        assert case.holder_name not in seen.content.decode()


# Actions ---------------------------------------------------------------------------------------------


def _ready(case: Case, bpmn_id: str) -> CaseTask:
    return CaseTask.objects.get(case=case, bpmn_id=bpmn_id, state=TaskState.READY)


def _accepted(pages) -> Case:
    cases.accept(actor=pages.people["clerk"], case=pages.case)
    pages.case.refresh_from_db()
    return pages.case


def _reviewed(pages) -> Case:
    case = _accepted(pages)
    cases.complete_task(
        actor=pages.people["approver"], case=case, task=_ready(case, "review"), data={"opinion": "齐全"}
    )
    case.refresh_from_db()
    return case


def _suspended(pages) -> Case:
    case = _accepted(pages)
    cases.suspend(actor=pages.people["approver"], case=case, kind=ClockStopKind.HEARING, reason="听证")
    case.refresh_from_db()
    return case


def _setup(pages, action: str) -> tuple[Case, dict]:
    """The case in the state the action needs, and what its form posts."""
    if action in ("accept", "refuse-to-accept", "supplement"):
        return pages.case, {
            "reason": "不属于本部门",
            "legal_basis": "第三十二条",
            "material": "application_form",
            "material-application_form-problem": "未签字",
        }
    if action == "decide":
        case = _reviewed(pages)
        return case, {
            "task": _ready(case, "decide").pk,
            "decision": Decision.APPROVE,
            "reason": "符合条件",
            "legal_basis": "第三十八条",
        }
    if action == "resume":
        return _suspended(pages), {}
    case = _accepted(pages)
    colleague = StaffAssignmentFactory(department=pages.world.department, role=StaffRole.APPROVER).user
    return case, {
        "task": _ready(case, "review").pk,
        "to_user": str(colleague.public_id),
        "reason": "情况复杂",
        "legal_basis": "第四十二条",
        "opinion": "符合条件",
        "kind": ClockStopKind.EXPERT_REVIEW,
        "days": "5",
    }


# Whose lane each action is: everyone else is refused.
ALLOWED = {
    "accept": "clerk",
    "refuse-to-accept": "clerk",
    "supplement": "clerk",
    "claim": "approver",
    "hand-over": "approver",
    "complete": "approver",
    "decide": "approver",
    "suspend": "approver",
    "resume": "approver",
    "extend": "approver",
}


def _url(case: Case, action: str) -> str:
    if action == "supplement":
        return reverse("applications:workbench_supplement", kwargs={"number": case.number})
    return reverse("applications:workbench_action", kwargs={"number": case.number, "action": action})


@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_only_the_lanes_role_may_act_and_a_refusal_changes_nothing(pages, action):
    case, data = _setup(pages, action)
    allowed = ALLOWED[action]
    for who in EVERYONE:
        if who == allowed:
            continue
        response = pages.client(who).post(_url(case, action), {"expected_revision": case.revision, **data})
        if who in IN_SCOPE:
            assert response.status_code == 403, (who, response.status_code)
            assert "没有办理权限" in response.content.decode()
        else:
            _refused_as_expected(who, response)
        fresh = Case.objects.get(pk=case.pk)
        assert (fresh.revision, fresh.status) == (case.revision, case.status), who
    response = pages.client(allowed).post(_url(case, action), {"expected_revision": case.revision, **data})
    assert response.status_code == 302, (allowed, response.status_code)
    assert Case.objects.get(pk=case.pk).revision > case.revision


def test_an_unknown_action_is_not_found(pages):
    response = pages.client("clerk").post(_url(pages.case, "delete"), {"expected_revision": 0})
    assert response.status_code == 404
    assert Case.objects.get(pk=pages.case.pk).status == CaseStatus.SUBMITTED
