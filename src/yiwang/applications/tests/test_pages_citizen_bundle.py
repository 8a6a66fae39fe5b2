"""The citizen pages with the demo catalog and forms: the guide's and the bundle's "在线申请" entries,
one form for the 二手房转移登记 bundle, and a bundle's page with its parts and its critical path."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from yiwang.applications.demo import HOUSE_SITUATION
from yiwang.applications.models import Case, Draft
from yiwang.applications.services import bundles, payments
from yiwang.applications.services.forms import load_demo_forms
from yiwang.applications.services.processes import load_default_processes
from yiwang.catalog.models import Bundle, Implementation
from yiwang.identity.tests.factories import UserFactory

from .factories import CaseFactory
from .forms_world import load_demo_catalog

pytestmark = pytest.mark.django_db

TRANSFER = "00017200800201-511602000000-000-11511301MB1550442U-1-00"  # 转移登记
BUNDLE = "second-hand-house-transfer"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


@pytest.fixture
def demo():
    load_demo_catalog()
    load_demo_forms()
    load_default_processes()


def bundle_case(citizen, **fields) -> Case:
    """The citizen's submitted 二手房转移登记 bundle application (its parts not fanned out yet)."""
    bundle = Bundle.objects.select_related("lead_department", "region").get(code=BUNDLE)
    return CaseFactory(
        implementation=None,
        bundle=bundle,
        department=bundle.lead_department,
        region=bundle.region,
        applicant=citizen,
        data={"applicant_name": citizen.full_name},
        **fields,
    )


def test_the_guide_and_the_bundle_page_offer_online_application_only_with_forms(client, demo):
    guide = client.get(reverse("portal:guide", args=[TRANSFER])).content.decode()
    assert reverse("applications:apply", args=[TRANSFER]) in guide and "在线申请" in guide
    bundle = client.get(reverse("portal:bundle", args=[BUNDLE])).content.decode()
    assert reverse("applications:apply_bundle", args=[BUNDLE]) in bundle
    without = Implementation.objects.filter(is_active=True).exclude(
        code__in=[TRANSFER, *Implementation.objects.none()]
    )
    plain = next(one for one in without if not one.code.startswith(("000172", "511F", "512", "513A", "511A")))
    assert "在线申请" not in client.get(reverse("portal:guide", args=[plain.code])).content.decode()


def test_a_bundle_is_applied_for_with_one_form_and_one_set_of_materials(client, demo):
    # the property parts ask for a face check: below it the page sends the applicant to step up
    client.force_login(UserFactory(level3=True))
    short = client.get(reverse("applications:apply_bundle", args=[BUNDLE])).content.decode()
    assert "level-short" in short and "提升实名等级" in short and "start-form" not in short
    citizen = UserFactory(level4=True)
    client.force_login(citizen)
    start = client.get(reverse("applications:apply_bundle", args=[BUNDLE]))
    assert start.status_code == 200 and "分送" in start.content.decode()
    response = client.post(reverse("applications:apply_bundle", args=[BUNDLE]), {"applicant": "self"})
    assert response.status_code == 302, response.context["error"]
    draft = Draft.objects.get(applicant=citizen)
    assert draft.bundle.code == BUNDLE and draft.implementation is None
    page = client.get(response["Location"]).content.decode()
    # each field once, though several parts ask it
    assert page.count('name="f:seller_name"') == 1 and page.count('name="f:property_certificate_number"') == 1
    assert "申请材料" in page and 'data-testid="materials-to-upload"' in page
    # the name is locked from the register-checked account
    assert "来自 实名账户，已核验" in page


def test_a_bundles_page_shows_its_parts_and_which_one_holds_it_up(client, demo):
    citizen = UserFactory(level3=True)
    parent = bundle_case(citizen)
    children = bundles.fan_out(parent=parent)
    today = timezone.localdate()
    for offset, child in enumerate(children):
        Case.objects.filter(pk=child.pk).update(
            status="accepted", promised_due=today + dt.timedelta(days=5 + offset * 3)
        )
    slowest = children[-1]
    client.force_login(citizen)
    page = client.get(reverse("applications:case", args=[parent.number])).content.decode()
    assert "各部门并联办理" in page
    for child in children:
        assert child.number in page
    assert (
        "目前决定整件办结时间的是" in page and slowest.implementation.name in page.split("目前决定")[1][:200]
    )
    # a part's page leads back to the whole
    part = client.get(reverse("applications:case", args=[children[0].number])).content.decode()
    assert reverse("applications:case", args=[parent.number]) in part
    # the parts cannot be withdrawn one by one
    assert "withdraw-link" not in part


def test_a_bundles_page_names_the_part_each_fee_is_for(client, demo):
    citizen = UserFactory(level3=True)
    parent = bundle_case(citizen, situation=HOUSE_SITUATION)
    parts = bundles.fan_out(parent=parent)
    charging = [part for part in parts if payments.fees_for_case(case=part).is_payable_online]
    client.force_login(citizen)

    page = client.get(reverse("applications:case", args=[parent.number])).content.decode()

    # two parts charge the same amount: each button says which part it pays for, and leads to it
    assert len(charging) >= 2
    links = [chunk.split("</a>")[0] for chunk in page.split('data-testid="pay-link">')[1:]]
    assert len(links) == len(charging)
    for part in charging:
        href = reverse("applications:pay", args=[part.number])
        [link] = [link for link in links if part.implementation.name in link]
        assert page.count(f'href="{href}" data-testid="pay-link"') == 1 and "缴费" in link
