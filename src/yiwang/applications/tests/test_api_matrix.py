"""Authorization matrix of every /api/v1/applications and /api/v1/workbench endpoint.

Rows: the applicant, another citizen, agents with a mandate for the item, for another item and expired,
an enterprise's legal representative and its agent, the window clerk and approver of the case's
department and region and of another department or region, a supervisor, anonymous, and bearer tokens
with and without the scope. Each refusal of a case is the answer a missing case gets (nothing of the
case leaks); the holder's name and ID number never appear in a refusal.
"""

from __future__ import annotations

import pytest

from yiwang.applications.constants import CaseStatus, TaskState
from yiwang.applications.models import Case, CaseTask
from yiwang.applications.services import cases
from yiwang.conftest import built_once, read_again

from .api_world import (
    APPLICANT_SCOPES,
    MISSING_NUMBER,
    STAFF_SCOPES,
    UNSCOPED,
    ApiWorld,
    accepted,
    application_body,
    client_as,
    material_keys,
    post_application,
    upload,
)

pytestmark = pytest.mark.django_db
READ, WRITE = "applications:read", "applications:write"

CITIZENS = [
    "applicant",
    "other_citizen",
    "agent_for_item",
    "agent_other_item",
    "agent_expired",
    "representative",
    "enterprise_agent",
]
STAFF = [
    "clerk",
    "approver",
    "supervisor",
    "clerk_other_department",
    "approver_other_department",
    "clerk_other_region",
    "approver_other_region",
]
TOKENS = ["token_applicant", "token_applicant_unscoped", "token_clerk", "token_clerk_unscoped"]
EVERYONE = ["anonymous", *CITIZENS, *STAFF, *TOKENS]
APPLICANT_SIDE = {"applicant", "agent_for_item", "token_applicant"}
STAFF_IN_SCOPE = {"clerk", "approver", "supervisor", "token_clerk"}


@pytest.fixture(scope="module")
def _matrix_world(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.test import override_settings

    from .api_world import make_api_world

    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("api-matrix-media"))
    with media, built_once(django_db_blocker, make_api_world) as world:
        yield world


@pytest.fixture
def api(_matrix_world) -> ApiWorld:
    """The matrix's world as the database has it at the start of this test, with no token left over."""
    _matrix_world.tokens.clear()
    return read_again(_matrix_world)


TOKEN_SCOPES = {
    "token_applicant": APPLICANT_SCOPES,
    "token_clerk": STAFF_SCOPES,
    "token_applicant_unscoped": UNSCOPED,
    "token_clerk_unscoped": UNSCOPED,
}


def lacks_scope(who: str, scope: str) -> bool:
    return who in TOKEN_SCOPES and scope not in TOKEN_SCOPES[who].split()


def expected(who: str, allowed: set[str], ok: int, *, scope: str, refused: int = 404) -> int:
    if who == "anonymous":
        return 401
    if lacks_scope(who, scope):
        return 403
    return ok if who in allowed else refused


def assert_refused_like_missing(api: ApiWorld, response, missing) -> None:
    """The refusal is the not-found of a case that does not exist, with nothing of the holder in it."""
    body = response.content.decode()
    assert response.json() == missing.json(), body
    holder = api.world.applicant
    for secret in (holder.id_number, holder.full_name, api.case.number):
        assert secret not in body


def check(api: ApiWorld, who: str, response, want: int, missing=None) -> None:
    assert response.status_code == want, (who, response.content)
    if want == 403 and who in TOKEN_SCOPES and response.json()["error"]["code"] != "not_in_scope":
        assert response.json()["error"]["code"] == "insufficient_scope"
    if want == 401:
        assert response.json()["error"]["code"] == "not_authenticated"
    if want == 404 and missing is not None:
        assert_refused_like_missing(api, response, missing)


# Reading a case ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_case_detail(api, who):
    client, headers = client_as(api, who)
    response = client.get(f"/api/v1/applications/{api.case.number}", **headers)
    missing = client.get(f"/api/v1/applications/{MISSING_NUMBER}", **headers)
    want = expected(who, APPLICANT_SIDE | STAFF_IN_SCOPE, 200, scope=READ)
    check(api, who, response, want, missing)
    if want == 200:
        answer = response.json()
        assert answer["number"] == api.case.number
        # staff see the workflow's tasks and the internal timeline; the applicant side does not
        assert answer["view"] == ("staff" if who in STAFF_IN_SCOPE else "applicant")
        assert bool(answer["tasks"]) == (who in STAFF_IN_SCOPE)
        assert {"statutory_due", "promised_due"} <= set(answer["clock"])


