"""The card rule in the admin: the platform administrator sets the default and any department's rule, a
supervisor the rules of the departments in their region; everyone else is refused; every change audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from yiwang.applications.tests.cases_world import OTHER_COUNTY
from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import DepartmentFactory, region_by_code
from yiwang.conftest import login_with_second_factor
from yiwang.core.errors import InvalidInput, PermissionDenied
from yiwang.identity.constants import StaffRole
from yiwang.identity.services import sync_admin_access
from yiwang.identity.tests.factories import StaffAssignmentFactory
from yiwang.supervision.constants import AuditAction
from yiwang.supervision.models import CardRule
from yiwang.supervision.services import cards

from .cards_world import make_cards_world

pytestmark = pytest.mark.django_db

ADD = "admin:supervision_cardrule_add"
LIST = "admin:supervision_cardrule_changelist"


@pytest.fixture
def world():
    world = make_cards_world()
    world.people["platform_admin"] = StaffAssignmentFactory(role=StaffRole.PLATFORM_ADMIN).user
    for user in world.people.values():
        sync_admin_access(user=user)
    return world


def _admin(world, who: str) -> Client:
    client = Client()
    login_with_second_factor(client, world.people[who])
    return client


def _post_rule(client: Client, department, days=3, percent=25):
    data = {"department": department.pk if department else "", "yellow_days_left": days}
    data["yellow_percent_left"] = percent
    return client.post(reverse(ADD), data)


def test_a_supervisor_sets_a_departments_rule_in_their_region_and_it_is_audited(world):
    client = _admin(world, "supervisor")
    response = _post_rule(client, world.department)
    assert response.status_code == 302
    assert cards.rule_for(department_id=world.department.pk) == cards.Rule(3, 25)
    entry = AuditEntry.objects.get(action=AuditAction.CARD_RULE_CHANGED)
    assert entry.actor_id == world.people["supervisor"].pk and entry.actor_role == StaffRole.SUPERVISOR
    assert entry.department_id == world.department.pk
    assert entry.details["before"] is None and entry.details["after"] == {
        "yellow_days_left": 3,
        "yellow_percent_left": 25,
    }
    # the change page edits it through the service: the values before are kept in the audit log
    rule = CardRule.objects.get(department=world.department)
    url = reverse("admin:supervision_cardrule_change", args=[rule.pk])
    assert client.post(url, {"yellow_days_left": 1, "yellow_percent_left": 10}).status_code == 302
    last = AuditEntry.objects.filter(action=AuditAction.CARD_RULE_CHANGED).latest("pk")
    assert last.details["before"] == {"yellow_days_left": 3, "yellow_percent_left": 25}
    assert cards.rule_for(department_id=world.department.pk) == cards.Rule(1, 10)


def test_a_supervisor_neither_sees_nor_sets_rules_beyond_their_region_nor_the_default(world):
    far = DepartmentFactory(region=region_by_code(OTHER_COUNTY))
    CardRule.objects.create(department=far, yellow_days_left=5, yellow_percent_left=5)
    client = _admin(world, "supervisor")
    listing = client.get(reverse(LIST))
    assert listing.status_code == 200 and far.name not in listing.content.decode()
    refused = _post_rule(client, far)
    assert refused.status_code == 200  # the form again, the department not offered
    assert not CardRule.objects.filter(department=far, yellow_days_left=3).exists()
    default = _post_rule(client, None)
    assert default.status_code == 200 and not CardRule.objects.filter(department=None).exists()
    far_rule = CardRule.objects.get(department=far)
    assert client.get(reverse("admin:supervision_cardrule_change", args=[far_rule.pk])).status_code in (
        302,
        403,
        404,
    )
    assert not AuditEntry.objects.filter(action=AuditAction.CARD_RULE_CHANGED).exists()


def test_the_platform_administrator_sets_the_default_and_removes_a_departments_rule(world):
    client = _admin(world, "platform_admin")
    assert _post_rule(client, None, days=1, percent=10).status_code == 302
    assert cards.default_rule() == cards.Rule(1, 10)
    assert _post_rule(client, world.department).status_code == 302
    rule = CardRule.objects.get(department=world.department)
    delete = reverse("admin:supervision_cardrule_delete", args=[rule.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert cards.rule_for(department_id=world.department.pk) == cards.Rule(1, 10)  # back to the default
    removed = AuditEntry.objects.filter(action=AuditAction.CARD_RULE_CHANGED).latest("pk")
    assert removed.details["after"] is None and removed.actor_role == StaffRole.PLATFORM_ADMIN
    default = CardRule.objects.get(department=None)
    delete_default = reverse("admin:supervision_cardrule_delete", args=[default.pk])
    assert client.post(delete_default, {"post": "yes"}).status_code == 403


@pytest.mark.parametrize("who", ["handler", "head", "head_other_department", "citizen"])
def test_others_cannot_open_the_rule_admin(world, who):
    client = _admin(world, who)
    assert client.get(reverse(LIST)).status_code in (302, 403)
    assert _post_rule(client, world.department).status_code in (302, 403)
    assert not CardRule.objects.exists()


def test_the_service_refuses_out_of_range_values_and_people_without_authority(world):
    supervisor = world.people["supervisor"]
    with pytest.raises(InvalidInput):
        cards.set_card_rule(
            actor=supervisor, department=world.department, yellow_days_left=31, yellow_percent_left=10
        )
    with pytest.raises(InvalidInput):
        cards.set_card_rule(
            actor=supervisor, department=world.department, yellow_days_left=2, yellow_percent_left=101
        )
    for who in ("head", "handler", "supervisor_other_region"):
        with pytest.raises(PermissionDenied):
            cards.set_card_rule(
                actor=world.people[who],
                department=world.department,
                yellow_days_left=2,
                yellow_percent_left=20,
            )
    with pytest.raises(PermissionDenied):
        cards.set_card_rule(actor=supervisor, department=None, yellow_days_left=2, yellow_percent_left=20)
    assert not CardRule.objects.exists()
