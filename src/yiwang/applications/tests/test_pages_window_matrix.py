"""The authorization matrix of 一窗受理: every window page, for every kind of visitor.

Window clerks (``application.accept`` in any department) open the window; a consent request, and the
applicant behind it, belong to the clerk who made it: every other clerk gets the same 404 as for a
request that does not exist. Approvers and supervisors have no window; citizens and staff without the
second factor are refused; anonymous visitors are sent to log in. Nothing is submitted by any of them.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from yiwang.applications.constants import Channel
from yiwang.applications.models import Case
from yiwang.applications.views.window import SESSION_TOKENS
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.conftest import login_with_second_factor
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import StaffAssignmentFactory
from yiwang.licenses.services import load_license_type_catalog

from .workbench_world import OUT_OF_SCOPE, make_page_world

pytestmark = pytest.mark.django_db

MISSING_REQUEST = 999_999
# The case's department's own clerk and the clerks elsewhere are window clerks too, but not this request's.
OTHER_CLERKS = ("clerk", "clerk_other_department", "clerk_other_region")
NO_WINDOW = ("approver", "supervisor", "approver_other_department", "approver_other_region")
VISITORS = ("anonymous", "citizen", "applicant", "staff_without_totp", *OTHER_CLERKS, *NO_WINDOW)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def window():
    """A window clerk's request the citizen agreed to, the applicant found: every page is open to them."""
    load_license_type_catalog()
    pages = make_page_world()
    department = DepartmentFactory(name="政务服务中心", region=pages.world.department.region)
    owner = Client()
    login_with_second_factor(
        owner, StaffAssignmentFactory(department=department, role=StaffRole.WINDOW_CLERK).user
    )
    response = owner.post(reverse("applications:window"), {"department": department.pk})
    request_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    token = owner.session[SESSION_TOKENS][str(request_id)]
    holder = pages.people["citizen"]
    citizen = Client()
    citizen.force_login(holder)
    citizen.post(f"/licenses/consent-requests/{token}", {"holder_code": holder.id_number})
    consent_url = reverse("applications:window_consent", kwargs={"request_id": request_id})
    assert owner.post(consent_url, {"id_number": holder.id_number}).status_code == 302
    return {"pages": pages, "owner": owner, "request_id": request_id, "holder": holder}


def _request_pages(request_id: int, code: str) -> list[str]:
    return [
        reverse("applications:window_consent", kwargs={"request_id": request_id}),
        reverse("applications:window_items", kwargs={"request_id": request_id}),
        reverse("applications:window_apply", kwargs={"request_id": request_id, "code": code}),
    ]


def _refused(who: str, response) -> None:
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"], who
    elif who in ("citizen", "applicant", "staff_without_totp"):
        assert response.status_code == 403, who
    else:
        assert response.status_code == 404, (who, response.status_code)


def test_the_clerk_who_asked_opens_every_window_page(window):
    code = window["pages"].world.implementation.code
    owner = window["owner"]
    assert owner.get(reverse("applications:window")).status_code == 200
    for url in _request_pages(window["request_id"], code):
        assert owner.get(url).status_code == 200, url


@pytest.mark.parametrize("who", VISITORS)
def test_everyone_else_is_refused_on_every_window_page_and_submits_nothing(window, who):
    client = window["pages"].client(who)
    code = window["pages"].world.implementation.code
    start = client.get(reverse("applications:window"))
    if who in OTHER_CLERKS:
        assert start.status_code == 200  # a window clerk of any department has a window
    else:
        _refused(who, start)
    holder = window["holder"]
    for real, missing in zip(
        _request_pages(window["request_id"], code), _request_pages(MISSING_REQUEST, code), strict=True
    ):
        seen, absent = client.get(real), client.get(missing)
        _refused(who, seen)
        assert seen.status_code == absent.status_code
        assert holder.full_name not in seen.content.decode()
        assert holder.id_number not in seen.content.decode()
        posted = client.post(real, {"id_number": holder.id_number, "step": "submit", "reference": "x"})
        _refused(who, posted)
    assert not Case.objects.filter(channel=Channel.WINDOW).exists()


def test_out_of_scope_staff_are_the_ones_the_workbench_names():
    assert set(OUT_OF_SCOPE) <= set(VISITORS)