@pytest.mark.parametrize("who", EVERYONE)
def test_receipt(api, who):
    client, headers = client_as(api, who)
    response = client.get(f"/api/v1/applications/{api.case.number}/receipt", **headers)
    missing = client.get(f"/api/v1/applications/{MISSING_NUMBER}/receipt", **headers)
    want = expected(who, APPLICANT_SIDE | STAFF_IN_SCOPE, 200, scope=READ)
    check(api, who, response, want, missing)
    if want == 200:
        assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


@pytest.mark.parametrize("who", ["representative", "enterprise_agent", "applicant", "agent_for_item"])
def test_an_enterprise_case_is_seen_by_its_representative_and_its_agent(api, who):
    client, headers = client_as(api, who)
    response = client.get(f"/api/v1/applications/{api.enterprise_case.number}", **headers)
    assert response.status_code == (200 if who in {"representative", "enterprise_agent"} else 404)


@pytest.mark.parametrize("who", EVERYONE)
def test_list(api, who):
    client, headers = client_as(api, who)
    response = client.get("/api/v1/applications", **headers)
    want = expected(who, set(EVERYONE), 200, scope=READ)
    check(api, who, response, want)
    if want == 200:
        numbers = {item["number"] for item in response.json()["items"]}
        assert (api.case.number in numbers) == (who in APPLICANT_SIDE)
        assert (api.enterprise_case.number in numbers) == (who in {"representative", "enterprise_agent"})


def test_list_filters(api):
    client, _headers = client_as(api, "applicant")
    base = "/api/v1/applications"
    item = api.implementation.item.code
    assert client.get(f"{base}?status=submitted&item={item}").json()["items"]
    assert not client.get(f"{base}?status=closed").json()["items"]
    assert not client.get(f"{base}?item=no-such-item").json()["items"]
    assert not client.get(f"{base}?submitted_to=2020-01-01").json()["items"]
    assert client.get(f"{base}?submitted_from=2020-01-01").json()["items"]
    bad = client.get(f"{base}?status=nonsense")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_input"
    assert client.get(f"{base}?submitted_from=0001-01-01").status_code == 400
    assert client.get(f"{base}?cursor=garbage").json()["error"]["code"] == "invalid_cursor"


# The applicant's actions --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_withdraw(api, who):
    client, headers = client_as(api, who)
    url = f"/api/v1/applications/{api.case.number}/withdraw"
    response = client.post(url, {}, content_type="application/json", **headers)
    missing = client.post(
        f"/api/v1/applications/{MISSING_NUMBER}/withdraw", {}, content_type="application/json", **headers
    )
    want = expected(who, APPLICANT_SIDE, 200, scope=WRITE)
    check(api, who, response, want, missing)
    api.case.refresh_from_db()
    assert (api.case.status == CaseStatus.WITHDRAWN) == (want == 200)


@pytest.mark.parametrize("who", EVERYONE)
def test_supplements(api, who):
    # given the clerk asked for a new phone number
    cases.request_supplement(
        actor=api.world.clerk, case=api.case, items=[{"kind": "field", "key": "phone", "problem": "无法接通"}]
    )
    client, headers = client_as(api, who)
    body = {"data": {"phone": "13900000000"}}
    url = f"/api/v1/applications/{api.case.number}/supplements"
    response = client.post(url, body, content_type="application/json", **headers)
    missing = client.post(
        f"/api/v1/applications/{MISSING_NUMBER}/supplements", body, content_type="application/json", **headers
    )
    want = expected(who, APPLICANT_SIDE, 200, scope=WRITE)
    check(api, who, response, want, missing)
    api.case.refresh_from_db()
    assert (api.case.status == CaseStatus.SUBMITTED) == (want == 200)
    assert (api.case.data["phone"] == "13900000000") == (want == 200)


@pytest.mark.parametrize("who", EVERYONE)
def test_form_with_prefill(api, who):
    client, headers = client_as(api, who)
    holder = api.world.applicant
    url = f"/api/v1/applications/forms/{api.implementation.code}?holder_code={holder.id_number}"
    response = client.get(url, **headers)
    # the applicant and an agent within the item read the holder's form; everyone else may not apply for them
    want = expected(who, APPLICANT_SIDE, 200, scope=READ, refused=403)
    assert response.status_code == want, (who, response.content)
    body = response.content.decode()
    if want == 200:
        fields = {item["key"]: item for item in response.json()["fields"]}
        if who in {"applicant", "token_applicant"}:  # the account prefills the holder's own name
            assert fields["applicant_name"]["locked"]
            assert fields["applicant_name"]["prefill"]["value"] == holder.full_name
        assert "employer" not in fields  # shown only to the employed
    else:
        assert holder.full_name not in body and holder.id_number not in body
        if who != "anonymous" and not lacks_scope(who, READ):
            assert response.json()["error"]["code"] in {"mandate_required", "assurance_too_low"}


