"""License pages found hard to use as a citizen (issue 12): readable lists, 亮证 by GET with a renewing
QR code, the type picker and schema form for issuing, and the department picker for consent."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.licenses import views_show
from yiwang.licenses.forms import SURFACE_PREFIX, IssueForm
from yiwang.licenses.models import Consent, License, LicenseType, ShowToken
from yiwang.licenses.services import create_consent_request
from yiwang.licenses.services.validation import schema_errors

from .conftest import log_in
from .factories import DepartmentFactory, LicenseTypeFactory, StaffAssignmentFactory

pytestmark = pytest.mark.django_db

_SHOW_LINK = re.compile(r'id="show-link" href="[^"]*/licenses/show/([^"]+)"')


def _show_token(page: str) -> str:
    return _SHOW_LINK.search(page).group(1)


# --- readable pages -----------------------------------------------------------------------------------


def test_my_licenses_lists_type_names_and_the_holder_as_me(client, world):
    log_in(client, world.holder)
    page = client.get("/licenses/").content.decode()
    title = re.search(r'data-testid="license-name"[^>]*>([^<]+)<', page).group(1)
    assert title == world.license.license_type.name
    assert world.license.license_type.code not in title
    assert "本人" in page and "<table" not in page  # cards, not a five-column table


def test_an_agent_sees_the_principal_masked(client, world):
    log_in(client, world.agent)
    page = client.get("/licenses/").content.decode()
    assert world.license.license_type.name in page
    assert world.holder.full_name not in page and world.holder.full_name[0] + "*" in page


def test_consents_page_names_licenses_not_identifiers(client, world):
    log_in(client, world.holder)
    page = client.get("/licenses/consents/").content.decode()
    consents = page.split('id="consents"')[1].split("</table>")[0]
    assert world.license.license_type.name in consents
    assert world.license.identifier not in consents
    uses = page.split('id="uses"')[1]
    assert world.license.license_type.name in uses  # with the identifier in small print below


def test_window_consent_offers_holders_by_masked_name(client, world):
    _, token = create_consent_request(
        actor=world.requester,
        requester=world.requester_department,
        license_type=world.license.license_type,
        purpose="窗口办理",
        consent_days=1,
    )
    log_in(client, world.holder)
    page = client.get(f"/licenses/consent-requests/{token}").content.decode()
    option = re.search(r'<option value="([^"]+)">([^<]+)</option>', page)
    assert option.group(1) == world.holder.id_number
    assert "本人" in option.group(2) and world.holder.id_number not in option.group(2)


# --- 亮证 by GET --------------------------------------------------------------------------------------


def test_showing_is_a_get_page_and_a_refresh_shows_the_same_code(client, world):
    log_in(client, world.holder)
    detail = client.get(f"/licenses/{world.license.identifier}/").content.decode()
    assert f'href="/licenses/{world.license.identifier}/show"' in detail  # a link, not a POST form
    first = client.get(f"/licenses/{world.license.identifier}/show")
    assert first.status_code == 200 and "no-store" in first["Cache-Control"]
    again = client.get(f"/licenses/{world.license.identifier}/show")
    assert _show_token(again.content.decode()) == _show_token(first.content.decode())
    assert ShowToken.objects.count() == 1
    assert client.post(f"/licenses/{world.license.identifier}/show").status_code == 405
    state = client.get(f"/licenses/{world.license.identifier}/show.json").json()
    assert state["url"].endswith(_show_token(first.content.decode())) and "<svg" in state["qr_svg"]
    assert state["renew_in"] > 200  # renewed a minute before the five minutes are up


def _age_current_token(client, identifier: str, *, seconds_left: int) -> None:
    session = client.session
    shown = session[views_show.SESSION_KEY]
    shown[identifier]["expires_at"] = (timezone.now() + dt.timedelta(seconds=seconds_left)).isoformat()
    session[views_show.SESSION_KEY] = shown
    session.save()


def test_the_code_is_renewed_before_it_expires_and_the_old_one_lapses(client, world):
    # given a code shown a little over four minutes ago
    log_in(client, world.holder)
    identifier = world.license.identifier
    old = _show_token(client.get(f"/licenses/{identifier}/show").content.decode())
    _age_current_token(client, identifier, seconds_left=50)
    # when the page polls
    state = client.get(f"/licenses/{identifier}/show.json").json()
    # then it gets a new code, and says so
    new = state["url"].rsplit("/", 1)[1]
    assert new != old and "已更新" in state["message"]
    assert ShowToken.objects.count() == 2
    # the old code still verifies for the rest of its own short life, then is refused
    client.logout()
    assert client.get(f"/licenses/show/{old}").status_code == 200
    ShowToken.objects.exclude(expires_at=ShowToken.objects.latest("pk").expires_at).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client.get(f"/licenses/show/{old}").status_code == 404
    assert client.get(f"/licenses/show/{new}").status_code == 200


@pytest.mark.parametrize("who", ["other_citizen", "requester", "issuer_staff", "anonymous"])
def test_nobody_else_sees_a_holders_show_page(client, world, who):
    if who != "anonymous":
        log_in(client, getattr(world, who))
    for path in ("show", "show.json"):
        response = client.get(f"/licenses/{world.license.identifier}/{path}")
        assert response.status_code in (302, 404)
        assert world.holder.full_name not in response.content.decode()
    assert ShowToken.objects.count() == 0


def test_the_show_page_masks_the_holders_name(client, world):
    log_in(client, world.holder)
    page = client.get(f"/licenses/{world.license.identifier}/show").content.decode()
    main = page.split('id="main"')[1]  # the header names the logged-in person, as on every page
    assert world.holder.full_name not in main and world.holder.full_name[0] + "*" in main
    assert "<script" in page and "licenses/show" in page and "onclick" not in page


# --- issuing: the type picker and the schema form --------------------------------------------------


@pytest.fixture
def issuing(world):
    restricted = LicenseTypeFactory(name="别的部门才能签发的证照")
    restricted.issuing_departments.add(DepartmentFactory())
    mine = LicenseTypeFactory(name="本部门的测试证照")
    mine.issuing_departments.add(world.license.issuer)
    return {"mine": mine, "restricted": restricted}


def test_issue_picker_lists_only_the_types_the_staff_may_issue_by_name(client, world, issuing):
    log_in(client, world.issuer_staff)
    page = client.get("/licenses/issue").content.decode()
    picker = page.split('id="type-picker"')[1].split("</form>")[0]
    assert f'<option value="{issuing["mine"].code}">本部门的测试证照</option>' in picker
    assert issuing["restricted"].code not in picker
    assert 'name="surface"' not in page and "JSON" not in page
    refused = client.get("/licenses/issue", {"type": issuing["restricted"].code}).content.decode()
    assert "请从列表中选择您可以签发的证照类型" in refused


def test_issue_form_is_built_from_the_types_fields(client, world, issuing):
    log_in(client, world.issuer_staff)
    page = client.get("/licenses/issue", {"type": issuing["mine"].code}).content.decode()
    assert 'data-testid="issue-type-name">本部门的测试证照<' in page
    assert 'name="surface__name"' in page and '<select name="surface__grade"' in page
    assert '<option value="二级">二级</option>' in page


def _issue_data(world, license_type, **surface) -> dict:
    data = {
        "type": license_type.code,
        "issuer_credit_code": world.license.issuer.credit_code,
        "holder_code": world.other_citizen.id_number,
        "holder_name": world.other_citizen.full_name,
        "valid_until": "",
    }
    data.update({SURFACE_PREFIX + key: value for key, value in surface.items()})
    return data


def test_issue_form_errors_are_in_chinese_and_nothing_is_issued(client, world, issuing):
    log_in(client, world.issuer_staff)
    page = client.post(
        "/licenses/issue", _issue_data(world, issuing["mine"], name="", grade="三级")
    ).content.decode()
    assert "这个字段是必填项" in page and "选择一个有效的选项" in page
    assert not License.objects.filter(license_type=issuing["mine"]).exists()


def test_issue_form_issues_what_was_picked(client, world, issuing):
    log_in(client, world.issuer_staff)
    response = client.post(
        "/licenses/issue",
        _issue_data(world, issuing["mine"], name=world.other_citizen.full_name, grade="二级"),
    )
    assert response.status_code == 302
    issued = License.objects.get(license_type=issuing["mine"])
    assert issued.surface == {"name": world.other_citizen.full_name, "grade": "二级"}
    assert issued.issued_by == world.issuer_staff


def test_a_citizen_and_a_clerk_still_cannot_issue(client, world, issuing):
    data = _issue_data(world, issuing["mine"], name="某某")
    log_in(client, world.holder)
    assert client.post("/licenses/issue", data).status_code == 403
    log_in(client, StaffAssignmentFactory(role="window_clerk").user)
    assert client.post("/licenses/issue", data).status_code == 404
    assert not License.objects.filter(license_type=issuing["mine"]).exists()


_CATALOG = json.loads((Path(__file__).parents[1] / "data" / "license_types.json").read_text("utf-8"))
_ID_CARD = LicenseType(
    **{key: value for key, value in _CATALOG["types"][0].items() if key != "validity_years"}
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    values=st.fixed_dictionaries(
        {
            name: st.one_of(
                st.text(max_size=30), st.sampled_from(["男", "女", "2020-02-29", "51160219900307001X"])
            )
            for name in _ID_CARD.field_schema["properties"]
        }
    )
)
def test_what_the_generated_form_accepts_the_schema_accepts(values):
    form = IssueForm(
        {
            "type": _ID_CARD.code,
            "issuer_credit_code": "",
            "holder_code": "x",
            "holder_name": "x",
            **{SURFACE_PREFIX + key: value for key, value in values.items()},
        },
        license_type=_ID_CARD,
    )
    form.is_valid()
    surface_errors = [name for name in form.errors if name.startswith(SURFACE_PREFIX)]
    if not surface_errors:
        assert schema_errors(license_type=_ID_CARD, surface=form.surface()) == []


# --- consent: the department picker -----------------------------------------------------------------


def test_consent_offers_departments_by_name_and_finds_them(client, world):
    wanted = DepartmentFactory(name="广安市不动产登记中心")
    log_in(client, world.holder)
    page = client.get(f"/licenses/{world.license.identifier}/").content.decode()
    assert f'<option value="{wanted.credit_code}">广安市不动产登记中心</option>' in page
    assert "统一社会信用代码" not in page
    found = client.get(f"/licenses/{world.license.identifier}/", {"department_q": "不动产"}).content.decode()
    options = re.findall(r'<option value="([0-9A-Z]{18})"', found.split('name="requester_credit_code"')[1])
    assert options == [wanted.credit_code]
    none = client.get(f"/licenses/{world.license.identifier}/", {"department_q": "火星"}).content.decode()
    assert "未找到名称含“火星”的部门" in none and wanted.credit_code in none


def test_consent_to_the_picked_department_and_a_bad_value_is_explained(client, world):
    wanted = DepartmentFactory(name="广安市不动产登记中心")
    log_in(client, world.holder)
    url = f"/licenses/{world.license.identifier}/consent"
    refused = client.post(url, {"requester_credit_code": "91510000000000000X", "purpose": "过户", "days": 3})
    assert refused.status_code == 302
    page = client.get(refused["Location"]).content.decode()
    assert "请从列表中选择用证部门" in page
    assert not Consent.objects.filter(purpose="过户").exists()
    client.post(url, {"requester_credit_code": wanted.credit_code, "purpose": "过户", "days": 3})
    assert Consent.objects.get(purpose="过户").requester == wanted


def test_nobody_else_can_consent_on_a_holders_license(client, world):
    log_in(client, world.other_citizen)
    url = f"/licenses/{world.license.identifier}/consent"
    data = {"requester_credit_code": world.requester_department.credit_code, "purpose": "冒用", "days": 3}
    assert client.post(url, data).status_code == 404
    assert not Consent.objects.filter(purpose="冒用").exists()
