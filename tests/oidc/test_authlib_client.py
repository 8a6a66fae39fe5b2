"""A real OIDC client we did not write (Authlib) against the running platform: code + PKCE S256 only."""

from __future__ import annotations

import secrets
import urllib.parse

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.oidc.core import CodeIDToken

from .conftest import authorize, browser_login

# Authlib against the running provider, on PostgreSQL where production runs (`pg`: the PostgreSQL pass
# only); on SQLite, sign-in, step-up, single sign-on and logout everywhere are exercised by the browser
# test tests/e2e/test_identity_sso.py against the same provider.
pytestmark = [pytest.mark.slow, pytest.mark.own_database, pytest.mark.pg]
REDIRECT = "http://127.0.0.1:9/{client}/callback"


def _client(platform, client_id: str, scope: str = "openid profile") -> OAuth2Session:
    return OAuth2Session(
        client_id,
        f"{client_id}-secret",
        scope=scope,
        redirect_uri=REDIRECT.format(client=client_id),
        code_challenge_method="S256",
    )


def _login_to(platform, browser, client_id: str, scope: str = "openid profile") -> dict:
    """Run the whole code flow for ``client_id``; return the token response, claims and client."""
    client, verifier, nonce = _client(platform, client_id, scope), generate_token(48), generate_token(20)
    url, state = client.create_authorization_url(
        platform.metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    redirect = authorize(browser, url)
    assert redirect.status_code == 302, redirect.text[:800]
    location = redirect.headers["Location"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert query["iss"] == platform.url  # RFC 9207 issuer in the authorization response
    token = client.fetch_token(
        platform.metadata["token_endpoint"],
        authorization_response=location,
        code_verifier=verifier,
        state=state,
    )
    jwks = JsonWebKey.import_key_set(requests.get(platform.metadata["jwks_uri"], timeout=10).json())
    claims = JsonWebToken(["RS256"]).decode(
        token["id_token"],
        jwks,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": platform.url}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": token["access_token"]},
    )
    claims.validate(leeway=5)  # signature (above), iss, aud, nonce, exp, iat, at_hash
    return {"token": token, "claims": claims, "client": client, "code_url": location, "verifier": verifier}


def test_discovery_advertises_code_flow_with_s256_and_pairwise_subjects(platform):
    metadata = platform.metadata
    assert metadata["issuer"] == platform.url
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["subject_types_supported"] == ["pairwise"]
    assert metadata["backchannel_logout_supported"] is True
    assert requests.get(metadata["jwks_uri"], timeout=10).json()["keys"][0]["kty"] == "RSA"


def test_code_flow_validates_id_token_and_reads_userinfo(platform):
    # given a citizen logged in to the platform
    browser = browser_login(platform)
    # when a departmental system signs them in
    result = _login_to(platform, browser, "rp-one")
    # then the id_token carries the Chinese full name and the assurance level as acr
    claims = result["claims"]
    assert claims["name"] == "欧阳小明" and claims["family_name"] == "欧阳"
    assert claims["acr"] == "urn:yiwang:loa:3"
    assert "id_number" not in claims  # not requested
    userinfo = result["client"].get(platform.metadata["userinfo_endpoint"], timeout=10).json()
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["name"] == "欧阳小明"
    assert "id_number" not in userinfo


def test_same_user_gets_different_sub_at_two_clients_and_the_same_sub_again(platform):
    browser = browser_login(platform)
    first = _login_to(platform, browser, "rp-one")["claims"]["sub"]
    other = _login_to(platform, browser, "rp-two")["claims"]["sub"]
    again = _login_to(platform, browser, "rp-one")["claims"]["sub"]
    assert first != other
    assert first == again


def test_id_number_is_released_only_with_its_scope_and_consent(platform):
    browser = browser_login(platform)
    client = _client(platform, "rp-one", "openid profile id_number")
    url, _ = client.create_authorization_url(
        platform.metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce="n"
    )
    consent = browser.get(url, allow_redirects=False, timeout=10)
    assert "公民身份号码" in consent.text  # the consent page names what will be shared
    result = _login_to(platform, browser, "rp-one", "openid profile id_number")
    assert result["claims"]["id_number"] == "11010519491231002X"
    # a client not registered for the scope cannot ask for it
    refused = _client(platform, "rp-two", "openid id_number")
    url, _ = refused.create_authorization_url(
        platform.metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce="n"
    )
    answer = browser.get(url, allow_redirects=False, timeout=10)
    assert "code=" not in answer.headers.get("Location", "")
    assert "invalid_scope" in answer.headers.get("Location", "") + answer.text


def _raw_authorize(platform, browser, **params) -> requests.Response:
    base = {
        "client_id": "rp-one",
        "redirect_uri": REDIRECT.format(client="rp-one"),
        "scope": "openid",
        "state": secrets.token_urlsafe(8),
        "nonce": "n",
    }
    url = platform.metadata["authorization_endpoint"] + "?" + urllib.parse.urlencode({**base, **params})
    return authorize(browser, url)


@pytest.mark.parametrize(
    "params",
    [
        {"response_type": "code", "code_challenge": "a" * 43, "code_challenge_method": "plain"},
        {"response_type": "code"},  # no PKCE at all
        {"response_type": "token"},  # implicit
        {"response_type": "id_token token"},  # implicit (OIDC)
        {
            "response_type": "code id_token",
            "code_challenge": "a" * 43,
            "code_challenge_method": "S256",
        },  # hybrid
    ],
)
def test_plain_pkce_missing_pkce_implicit_and_hybrid_are_refused(platform, params):
    browser = browser_login(platform)
    answer = _raw_authorize(platform, browser, **params)
    location = answer.headers.get("Location", "")
    assert "code=" not in location and "access_token" not in location and "id_token=" not in location
    assert "error" in location or answer.status_code >= 400 or "授权请求有误" in answer.text


def test_replayed_code_is_refused(platform):
    browser = browser_login(platform)
    result = _login_to(platform, browser, "rp-one")
    replay = requests.post(
        platform.metadata["token_endpoint"],
        timeout=10,
        auth=("rp-one", "rp-one-secret"),
        data={
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT.format(client="rp-one"),
            "code": dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(result["code_url"]).query))["code"],
            "code_verifier": result["verifier"],
        },
    )
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