@pytest.mark.parametrize("who", EVERYONE)
def test_submit_for_the_holder(api, who):
    client, headers = client_as(api, who)
    holder = api.world.applicant
    keys = material_keys(api.world, holder, holder.id_number)
    if who == "anonymous" or lacks_scope(who, WRITE):
        references = dict.fromkeys(keys, "x")
    else:
        references = {key: upload(client, headers)["upload"] for key in keys}
    body = application_body(api.world, holder, materials=references)
    before = Case.objects.count()
    response = post_application(client, body, key=f"matrix-{who}", headers=headers)
    want = expected(who, APPLICANT_SIDE, 201, scope=WRITE, refused=403)
    assert response.status_code == want, (who, response.content)
    assert Case.objects.count() == before + (want == 201)
    if want == 403 and not lacks_scope(who, WRITE):
        assert response.json()["error"]["code"] in {"mandate_required", "assurance_too_low"}


@pytest.mark.parametrize("who", EVERYONE)
def test_upload(api, who):
    client, headers = client_as(api, who)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .cases_world import PDF

    response = client.post(
        "/api/v1/applications/uploads", {"file": SimpleUploadedFile("a.pdf", PDF)}, **headers
    )
    assert response.status_code == expected(who, set(EVERYONE), 201, scope=WRITE)


@pytest.mark.parametrize("who", EVERYONE)
def test_public_status_needs_no_login_and_shows_no_personal_data(api, who):
    client, headers = client_as(api, who)
    url = f"/api/v1/applications/status?number={api.case.number}&query_code={api.query_code}"
    response = client.get(url, **headers)
    if who.endswith("_unscoped"):
        assert response.status_code == 200  # a token, scoped or not, changes nothing on a public endpoint
    assert response.status_code == 200
    body = response.content.decode()
    holder = api.world.applicant
    assert holder.id_number not in body and holder.full_name not in body
    wrong = client.get(f"/api/v1/applications/status?number={api.case.number}&query_code=AAAAAAAA", **headers)
    missing = client.get(
        f"/api/v1/applications/status?number={MISSING_NUMBER}&query_code=AAAAAAAA", **headers
    )
    assert wrong.status_code == 404 and wrong.json() == missing.json()


# The workbench ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_queue(api, who):
    client, headers = client_as(api, who)
    response = client.get("/api/v1/workbench/tasks", **headers)
    want = expected(who, set(EVERYONE), 200, scope="workbench:read")
    check(api, who, response, want)
    if want == 200:
        numbers = {item["case_number"] for item in response.json()["items"]}
        # the accept step is the window clerk's lane: only the clerks of the case's department and region
        assert (api.case.number in numbers) == (who in {"clerk", "token_clerk"})


def _post(api, who, path, body=None):
    client, headers = client_as(api, who)
    response = client.post(
        f"/api/v1/workbench/cases/{api.case.number}{path}",
        body or {},
        content_type="application/json",
        **headers,
    )
    missing = client.post(
        f"/api/v1/workbench/cases/{MISSING_NUMBER}{path}",
        body or {},
        content_type="application/json",
        **headers,
    )
    return response, missing


# Who gets past the staff gate (sees the case) and who may do the action (else 403 not_in_scope).
CLERK_ACTIONS = {"clerk", "token_clerk"}
APPROVER_ACTIONS = {"approver"}


def _check_action(api, who, response, missing, allowed: set[str]) -> bool:
    if who == "anonymous":
        want = 401
    elif lacks_scope(who, "workbench:write"):
        want = 403
    elif who in allowed:
        want = 200
    elif who in STAFF_IN_SCOPE:
        want = 403  # sees the case, but the action is another role's
    else:
        want = 404
    check(api, who, response, want, missing)
    if want == 403 and not lacks_scope(who, "workbench:write"):
        assert response.json()["error"]["code"] == "not_in_scope"
    return want == 200


@pytest.mark.parametrize("who", EVERYONE)
def test_accept(api, who):
    response, missing = _post(api, who, "/accept")
    done = _check_action(api, who, response, missing, CLERK_ACTIONS)
    api.case.refresh_from_db()
    assert (api.case.status == CaseStatus.ACCEPTED) == done
    if done:
        assert response.json()["ready_tasks"][0]["bpmn_id"] == "review"


