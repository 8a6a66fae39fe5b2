"""The pages: the citizen's objections (own only), the department's workbench (own department only,
keys masked except to the holder), overdue flags, and the way in for every kind of user."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.conftest import login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory, UserFactory
from yiwang.quality.constants import FindingStatus, ObjectionStatus
from yiwang.quality.models import Finding, Objection
from yiwang.quality.services import run_quality_checks
from yiwang.registers.models import Person
from yiwang.registers.tests.factories import PersonFactory

from .factories import enrolment, make_quality_world

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def world():
    return make_quality_world()


@pytest.fixture
def alice():
    user = UserFactory(level3=True)
    PersonFactory(id_number=user.id_number, household_address="广安区错误路1号")
    return user


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _object(client, citizen, **extra):
    form = {
        "record": f"population|{citizen.id_number}",
        "item": "household_address",
        "proposed_value": "广安区正确路8号",
        "description": "门牌号登记错误",
        "evidence_text": "户口簿第2页",
        **extra,
    }
    return client.post("/me/objections/new", form)


def test_a_citizen_objects_on_the_page_and_the_department_accepts(client, world, alice, media):
    # given alice on her objections page with a PNG as evidence
    client.force_login(alice)
    assert "提出异议" in client.get("/me/objections").content.decode()
    response = _object(client, alice, evidence_file=SimpleUploadedFile("证明.png", PNG, "image/png"))
    assert response.status_code == 302, response.content.decode()
    objection = Objection.objects.get()
    assert "待处理" in client.get(f"/me/objections/{objection.pk}").content.decode()
    assert b"".join(client.get(f"/me/objections/{objection.pk}/evidence").streaming_content) == PNG
    # when the police data administrator accepts it on /quality/objections
    client.logout()
    login_with_second_factor(client, world.police_admin)
    listing = client.get("/quality/objections").content.decode()
    assert "户籍地址" in listing and alice.id_number not in listing  # masked in lists
    assert client.get(f"/quality/objections/{objection.pk}/evidence").status_code == 200
    decided = client.post(f"/quality/objections/{objection.pk}", {"accept": "1"})
    assert decided.status_code == 302
    # then the register is corrected and alice sees the new status
    assert Person.objects.get(id_number=alice.id_number).household_address == "广安区正确路8号"
    client.logout()
    client.force_login(alice)
    page = client.get(f"/me/objections/{objection.pk}").content.decode()
    assert "已更正" in page and "广安区正确路8号" in page


def test_bad_input_on_the_page_is_a_400_with_the_message(client, world, alice, media):
    client.force_login(alice)
    response = _object(client, alice, proposed_value="广安区错误路1号")
    assert response.status_code == 400 and "正确值与登记值相同" in response.content.decode()
    fake = SimpleUploadedFile("a.pdf", b"<html>not a pdf</html>", "application/pdf")
    response = _object(client, alice, evidence_text="", evidence_file=fake)
    assert response.status_code == 400 and "只接受 PDF、PNG 或 JPEG" in response.content.decode()
    assert not Objection.objects.exists()


def test_nobody_else_sees_a_citizens_objection(client, world, alice, media):
    client.force_login(alice)
    _object(client, alice, evidence_file=SimpleUploadedFile("证明.png", PNG, "image/png"))
    objection = Objection.objects.get()
    bob = UserFactory(level3=True)
    clerk = StaffAssignmentFactory(department=world.police, role=StaffRole.WINDOW_CLERK).user
    for outsider in (bob,):
        client.force_login(outsider)
        assert client.get(f"/me/objections/{objection.pk}").status_code == 404
        assert client.get(f"/me/objections/{objection.pk}/evidence").status_code == 404
        assert alice.id_number not in client.get("/me/objections").content.decode()
    for staff in (world.market_admin, world.civil_admin, clerk):
        client.logout()
        login_with_second_factor(client, staff)
        assert client.get(f"/quality/objections/{objection.pk}").status_code == 404
        assert client.get(f"/quality/objections/{objection.pk}/evidence").status_code == 404
        client.post(f"/quality/objections/{objection.pk}", {"accept": "1"})
    assert Objection.objects.get().status == ObjectionStatus.SUBMITTED
    client.logout()
    assert client.get("/me/objections").status_code == 302  # to the login
    assert client.get("/quality/objections").status_code == 302
    client.force_login(bob)
    assert client.get("/quality/objections").status_code == 403  # not staff


def test_the_quality_admin_pages_are_not_in_the_admin(admin_client, world):
    assert admin_client.get("/admin/quality/objection/").status_code == 404
    assert admin_client.get("/admin/quality/finding/").status_code == 404


def test_findings_are_masked_except_to_the_holder_and_overdue_ones_flagged(client, world):
    dead = PersonFactory(is_deceased=True)
    enrolment(dead.id_number)
    PersonFactory(ethnicity="")
    run_quality_checks(resource=world.population)
    run_quality_checks(resource=world.social_insurance)
    Finding.objects.update(due_on=dt.date(2020, 1, 6))
    conflict = Finding.objects.get(rule_id="social_insurance.deceased_still_contributing")
    # the police see their own finding, overdue, and not the insurance one
    login_with_second_factor(client, world.police_admin)
    page = client.get("/quality/").content.decode()
    assert page.count('data-testid="finding"') == 1 and page.count('class="overdue"') == 1
    assert "RK-511602-0001" in page and "SB-511602-0001" in page  # the scores of every resource
    assert client.get(f"/quality/findings/{conflict.pk}").status_code == 404
    # the holder of the insured record sees it masked in the list, in full on its page, and works it
    client.logout()
    login_with_second_factor(client, world.insurance_admin)
    page = client.get("/quality/").content.decode()
    assert page.count('data-testid="finding"') == 1 and dead.id_number not in page
    detail = client.get(f"/quality/findings/{conflict.pk}").content.decode()
    assert dead.id_number in detail and "提交复核" in detail
    response = client.post(f"/quality/findings/{conflict.pk}/fixed", {"note": ""}, follow=True)
    assert "复核仍未通过" in response.content.decode()
    client.post(f"/quality/findings/{conflict.pk}/dismiss", {"explanation": "该人员死亡登记有误，已另行核查"})
    assert Finding.objects.get(pk=conflict.pk).status == FindingStatus.FALSE_POSITIVE
    # a third department sees no finding at all
    client.logout()
    login_with_second_factor(client, world.civil_admin)
    assert 'data-testid="finding"' not in client.get("/quality/").content.decode()
    assert client.get(f"/quality/findings/{conflict.pk}").status_code == 404


def test_the_tracker_and_the_account_page_link_to_objections(client, alice):
    client.force_login(alice)
    for page in ("/me/data-uses", "/accounts/"):
        html = client.get(page, follow=True).content.decode()
        assert "数据有误？提出异议" in html and "/me/objections" in html