def test_client_needing_level_3_sends_a_level_2_user_to_step_up(platform):
    browser = browser_login(platform, "bob")
    client = _client(platform, "rp-two")
    url, _ = client.create_authorization_url(
        platform.metadata["authorization_endpoint"], code_verifier=generate_token(48), nonce="n"
    )
    answer = browser.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    target = urllib.parse.urlsplit(answer.headers["Location"])
    assert target.path == "/accounts/step-up/"
    assert dict(urllib.parse.parse_qsl(target.query))["level"] == "3"


def test_logout_ends_sessions_everywhere_with_back_channel_notice(platform, backchannel):
    from .conftest import csrf_token

    # given a citizen signed in to rp-one (which has a back-channel endpoint)
    browser = browser_login(platform)
    result = _login_to(platform, browser, "rp-one")
    backchannel["received"].clear()
    # when they log out of the platform
    account = browser.get(platform.url + "/accounts/", timeout=10)
    browser.post(
        platform.url + "/accounts/logout/", data={"csrfmiddlewaretoken": csrf_token(account.text)}, timeout=10
    )
    # then rp-one received a signed logout token for that user and session
    notices = [n for n in backchannel["received"] if n["path"] == "/rp-one/backchannel"]
    assert notices, "no back-channel logout token received"
    jwks = JsonWebKey.import_key_set(requests.get(platform.metadata["jwks_uri"], timeout=10).json())
    tokens = []
    for notice in notices:
        token = JsonWebToken(["RS256"]).decode(
            notice["logout_token"],
            jwks,
            claims_options={
                "iss": {"essential": True, "value": platform.url},
                "aud": {"essential": True, "value": "rp-one"},
            },
        )
        token.validate(leeway=5)
        tokens.append(token)
    logout = next(token for token in tokens if token["sid"] == result["claims"]["sid"])
    assert logout["sub"] == result["claims"]["sub"]
    assert "http://schemas.openid.net/event/backchannel-logout" in logout["events"]
    assert "nonce" not in logout
    # and the access token no longer works, nor the platform session
    assert result["client"].get(platform.metadata["userinfo_endpoint"], timeout=10).status_code == 401
    assert browser.get(platform.url + "/accounts/", allow_redirects=False, timeout=10).status_code == 302


def test_rp_initiated_logout_returns_to_the_client(platform):
    browser = browser_login(platform)
    result = _login_to(platform, browser, "rp-two")
    bye = "http://127.0.0.1:9/rp-two/bye"
    answer = browser.get(
        platform.metadata["end_session_endpoint"],
        allow_redirects=False,
        timeout=10,
        params={
            "id_token_hint": result["token"]["id_token"],
            "client_id": "rp-two",
            "post_logout_redirect_uri": bye,
            "state": "s1",
        },
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == bye + "?state=s1"
    assert browser.get(platform.url + "/accounts/", allow_redirects=False, timeout=10).status_code == 302


def test_access_token_reads_the_api_in_the_header_only(platform):
    result = _login_to(platform, browser_login(platform), "rp-one")
    token = result["token"]["access_token"]
    me = requests.get(platform.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.status_code == 200 and me.json()["name"] == "欧阳小明"
    in_query = requests.get(platform.url + "/api/v1/me", params={"access_token": token}, timeout=10)
    assert in_query.status_code == 401
    forged = requests.get(platform.url + "/api/v1/me", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert forged.status_code == 401