@pytest.mark.parametrize("who", EVERYONE)
def test_refuse_to_accept(api, who):
    body = {"reason": "不属于本机关职权范围", "legal_basis": "《行政许可法》第三十二条"}
    response, missing = _post(api, who, "/refuse-to-accept", body)
    done = _check_action(api, who, response, missing, CLERK_ACTIONS)
    api.case.refresh_from_db()
    assert (api.case.status == CaseStatus.NOT_ACCEPTED) == done


@pytest.mark.parametrize("who", EVERYONE)
def test_request_supplement(api, who):
    body = {"items": [{"kind": "material", "key": "application_form", "problem": "未签名"}]}
    response, missing = _post(api, who, "/request-supplement", body)
    done = _check_action(api, who, response, missing, CLERK_ACTIONS)
    api.case.refresh_from_db()
    assert (api.case.status == CaseStatus.SUPPLEMENT) == done


@pytest.mark.parametrize("who", EVERYONE)
def test_suspend_and_resume(api, who):
    accepted(api)
    body = {"kind": "expert_review", "reason": "需组织专家评审"}
    response, missing = _post(api, who, "/suspend", body)
    done = _check_action(api, who, response, missing, APPROVER_ACTIONS)
    api.case.refresh_from_db()
    assert (api.case.status == CaseStatus.SUSPENDED) == done
    if not done:
        cases.suspend(actor=api.world.approver, case=api.case, kind="expert_review", reason="评审")
    response, missing = _post(api, who, "/resume")
    done = _check_action(api, who, response, missing, APPROVER_ACTIONS)
    api.case.refresh_from_db()
    assert (api.case.status == CaseStatus.ACCEPTED) == done


@pytest.mark.parametrize("who", EVERYONE)
def test_extend(api, who):
    accepted(api)
    body = {"days": 5, "reason": "情况复杂", "legal_basis": "《行政许可法》第四十二条"}
    response, missing = _post(api, who, "/extend", body)
    done = _check_action(api, who, response, missing, APPROVER_ACTIONS)
    assert api.case.clock_stops.filter(kind="extension").exists() == done


def _review(api) -> CaseTask:
    accepted(api)
    return CaseTask.objects.get(case=api.case, bpmn_id="review", state=TaskState.READY)


@pytest.mark.parametrize("who", EVERYONE)
def test_claim(api, who):
    task = _review(api)
    response, missing = _post(api, who, f"/tasks/{task.pk}/claim")
    done = _check_action(api, who, response, missing, APPROVER_ACTIONS)
    task.refresh_from_db()
    assert (task.claimed_by_id is not None) == done


@pytest.mark.parametrize("who", EVERYONE)
def test_hand_over(api, who):
    task = _review(api)
    body = {"to_user": str(api.people["second_approver"].public_id), "reason": "回避"}
    response, missing = _post(api, who, f"/tasks/{task.pk}/hand-over", body)
    done = _check_action(api, who, response, missing, APPROVER_ACTIONS)
    task.refresh_from_db()
    assert (task.claimed_by == api.people["second_approver"]) == done


@pytest.mark.parametrize("who", EVERYONE)
def test_complete(api, who):
    task = _review(api)
    response, missing = _post(api, who, f"/tasks/{task.pk}/complete", {"data": {"opinion": "同意"}})
    done = _check_action(api, who, response, missing, APPROVER_ACTIONS)
    task.refresh_from_db()
    assert (task.state == TaskState.COMPLETED) == done


@pytest.mark.parametrize("who", EVERYONE)
def test_decide(api, who):
    task = _review(api)
    cases.complete_task(actor=api.world.approver, case=api.case, task=task, data={})
    body = {"decision": "refuse", "reason": "不符合条件", "legal_basis": "《行政许可法》第三十八条第二款"}
    response, missing = _post(api, who, "/decide", body)
    done = _check_action(api, who, response, missing, APPROVER_ACTIONS)
    api.case.refresh_from_db()
    assert (api.case.decision == "refuse") == done


def test_a_task_of_another_case_is_not_found(api):
    task = _review(api)
    other = CaseTask.objects.filter(case=api.enterprise_case).first()
    client, _headers = client_as(api, "approver")
    response = client.post(
        f"/api/v1/workbench/cases/{api.case.number}/tasks/{other.pk}/claim",
        {},
        content_type="application/json",
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "task_not_found"
    assert task.pk != other.pk
