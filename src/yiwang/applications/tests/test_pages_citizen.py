"""The citizen pages: applying online (who applies, locked prefill, materials, drafts, one case per form
token), my cases (supplement answered, withdrawal, the same 404 for everyone off the applicant side)
and the public status query (nothing personal, nothing for a wrong code, throttled)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiwang.applications.constants import CaseStatus
from yiwang.applications.models import Case, CaseMaterial, Draft
from yiwang.applications.services import cases
from yiwang.applications.tests.factories import CaseFactory
from yiwang.catalog.tests.factories import ImplementationFactory
from yiwang.identity.constants import PrincipalKind, StaffRole
from yiwang.identity.tests.factories import MandateFactory, StaffAssignmentFactory, UserFactory

from .cases_world import PDF, make_world, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


@pytest.fixture
def world():
    return make_world()


def pdf(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, "application/pdf")


def start_draft(client, world, applicant: str = "self") -> Draft:
    response = client.post(
        reverse("applications:apply", args=[world.implementation.code]), {"applicant": applicant}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    return Draft.objects.get(form_token=token)


def answers(user, **extra) -> dict:
    posted = {
        "s:employed": "no",
        "f:applicant_name": user.full_name,
        "f:applicant_id_number": user.id_number,
        "f:phone": "13800000000",
        "f:kind": "a",
        "m:applicant_id_card": pdf("id.pdf"),
        "m:application_form": pdf("form.pdf"),
    }
    posted.update(extra)
    return posted


# Applying -----------------------------------------------------------------------------------------------


def test_the_apply_page_asks_who_applies_and_a_draft_shows_the_locked_prefill_with_its_source(client, world):
    client.force_login(world.applicant)
    page = client.get(reverse("applications:apply", args=[world.implementation.code]))
    assert page.status_code == 200
    assert "本人申请" in page.content.decode()
    draft = start_draft(client, world)
    shown = client.get(reverse("applications:draft", args=[draft.form_token])).content.decode()
    # the name comes from the register-checked account: locked, with its source
    assert re.search(rf'name="f:applicant_name"[^>]*value="{world.applicant.full_name}"[^>]*readonly', shown)
    assert "来自 实名账户，已核验" in shown
    # the phone is the applicant's own answer: not locked
    assert not re.search(r'name="f:phone"[^>]*readonly', shown)
    # the materials: which to upload
    assert "申请人居民身份证" in shown and 'name="m:application_form"' in shown


def test_an_answer_shows_the_fields_it_brings_and_the_draft_keeps_it(client, world):
    client.force_login(world.applicant)
    draft = start_draft(client, world)
    refresh = reverse("applications:draft_refresh", args=[draft.form_token])
    shown = client.post(refresh, {"s:employed": "yes", "f:kind": "b"}).content.decode()
    assert 'name="f:employer"' in shown and 'name="f:reason_b"' in shown and "收入证明" in shown
    draft.refresh_from_db()
    assert draft.situation == {"employed": "yes"} and draft.data["kind"] == "b"
    hidden = client.post(refresh, {"s:employed": "no", "f:kind": "a"}).content.decode()
    assert 'name="f:employer"' not in hidden and 'name="f:reason_b"' not in hidden


def test_submitting_creates_one_case_shows_the_query_code_once_and_deletes_the_draft(client, world):
    client.force_login(world.applicant)
    draft = start_draft(client, world)
    url = reverse("applications:draft", args=[draft.form_token])
    response = client.post(url, answers(world.applicant, action="submit"))
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get(applicant=world.applicant)
    assert response["Location"] == reverse("applications:submitted", args=[case.number])
    assert case.idempotency_key == draft.form_token and not Draft.objects.filter(pk=draft.pk).exists()
    assert CaseMaterial.objects.filter(case=case).count() == 2
    confirmation = client.get(response["Location"])
    code = confirmation.context["query_code"]
    assert code and code in confirmation.content.decode() and case.number in confirmation.content.decode()
    assert confirmation["Cache-Control"] == "no-store"
    again = client.get(response["Location"]).content.decode()
    assert code not in again and "只在提交后显示一次" in again
    assert code not in client.get(reverse("applications:case", args=[case.number])).content.decode()
    receipt = client.get(reverse("applications:receipt", args=[case.number]))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"


def test_a_double_post_of_the_same_form_token_creates_one_case(client, world):
    client.force_login(world.applicant)
    draft = start_draft(client, world)
    url = reverse("applications:draft", args=[draft.form_token])
    first = client.post(url, answers(world.applicant, action="submit"))
    second = client.post(url, answers(world.applicant, action="submit"))
    assert Case.objects.filter(applicant=world.applicant).count() == 1
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]


def test_a_tampered_prefilled_value_is_refused_and_the_draft_keeps_every_answer(client, world):
    client.force_login(world.applicant)
    draft = start_draft(client, world)
    url = reverse("applications:draft", args=[draft.form_token])
    response = client.post(url, answers(world.applicant, action="submit", **{"f:applicant_name": "冒名顶替"}))
    assert response.status_code == 400
    body = response.content.decode()
    assert "预填信息被改动" in body and "已拒绝提交" in body and "您填写的内容已保存在草稿中" in body
    assert not Case.objects.exists()
    draft.refresh_from_db()
    # the answers are kept; the locked field keeps its source's value, never the tampered one
    assert draft.data["phone"] == "13800000000" and draft.data["kind"] == "a"
    assert draft.data["applicant_name"] == world.applicant.full_name
    assert set(draft.materials["uploads"]) == {"applicant_id_card", "application_form"}
    # and the uploads are not asked again: the corrected submission goes through
    resubmitted = answers(world.applicant, action="submit")
    del resubmitted["m:applicant_id_card"], resubmitted["m:application_form"]
    assert client.post(url, resubmitted).status_code == 302
    assert Case.objects.filter(applicant=world.applicant).count() == 1


def test_every_form_error_is_shown_at_once_and_a_missing_upload_named(client, world):
    client.force_login(world.applicant)
    draft = start_draft(client, world)
    posted = answers(world.applicant, action="submit", **{"f:phone": "12", "f:kind": ""})
    del posted["m:application_form"]
    response = client.post(reverse("applications:draft", args=[draft.form_token]), posted)
    assert response.status_code == 400
    body = response.content.decode()
    assert "电话应为11位手机号码" in body and "请选择类别" in body
    assert not Case.objects.exists()


def test_a_saved_draft_is_listed_resumed_and_deleted(client, world):
    client.force_login(world.applicant)
    draft = start_draft(client, world)
    saved = client.post(
        reverse("applications:draft", args=[draft.form_token]), {"action": "save", "f:phone": "13900000000"}
    )
    assert saved.status_code == 302
    listing = client.get(reverse("applications:drafts")).content.decode()
    assert world.implementation.name in listing
    resumed = client.get(reverse("applications:draft", args=[draft.form_token])).content.decode()
    assert 'value="13900000000"' in resumed
    other = UserFactory(level3=True)
    client.force_login(other)
    assert client.get(reverse("applications:draft", args=[draft.form_token])).status_code == 404
    client.force_login(world.applicant)
    client.post(reverse("applications:draft_delete", args=[draft.form_token]))
    assert not Draft.objects.exists()


def test_an_agent_applies_under_a_mandate_covering_the_item_only(client, world):
    holder = UserFactory(level3=True)
    covered = MandateFactory(
        principal_kind=PrincipalKind.PERSON,
        enterprise=None,
        granted_by=holder,
        items=[world.implementation.item],
    )
    page = client_for(client, covered.agent).get(
        reverse("applications:apply", args=[world.implementation.code])
    )
    assert holder.full_name in page.content.decode()
    draft = start_draft(client, world, applicant=f"mandate:{covered.pk}")
    assert draft.holder_code == holder.id_number and draft.mandate == covered
    # another item's mandate cannot be chosen, and a forged choice is refused by the services
    other = MandateFactory(
        principal_kind=PrincipalKind.PERSON,
        enterprise=None,
        granted_by=UserFactory(level3=True),
        items=[ImplementationFactory().item],
    )
    client.force_login(other.agent)
    refused = client.post(
        reverse("applications:apply", args=[world.implementation.code]), {"applicant": f"mandate:{other.pk}"}
    )
    assert refused.status_code == 400 and "授权委托" in refused.content.decode()
    assert not Draft.objects.filter(applicant=other.agent).exists()


def client_for(client, user):
    client.force_login(user)
    return client


def test_an_item_without_an_active_form_is_not_offered(client, world):
    client.force_login(world.applicant)
    response = client.get(reverse("applications:apply", args=[ImplementationFactory().code]))
    assert response.status_code == 404 and "暂未开通网上申报" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(reverse("applications:apply", args=[world.implementation.code]))
    assert response.status_code == 302 and "login" in response["Location"]


# My cases -----------------------------------------------------------------------------------------------


@pytest.fixture
def filed(world):
    case, _created = submit(world, key="filed")
    return case


def people(world, case):
    holder = world.applicant

    def agent_with(**mandate):
        agent = UserFactory(level3=True)
        MandateFactory(
            principal_kind=PrincipalKind.PERSON, enterprise=None, granted_by=holder, agent=agent, **mandate
        )
        return agent

    return {
        "applicant": holder,
        "agent_for_item": agent_with(items=[case.implementation.item]),
        "agent_other_item": agent_with(items=[ImplementationFactory().item]),
        "agent_expired": agent_with(expired=True),
        "other_citizen": UserFactory(level3=True),
        "clerk": world.clerk,
        "clerk_other_department": StaffAssignmentFactory(role=StaffRole.WINDOW_CLERK).user,
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("applicant", True),
        ("agent_for_item", True),
        ("agent_other_item", False),
        ("agent_expired", False),
        ("other_citizen", False),
        ("clerk", False),  # staff handle cases on the workbench, not on the applicant's pages
        ("clerk_other_department", False),
    ],
)
def test_only_the_applicant_side_sees_the_case_pages(client, world, filed, who, sees):
    client.force_login(people(world, filed)[who])
    for name in ("case", "receipt", "withdraw", "submitted"):
        response = client.get(reverse(f"applications:{name}", args=[filed.number]))
        assert (response.status_code != 404) == sees, (name, response.status_code)
    listing = client.get(reverse("applications:mine")).content.decode()
    assert (filed.number in listing) == sees


def test_a_missing_number_and_a_hidden_case_answer_alike(client, world, filed):
    client.force_login(UserFactory(level3=True))
    hidden = client.get(reverse("applications:case", args=[filed.number]))
    missing = client.get(reverse("applications:case", args=["511602202001010000019"]))
    assert hidden.status_code == missing.status_code == 404


def test_anonymous_cannot_open_a_case(client, filed):
    response = client.get(reverse("applications:case", args=[filed.number]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_case_page_shows_timeline_dates_and_how_each_material_was_provided(client, world, filed):
    cases.accept(actor=world.clerk, case=filed)
    client.force_login(world.applicant)
    body = client.get(reverse("applications:case", args=[filed.number])).content.decode()
    filed.refresh_from_db()
    assert "已提交申请，等待受理" in body and "已受理" in body
    assert "法定办结日期" in body and "承诺办结日期" in body
    if filed.promised_due:
        assert filed.promised_due.isoformat() in body
    assert "在线上传" in body and "申请人居民身份证" in body
    assert "撤回申请" in body


def test_a_supplement_notice_is_answered_on_the_case_page_and_the_clock_restarts(client, world, filed):
    cases.accept(actor=world.clerk, case=filed)
    cases.request_supplement(
        actor=world.clerk,
        case=filed,
        items=[
            {"kind": "material", "key": "application_form", "problem": "申请表未签字"},
            {"kind": "field", "key": "phone", "problem": "联系电话无法接通"},
        ],
    )
    client.force_login(world.applicant)
    listing = client.get(reverse("applications:mine")).content.decode()
    assert "待我处理" in listing and "去补正" in listing
    page = client.get(reverse("applications:case", args=[filed.number])).content.decode()
    assert "申请表未签字" in page and "联系电话无法接通" in page and "计时已暂停" in page
    url = reverse("applications:supplement", args=[filed.number])
    # an incomplete answer is refused, naming what is missing
    incomplete = client.post(url, {"f:phone": "13911112222"})
    assert incomplete.status_code == 400 and "全部事项" in incomplete.content.decode()
    done = client.post(url, {"f:phone": "13911112222", "m:application_form": pdf("signed.pdf")})
    assert done.status_code == 302
    filed.refresh_from_db()
    assert filed.status == CaseStatus.ACCEPTED and filed.data["phone"] == "13911112222"
    assert filed.materials.filter(key="application_form", superseded=True).count() == 1
    assert "补正材料已提交" in client.get(reverse("applications:case", args=[filed.number])).content.decode()


def test_withdrawal_asks_for_confirmation_then_closes_the_case(client, world, filed):
    client.force_login(world.applicant)
    url = reverse("applications:withdraw", args=[filed.number])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "确认撤回" in confirm.content.decode()
    filed.refresh_from_db()
    assert filed.status == CaseStatus.SUBMITTED  # nothing happens before the confirmation
    client.post(url, {"reason": "不需要了"})
    filed.refresh_from_db()
    assert filed.status == CaseStatus.WITHDRAWN
    assert "已撤回" in client.get(reverse("applications:case", args=[filed.number])).content.decode()


def test_my_cases_are_paged_by_cursor(client):
    applicant = UserFactory(level3=True)
    made = [CaseFactory(applicant=applicant) for _ in range(23)]
    client.force_login(applicant)
    first = client.get(reverse("applications:mine"))
    assert len(first.context["page"].items) == 20
    cursor = first.context["page"].next_cursor
    second = client.get(reverse("applications:mine"), {"cursor": cursor})
    shown = {case.number for case in first.context["page"].items} | {
        case.number for case in second.context["page"].items
    }
    assert shown == {case.number for case in made}


# The public status query ------------------------------------------------------------------------------------


def test_the_public_query_shows_the_status_without_personal_data(client, world, filed):
    response = client.post(
        reverse("applications:query"), {"number": filed.number, "query_code": filed.query_code}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "已提交，待受理" in body and filed.number in body
    assert world.applicant.full_name not in body and world.applicant.id_number not in body
    assert "13800000000" not in body


def test_a_wrong_query_code_gives_nothing_and_guessing_is_throttled(client, world, filed, settings):
    settings.APPLICATIONS_QUERY_NUMBER_FAILURE_LIMIT = 3
    url = reverse("applications:query")
    wrong = client.post(url, {"number": filed.number, "query_code": "WRONG-CODE"})
    assert wrong.status_code == 404 and "办件编号或查询码不正确" in wrong.content.decode()
    assert wrong.context["result"] is None and "已提交，待受理" not in wrong.content.decode()
    for _ in range(2):
        client.post(url, {"number": filed.number, "query_code": "WRONG-CODE"})
    # past the limit even the right code waits for the window to pass
    blocked = client.post(url, {"number": filed.number, "query_code": filed.query_code})
    assert blocked.status_code == 429 and blocked.context["result"] is None


def test_the_query_page_takes_the_number_from_the_receipts_qr(client, filed):
    page = client.get(reverse("applications:query"), {"number": filed.number})
    assert page.status_code == 200 and f'value="{filed.number}"' in page.content.decode()


def test_a_decided_case_links_its_result_license_and_decision_document(client, world, filed):
    from django.core.files.base import ContentFile

    from yiwang.licenses.tests.factories import make_license

    license = make_license(holder=world.applicant)
    filed.status, filed.decision, filed.decision_reason = CaseStatus.APPROVED, "approve", "符合条件"
    filed.result_license = license
    filed.decision_document.save("decision.pdf", ContentFile(PDF), save=False)
    filed.save()
    client.force_login(world.applicant)
    page = client.get(reverse("applications:case", args=[filed.number])).content.decode()
    assert reverse("licenses:detail", args=[license.identifier]) in page
    assert reverse("applications:decision", args=[filed.number]) in page and "符合条件" in page
    download = client.get(reverse("applications:decision", args=[filed.number]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    client.force_login(UserFactory(level3=True))
    assert client.get(reverse("applications:decision", args=[filed.number])).status_code == 404


def test_a_legal_representative_applies_for_the_enterprise(client, world):
    from yiwang.identity.tests.factories import EnterpriseFactory

    enterprise = EnterpriseFactory()
    representative = enterprise.representative
    client.force_login(representative)
    url = reverse("applications:apply", args=[world.implementation.code])
    # an item for persons only: the enterprise is named but cannot be chosen
    assert "本事项不面向企业办理" in client.get(url).content.decode()
    item = world.implementation.item
    item.audiences = ["person", "enterprise"]
    item.save(update_fields=["audiences"])
    page = client.get(url).content.decode()
    assert f"为本企业申请：{enterprise.name}" in page and "本事项不面向企业办理" not in page
    draft = start_draft(client, world, applicant=f"enterprise:{enterprise.credit_code}")
    assert (draft.applicant_kind, draft.holder_code, draft.mandate) == (
        "enterprise",
        enterprise.credit_code,
        None,
    )
    shown = client.get(reverse("applications:draft", args=[draft.form_token])).content.decode()
    assert "我是法定代表人" in shown
