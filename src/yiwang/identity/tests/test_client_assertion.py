"""private_key_jwt at the token endpoint (RFC 7523): a departmental system signs an assertion with its key.

Every refusal must be the standard ``invalid_client`` (401) and must issue no token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import json
import time
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.cache import cache
from oauth2_provider.models import AccessToken, Application

from yiwang.audit.models import AuditEntry
from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.core.errors import InvalidInput
from yiwang.identity.constants import AuditAction, TokenAuthMethod
from yiwang.identity.models import ClientKey, ClientProfile
from yiwang.identity.services import register_client_key, revoke_client_key, set_token_auth_method

pytestmark = pytest.mark.django_db

_TOOL = Path(__file__).resolve().parents[4] / "tools" / "client_assertion.py"
_spec = importlib.util.spec_from_file_location("client_assertion_tool", _TOOL)
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)

TOKEN_URL = "http://testserver-site/o/token/"
ISSUER = "http://testserver-site"
CLIENT_ID = "jwt-system"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = ISSUER
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": ISSUER}
    cache.clear()


def _public_pem(private_key) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _system(client_id: str = CLIENT_ID) -> Application:
    application = Application.objects.create(
        name="区人社局业务系统",
        client_id=client_id,
        client_secret=f"{client_id}-secret",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        algorithm=Application.RS256_ALGORITHM,
    )
    ClientProfile.objects.create(
        application=application, department=DepartmentFactory(), allowed_scopes="exchange"
    )
    return application


@pytest.fixture
def es_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def jwt_system(es_key):
    """A system registered for private_key_jwt with one ES256 key (kid "k1")."""
    application = _system()
    register_client_key(application=application, public_key=_public_pem(es_key), kid="k1", registered_by=None)
    set_token_auth_method(application=application, method=TokenAuthMethod.PRIVATE_KEY_JWT, changed_by=None)
    return application


def _claims(**overrides):
    now = int(time.time())
    claims = {
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": TOKEN_URL,
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _assertion(key, *, kid="k1", alg=None, **claims) -> str:
    header = {"alg": alg or ("ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"), "kid": kid}
    return tool.sign_jwt(key, header, _claims(**claims))


def _token_request(client, assertion: str, **extra):
    body = {
        "grant_type": "client_credentials",
        "scope": "exchange",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
        **extra,
    }
    return client.post("/o/token/", body, **extra.pop("headers", {}))


def _assert_invalid_client(response):
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"
    assert "access_token" not in response.json()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# -- accepted ---------------------------------------------------------------------------------------


def test_a_good_es256_assertion_gets_a_token_that_opens_the_exchange_api(client, jwt_system, es_key):
    response = _token_request(client, _assertion(es_key))
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    assert AccessToken.objects.filter(application=jwt_system, user=None).count() == 1
    methods = client.get("/api/v1/exchange/methods", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert methods.status_code == 200


def test_a_good_rs256_assertion_from_a_jwk_registered_key_gets_a_token(client):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    application = _system()
    jwk = tool.public_jwk(key)
    registered = register_client_key(application=application, public_key=json.dumps(jwk), registered_by=None)
    set_token_auth_method(application=application, method=TokenAuthMethod.PRIVATE_KEY_JWT, changed_by=None)
    # without a kid the key's RFC 7638 thumbprint is the kid, as the tool computes it
    assert registered.kid == tool.thumbprint(jwk) and registered.algorithm == "RS256"
    assertion = tool.make_assertion(key, client_id=CLIENT_ID, audience=TOKEN_URL)
    assert _token_request(client, assertion).status_code == 200


def test_the_issuer_is_accepted_as_audience_and_client_id_may_accompany_the_assertion(
    client, jwt_system, es_key
):
    response = _token_request(client, _assertion(es_key, aud=[ISSUER]), client_id=CLIENT_ID)
    assert response.status_code == 200, response.content


def test_rotation_both_registered_keys_work_and_a_revoked_one_stops(client, jwt_system, es_key):
    new_key = ec.generate_private_key(ec.SECP256R1())
    register_client_key(application=jwt_system, public_key=_public_pem(new_key), kid="k2", registered_by=None)
    assert _token_request(client, _assertion(es_key, kid="k1")).status_code == 200
    assert _token_request(client, _assertion(new_key, kid="k2")).status_code == 200
    revoke_client_key(key=ClientKey.objects.get(kid="k1"), revoked_by=None)
    _assert_invalid_client(_token_request(client, _assertion(es_key, kid="k1")))
    assert _token_request(client, _assertion(new_key, kid="k2")).status_code == 200


# -- refused: every case is invalid_client and no token ---------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://other-platform.example/o/token/"},
        {"aud": None},
        # times are seconds from now, added when the test runs (not when it is collected)
        {"exp": -120, "iat": -180},  # expired
        {"exp": None},  # exp is required
        {"exp": 3600},  # longer than five minutes
        {"iat": 120, "exp": 150},  # issued in the future
        {"nbf": 600},
        {"jti": None},
        {"sub": "someone-else"},
        {"iss": "unknown-system", "sub": "unknown-system"},
    ],
    ids=[
        "wrong-aud",
        "no-aud",
        "expired",
        "no-exp",
        "exp-too-far",
        "iat-future",
        "nbf-future",
        "no-jti",
        "sub-differs",
        "unknown-client",
    ],
)
def test_assertions_with_bad_claims_are_refused(client, jwt_system, es_key, claims):
    now = int(time.time())
    claims = {
        name: now + value if name in ("exp", "iat", "nbf") and value is not None else value
        for name, value in claims.items()
    }
    _assert_invalid_client(_token_request(client, _assertion(es_key, **claims)))
    assert not AccessToken.objects.exists()


def test_a_replayed_assertion_is_refused(client, jwt_system, es_key):
    assertion = _assertion(es_key)
    assert _token_request(client, assertion).status_code == 200
    _assert_invalid_client(_token_request(client, assertion))
    # and a new assertion reusing the jti, freshly signed, is refused too
    jti = json.loads(base64.urlsafe_b64decode(assertion.split(".")[1] + "==="))["jti"]
    _assert_invalid_client(_token_request(client, _assertion(es_key, jti=jti)))
    assert AccessToken.objects.count() == 1


def test_an_assertion_signed_with_another_key_is_refused(client, jwt_system):
    stranger = ec.generate_private_key(ec.SECP256R1())
    _assert_invalid_client(_token_request(client, _assertion(stranger, kid="k1")))
    _assert_invalid_client(_token_request(client, _assertion(stranger, kid="unknown")))
    # with no kid, every active key is tried and none matches
    _assert_invalid_client(_token_request(client, tool.sign_jwt(stranger, {"alg": "ES256"}, _claims())))


def test_alg_none_is_refused(client, jwt_system):
    header = _b64(json.dumps({"alg": "none", "kid": "k1"}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    _assert_invalid_client(_token_request(client, f"{header}.{payload}."))


@pytest.mark.parametrize("secret_form", ["pem", "jwk"])
def test_hs256_with_the_public_key_as_secret_is_refused(client, jwt_system, es_key, secret_form):
    # the classic confusion attack: whoever knows the public key signs an HMAC with it
    secret = _public_pem(es_key).encode()
    if secret_form == "jwk":
        secret = json.dumps(ClientKey.objects.get(kid="k1").public_jwk).encode()
    header = _b64(json.dumps({"alg": "HS256", "kid": "k1"}).encode())
    payload = _b64(json.dumps(_claims()).encode())
    signature = _b64(hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    _assert_invalid_client(_token_request(client, f"{header}.{payload}.{signature}"))


def test_an_rs256_header_on_an_es256_key_is_refused(client, jwt_system):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _assert_invalid_client(_token_request(client, _assertion(rsa_key, kid="k1")))


def test_a_private_key_jwt_system_cannot_use_its_secret(client, jwt_system):
    body = {"grant_type": "client_credentials", "scope": "exchange"}
    in_body = client.post(
        "/o/token/", {**body, "client_id": CLIENT_ID, "client_secret": f"{CLIENT_ID}-secret"}
    )
    _assert_invalid_client(in_body)
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_ID}-secret".encode()).decode()
    _assert_invalid_client(client.post("/o/token/", body, HTTP_AUTHORIZATION=f"Basic {basic}"))
    assert not AccessToken.objects.exists()


def test_a_secret_system_cannot_use_an_assertion_but_keeps_its_secret(client, es_key):
    application = _system()
    register_client_key(application=application, public_key=_public_pem(es_key), kid="k1", registered_by=None)
    _assert_invalid_client(_token_request(client, _assertion(es_key)))
    response = client.post(
        "/o/token/",
        {
            "grant_type": "client_credentials",
            "scope": "exchange",
            "client_id": CLIENT_ID,
            "client_secret": f"{CLIENT_ID}-secret",
        },
    )
    assert response.status_code == 200


def test_an_assertion_with_a_secret_beside_it_or_of_another_type_is_refused(client, jwt_system, es_key):
    _assert_invalid_client(_token_request(client, _assertion(es_key), client_secret=f"{CLIENT_ID}-secret"))
    _assert_invalid_client(_token_request(client, _assertion(es_key), client_id="another-client"))
    _assert_invalid_client(
        _token_request(client, _assertion(es_key), client_assertion_type="urn:ietf:params:oauth:saml2")
    )
    _assert_invalid_client(_token_request(client, "not.a.jwt"))
    _assert_invalid_client(_token_request(client, ""))
    assert not AccessToken.objects.exists()


# -- registration (the service behind the admin) ----------------------------------------------------


def test_registration_refuses_private_keys_bad_keys_weak_keys_and_duplicate_kids(es_key):
    application = _system()
    private_pem = es_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505  (refused, the point)
    p384 = ec.generate_private_key(ec.SECP384R1())
    private_jwk = json.dumps({**tool.public_jwk(es_key), "d": "AAAA"})
    for bad in (
        private_pem,
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        _public_pem(weak),
        _public_pem(p384),
        private_jwk,
        '{"kty": "oct", "k": "c2VjcmV0"}',
        "",
        "{not json",
    ):
        with pytest.raises(InvalidInput) as refused:
            register_client_key(application=application, public_key=bad, registered_by=None)
        assert refused.value.code == "invalid_client_key"
    with pytest.raises(InvalidInput) as declared_wrong:
        register_client_key(
            application=application,
            public_key=json.dumps({**tool.public_jwk(es_key), "alg": "HS256"}),
            registered_by=None,
        )
    assert declared_wrong.value.code == "invalid_client_key"
    register_client_key(application=application, public_key=_public_pem(es_key), kid="k1", registered_by=None)
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InvalidInput) as duplicate:
        register_client_key(
            application=application, public_key=_public_pem(other), kid="k1", registered_by=None
        )
    assert duplicate.value.code == "duplicate_kid"


def test_private_key_jwt_needs_a_key_and_every_change_is_audited(es_key):
    application = _system()
    with pytest.raises(InvalidInput) as refused:
        set_token_auth_method(
            application=application, method=TokenAuthMethod.PRIVATE_KEY_JWT, changed_by=None
        )
    assert refused.value.code == "no_client_key"
    key = register_client_key(application=application, public_key=_public_pem(es_key), registered_by=None)
    set_token_auth_method(application=application, method=TokenAuthMethod.PRIVATE_KEY_JWT, changed_by=None)
    revoke_client_key(key=key, revoked_by=None)
    actions = list(AuditEntry.objects.filter(system=CLIENT_ID).values_list("action", flat=True))
    assert sorted(actions) == sorted(
        [
            AuditAction.CLIENT_KEY_REGISTERED,
            AuditAction.CLIENT_AUTH_METHOD_CHANGED,
            AuditAction.CLIENT_KEY_REVOKED,
        ]
    )


def test_discovery_advertises_private_key_jwt(client):
    data = client.get("/.well-known/openid-configuration").json()
    assert "private_key_jwt" in data["token_endpoint_auth_methods_supported"]
    assert data["token_endpoint_auth_signing_alg_values_supported"] == ["ES256", "RS256"]


# -- the admin: the platform registers a key, then switches the system to private_key_jwt -------------


def _change_form_data(response) -> dict:
    """The POST body the change page would send unchanged (main form and inline formsets)."""
    data = {}
    admin_form = response.context["adminform"].form
    for name, field in admin_form.fields.items():
        value = admin_form.initial.get(name, field.initial)
        if value is not None:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for form in formset.forms:
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                if value is not None and not field.disabled:
                    data[form.add_prefix(name)] = value.pk if hasattr(value, "pk") else value
    return {name: value for name, value in data.items() if value is not False}


def test_the_admin_registers_a_key_switches_the_method_and_revokes(client, es_key):
    from yiwang.conftest import login_with_second_factor
    from yiwang.identity.tests.factories import UserFactory

    application = _system()
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    login_with_second_factor(client, admin_user)
    url = f"/admin/oauth2_provider/application/{application.pk}/change/"
    page = client.get(url)
    assert "公钥（JWK 或 PEM）" in page.content.decode()

    # switching before any key is registered is refused with a message, nothing changes
    data = _change_form_data(page)
    data["profile-0-token_endpoint_auth_method"] = TokenAuthMethod.PRIVATE_KEY_JWT
    refused = client.post(url, data)
    assert refused.status_code == 200 and "须先登记公钥" in refused.content.decode()

    # a private key pasted by mistake is refused, not stored
    data = _change_form_data(page)
    data["client_keys-0-public_key"] = es_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert client.post(url, data).status_code == 200
    assert not ClientKey.objects.exists()

    data = _change_form_data(page)
    data["client_keys-0-public_key"] = _public_pem(es_key)
    data["client_keys-0-kid"] = "k1"
    assert client.post(url, data).status_code == 302
    key = ClientKey.objects.get(application=application)
    assert (key.kid, key.algorithm, key.registered_by) == ("k1", "ES256", admin_user)

    data = _change_form_data(client.get(url))
    data["profile-0-token_endpoint_auth_method"] = TokenAuthMethod.PRIVATE_KEY_JWT
    assert client.post(url, data).status_code == 302
    assert ClientProfile.objects.get(application=application).token_endpoint_auth_method == "private_key_jwt"
    assert _token_request(client, _assertion(es_key)).status_code == 200

    data = _change_form_data(client.get(url))
    data["client_keys-0-revoke"] = "on"
    assert client.post(url, data).status_code == 302
    assert ClientKey.objects.get(pk=key.pk).revoked_at is not None
    _assert_invalid_client(_token_request(client, _assertion(es_key)))
    actions = set(AuditEntry.objects.filter(system=CLIENT_ID).values_list("action", "actor_id"))
    assert {
        (AuditAction.CLIENT_KEY_REGISTERED, admin_user.pk),
        (AuditAction.CLIENT_AUTH_METHOD_CHANGED, admin_user.pk),
        (AuditAction.CLIENT_KEY_REVOKED, admin_user.pk),
    } <= actions


# -- the demo: one exchange system signs with a key generated under var/ --------------------------------


def test_the_demo_key_is_registered_once_and_the_tool_signs_with_it(client, settings, tmp_path):
    from yiwang.identity.oidc.demo_keys import (
        DEMO_JWT_CLIENT_ID,
        demo_client_key_lines,
        demo_key_path,
        ensure_demo_client_key,
    )

    settings.VAR_DIR = tmp_path
    assert "not found" in ensure_demo_client_key()  # before the exchange demo made the system
    application = _system(DEMO_JWT_CLIENT_ID)
    ensure_demo_client_key()
    ensure_demo_client_key()  # idempotent: same file, same key
    assert ClientKey.objects.filter(application=application).count() == 1
    assert demo_key_path().stat().st_mode & 0o077 == 0  # the private key is readable by its owner only
    assert str(demo_key_path()) in "\n".join(demo_client_key_lines())

    key = tool.load_private_key(demo_key_path())
    assertion = tool.make_assertion(key, client_id=DEMO_JWT_CLIENT_ID, audience=TOKEN_URL)
    assert _token_request(client, assertion).status_code == 200
    secret = {"client_id": DEMO_JWT_CLIENT_ID, "client_secret": f"{DEMO_JWT_CLIENT_ID}-secret"}
    _assert_invalid_client(client.post("/o/token/", {"grant_type": "client_credentials", **secret}))
