"""The cheaper middleware keep what people and clients depend on: the same CSP, messages that reach the
next page, the chosen language, CSRF on unsafe methods, the session and bearer tokens on the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from csp.constants import NONCE, SELF
from csp.decorators import csp_update
from csp.utils import build_policy
from django.contrib import messages
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from yiwang.core.middleware import CachedPolicyCSPMiddleware, LazyMessageMiddleware
from yiwang.identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _ok(request):
    return HttpResponse("ok")


def test_the_cached_policy_is_the_one_django_csp_builds(client):
    response = client.get("/api/v1/health")
    assert response["Content-Security-Policy"] == build_policy()


def test_a_view_that_updates_its_policy_still_gets_its_own():
    view = csp_update({"img-src": ["https://maps.example.gov.cn"]})(_ok)
    response = CachedPolicyCSPMiddleware(view)(RequestFactory().get("/map"))
    assert "https://maps.example.gov.cn" in response["Content-Security-Policy"]
    assert response["Content-Security-Policy"] != build_policy()


def test_a_nonce_used_by_the_page_is_in_its_header():
    def view(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}"></script>')

    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"script-src": [SELF, NONCE]}}):
        response = CachedPolicyCSPMiddleware(view)(RequestFactory().get("/"))
    nonce = response.content.decode().split('"')[1]
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_a_changed_setting_changes_the_header():
    middleware = CachedPolicyCSPMiddleware(_ok)
    middleware(RequestFactory().get("/"))  # cached the settings' policy
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        header = middleware(RequestFactory().get("/"))["Content-Security-Policy"]
    assert header == "default-src 'none'"


def _with_session(view, cookies=None):
    request = RequestFactory().get("/")
    request.COOKIES.update(cookies or {})
    return SessionMiddleware(LazyMessageMiddleware(view))(request), request


def test_a_message_added_on_one_request_is_shown_on_the_next():
    def add(request):
        messages.success(request, "已提交")
        return HttpResponse("ok")

    first, _request = _with_session(add)
    cookies = {name: morsel.value for name, morsel in first.cookies.items()}

    shown = []

    def read(request):
        shown.extend(str(message) for message in messages.get_messages(request))
        return HttpResponse("ok")

    _with_session(read, cookies)
    assert shown == ["已提交"]


def test_a_request_that_never_touches_messages_builds_no_storage_and_sets_no_cookie():
    response, request = _with_session(_ok)
    assert request._messages._wrapped.__class__ is object  # still lazy (django's "empty")
    assert "messages" not in response.cookies


def test_an_anonymous_api_get_sets_no_cookie_and_answers_in_chinese(client):
    response = client.get("/api/v1/search?q=营业执照")
    assert response.status_code == 200
    assert response.cookies == {} or not any(response.cookies.values())
    assert response["Content-Language"] == "zh-hans"
    assert "Accept-Language" in response["Vary"]


def test_an_anonymous_api_get_answers_in_the_language_the_visitor_chose(client):
    client.cookies["django_language"] = "en"
    response = client.get("/api/v1/health")
    assert response["Content-Language"] == "en"


def test_a_page_answers_in_the_chosen_language(client):
    client.cookies["django_language"] = "en"
    response = client.get("/")
    assert response["Content-Language"] == "en"
    assert '<html lang="en"' in response.content.decode()


def test_a_logged_in_page_still_shows_the_user(client):
    user = UserFactory()
    client.force_login(user)
    page = client.get("/").content.decode()
    assert user.full_name in page
    assert 'data-testid="header-me"' in page


def test_the_session_still_authenticates_the_api(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/api/v1/me").json()["username"] == user.username
    assert Client().get("/api/v1/me").status_code == 401


def test_a_bearer_token_still_authenticates_the_api():
    user = UserFactory()
    application = Application.objects.create(
        name="部门业务系统",
        client_id="dept-system-mw",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://rp.example.gov.cn/callback",
    )
    AccessToken.objects.create(
        user=user,
        application=application,
        token="middleware-token",
        scope="openid licenses:read",
        expires=timezone.now() + timedelta(hours=1),
    )
    response = Client().get("/api/v1/licenses/mine", HTTP_AUTHORIZATION="Bearer middleware-token")
    assert response.status_code == 200


def test_an_unsafe_api_request_of_a_session_still_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    refused = client.post("/api/v1/mandates", {}, content_type="application/json")
    assert refused.status_code == 403
    page_post = client.post("/i18n/setlang/", {"language": "en"})
    assert page_post.status_code == 403


def test_a_message_of_a_redirecting_view_shows_on_the_page_it_leads_to(client):
    user = UserFactory()  # already at the level asked for: the view says so and goes back to the account
    client.force_login(user)
    response = client.get("/accounts/step-up/", {"level": user.assurance_level}, follow=True)
    assert response.redirect_chain
    assert "实名等级已满足要求" in response.content.decode()
