"""Regression tests for the OIDC and bearer-token gaps an outside probe found (issue 7)."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from yiwang.identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REDIRECT_URI = "https://rp.example.gov.cn/callback"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture
def application():
    return Application.objects.create(
        name="部门业务系统",
        client_id="dept-system",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
        algorithm=Application.RS256_ALGORITHM,
    )


def _token(user, application, scope: str, value: str = "token-value-1") -> str:
    AccessToken.objects.create(
        user=user,
        application=application,
        token=value,
        scope=scope,
        expires=timezone.now() + timedelta(hours=1),
    )
    return value


def _bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


# --- bearer tokens are limited to their scopes ---------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/me", "/api/v1/me/mandates", "/api/v1/licenses/mine", "/api/v1/licenses/consents"],
)
def test_an_openid_only_token_opens_no_api_endpoint(client, application, path):
    # given a token granted only `openid`
    token = _token(UserFactory(), application, "openid")
    # when the client calls the API with it
    response = client.get(path, **_bearer(token))
    # then it is refused for want of scope, and nothing of the user is in the answer
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert "public_id" not in response.content.decode()


def test_a_token_opens_only_the_endpoints_of_its_scope(client, application):
    user = UserFactory()
    token = _token(user, application, "openid licenses:read")

    assert client.get("/api/v1/licenses/mine", **_bearer(token)).status_code == 200
    refused = client.get("/api/v1/me/mandates", **_bearer(token))
    assert refused.status_code == 403
    assert refused.json()["error"]["details"] == {"required_scope": "mandates:read"}


def test_me_through_a_token_shows_the_pairwise_subject_not_the_global_identifiers(client, application):
    user = UserFactory()
    token = _token(user, application, "openid profile")

    body = client.get("/api/v1/me", **_bearer(token)).json()

    assert body["username"] == ""
    assert body["public_id"] != str(user.public_id)
    assert user.username not in json.dumps(body)


def test_the_session_is_not_limited_by_scopes(client):
    user = UserFactory()
    client.force_login(user)

    body = client.get("/api/v1/me").json()

    assert body["username"] == user.username


def test_an_invalid_token_is_not_authenticated(client, application):
    response = client.get("/api/v1/me", **_bearer("no-such-token"))
    assert response.status_code == 401


# --- bearer POSTs skip the session's CSRF check; a cookie session still needs it ----------------


def test_a_bearer_post_needs_no_csrf_token():
    client = Client(enforce_csrf_checks=True)
    user = UserFactory()
    application = Application.objects.create(
        name="x",
        client_id="x",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT_URI,
    )
    token = _token(user, application, "openid mandates:write")
    client.force_login(user)  # a browser would also send its cookie; the token still decides

    response = client.post("/api/v1/mandates", {}, content_type="application/json", **_bearer(token))

    # the request reached validation: 400 for the empty body, not 403 "CSRF check Failed"
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_a_cookie_session_post_still_needs_csrf():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())

    response = client.post("/api/v1/mandates", {}, content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


# --- introspection names the pairwise subject, not the username ---------------------------------


def test_introspection_does_not_reveal_the_username(client, application):
    application.client_secret = "s3cret-s3cret"
    application.save()
    user = UserFactory()
    token = _token(user, application, "openid")

    response = client.post(
        "/o/introspect/", {"token": token, "client_id": "dept-system", "client_secret": "s3cret-s3cret"}
    )

    body = response.json()
    assert body["active"] is True
    assert "username" not in body
    assert user.username not in response.content.decode()
    assert body["sub"] and body["sub"] != str(user.public_id)


# --- prompt=none answers per OIDC, never 500 ------------------------------------------------------


def _authorize(client, **extra):
    params = {
        "client_id": "dept-system",
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": REDIRECT_URI,
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
        "state": "st-1",
        "prompt": "none",
        **extra,
    }
    return client.get("/o/authorize/", params)


def _redirect_query(response) -> dict:
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(REDIRECT_URI)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_prompt_none_without_a_session_answers_login_required(client, application):
    query = _redirect_query(_authorize(client))
    assert query["error"] == "login_required"
    assert query["state"] == "st-1"


def test_prompt_none_without_earlier_consent_answers_consent_required(client, application):
    client.force_login(UserFactory())
    query = _redirect_query(_authorize(client))
    assert query["error"] == "consent_required"
    assert query["state"] == "st-1"


def test_prompt_none_after_consent_returns_a_code(client, application):
    user = UserFactory()
    _token(user, application, "openid")  # the user approved this client for `openid` before
    client.force_login(user)

    query = _redirect_query(_authorize(client))

    assert "error" not in query
    assert query["code"]


def test_prompt_none_to_an_unregistered_redirect_uri_does_not_redirect(client, application):
    response = _authorize(client, redirect_uri="https://attacker.example/cb")
    assert response.status_code != 500
    assert not response.get("Location", "").startswith("https://attacker.example")


# --- only asymmetric ID-token signatures ---------------------------------------------------------


def test_discovery_publishes_only_rs256(client):
    data = client.get("/.well-known/openid-configuration").json()
    assert data["id_token_signing_alg_values_supported"] == ["RS256"]


def test_an_hs256_client_is_refused_at_the_authorization_endpoint(client, application):
    application.algorithm = Application.HS256_ALGORITHM
    application.client_secret = "s3cret-s3cret"
    application.save()
    client.force_login(UserFactory())

    response = _authorize(client, prompt="")

    assert response.status_code == 400
    assert "code=" not in response.get("Location", "")
