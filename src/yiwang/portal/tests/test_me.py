"""我的空间: a citizen sees their own things and what needs their action first; nobody else sees them;
anonymous visitors are sent to log in; staff are sent to their workbench; 一企一档 for their enterprises."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from yiwang.applications.constants import CaseStatus
from yiwang.applications.models import VaultItem
from yiwang.applications.tests.factories import CaseFactory
from yiwang.identity.models import FavouriteService
from yiwang.identity.tests.factories import EnterpriseFactory, MandateFactory, UserFactory
from yiwang.supervision.constants import EvaluationChannel, EvaluationStage
from yiwang.supervision.models import EvaluationInvitation

pytestmark = pytest.mark.django_db


def _invite(case, user):
    EvaluationInvitation.objects.create(
        case=case,
        stage=EvaluationStage.SERVICE,
        channel=EvaluationChannel.WEB,
        invitee=user,
        expires_at=timezone.now() + dt.timedelta(days=10),
    )


@pytest.fixture
def citizen_world():
    owner = UserFactory(level3=True)
    supplement = CaseFactory(applicant=owner, status=CaseStatus.SUPPLEMENT)
    approved = CaseFactory(applicant=owner, status=CaseStatus.APPROVED, closed_at=timezone.now())
    _invite(approved, owner)
    quiet = CaseFactory(applicant=owner, status=CaseStatus.ACCEPTED)
    VaultItem.objects.create(
        holder_code=owner.id_number, owner=owner, material_key="photo", name="本人近期证件照", sha256="0" * 64
    )
    return {"owner": owner, "supplement": supplement, "approved": approved, "quiet": quiet}


def test_the_header_links_to_my_space_on_every_page(client):
    user = UserFactory()
    client.force_login(user)
    for url in ["/", reverse("identity:account"), reverse("portal:region")]:
        assert reverse("portal:me") in client.get(url).content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in [
        reverse("portal:me"),
        reverse("portal:me_vault"),
        reverse("portal:me_enterprise", args=["X"]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_my_space_puts_what_needs_my_action_first(client, citizen_world):
    client.force_login(citizen_world["owner"])
    page = client.get(reverse("portal:me")).content.decode()
    todo = page[page.index('id="me-todo"') : page.index('id="me-cases"')]
    assert 'data-testid="me-action-supplement"' in todo and citizen_world["supplement"].number in todo
    assert 'data-testid="me-action-collect"' in todo and 'data-testid="me-action-rate"' in todo
    assert citizen_world["approved"].number in todo
    assert citizen_world["quiet"].number not in todo  # accepted and waiting: nothing for me to do
    for link in ["licenses:mine", "portal:me_vault", "licenses:consents", "portal:data_uses"]:
        assert reverse(link) in page
    assert reverse("supervision:my_evaluations") in page and reverse("supervision:feedback_mine") in page


def test_a_rated_case_is_no_longer_asked_for(client, citizen_world):
    from yiwang.supervision.models import Evaluation

    case = citizen_world["approved"]
    Evaluation.objects.create(
        case=case,
        stage=EvaluationStage.SERVICE,
        level=5,
        channel=EvaluationChannel.WEB,
        rater=citizen_world["owner"],
        department=case.department,
        region=case.region,
    )
    client.force_login(citizen_world["owner"])
    assert 'data-testid="me-action-rate"' not in client.get(reverse("portal:me")).content.decode()


def test_another_citizen_sees_nothing_of_mine(client, citizen_world):
    client.force_login(UserFactory(level3=True))
    page = client.get(reverse("portal:me")).content.decode()
    vault = client.get(reverse("portal:me_vault")).content.decode()
    for case in ("supplement", "approved", "quiet"):
        assert citizen_world[case].number not in page
    assert "本人近期证件照" not in vault


def test_my_vault_lists_my_valid_materials(client, citizen_world):
    owner = citizen_world["owner"]
    VaultItem.objects.create(
        holder_code=owner.id_number,
        owner=owner,
        material_key="old",
        name="过期的户口簿",
        sha256="1" * 64,
        valid_until=timezone.localdate() - dt.timedelta(days=1),
    )
    client.force_login(owner)
    page = client.get(reverse("portal:me_vault")).content.decode()
    assert "本人近期证件照" in page and "过期的户口簿" not in page


def test_staff_get_their_workbench_instead_of_a_citizen_page(client):
    staff = UserFactory(staff=True)
    client.force_login(staff)
    page = client.get(reverse("portal:me")).content.decode()
    assert reverse("applications:workbench") in page and 'data-testid="staff-admin"' in page
    assert 'id="me-todo"' not in page
    assert 'data-testid="header-workbench"' in client.get("/").content.decode()


def test_viewed_guides_are_remembered_and_can_be_kept(client, guide):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("portal:guide", args=[guide.code])).status_code == 200
    client.get(reverse("portal:guide", args=["no-such-guide"]))
    page = client.get(reverse("portal:me")).content.decode()
    recent = page[page.index('id="me-recent"') :]
    assert guide.name in recent
    client.post(reverse("portal:me_favourite"), {"code": guide.code})
    assert FavouriteService.objects.filter(user=user, implementation=guide).exists()
    client.post(reverse("portal:me_favourite"), {"code": guide.code, "action": "remove"})
    assert not FavouriteService.objects.filter(user=user).exists()
    # a code that is not a guide is refused with a message, not a crash
    assert client.post(reverse("portal:me_favourite"), {"code": "nope"}).status_code == 302


def test_an_anonymous_guide_view_opens_no_session(client, guide):
    response = client.get(reverse("portal:guide", args=[guide.code]))
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_enterprise_space_for_its_representative_and_agent_only(client):
    enterprise = EnterpriseFactory()
    case = CaseFactory(applicant=enterprise.representative, holder_code=enterprise.credit_code)
    agent = MandateFactory(enterprise=enterprise).agent
    url = reverse("portal:me_enterprise", args=[enterprise.credit_code])
    for who in (enterprise.representative, agent):
        client.force_login(who)
        assert enterprise.name in client.get(reverse("portal:me")).content.decode()
        page = client.get(url)
        assert page.status_code == 200 and case.number in page.content.decode()
    client.force_login(UserFactory(level3=True))
    assert client.get(url).status_code == 404
    assert client.get(reverse("portal:me_enterprise", args=["nonsense"])).status_code == 404
