"""docs/examples/mini_client.py runs against this platform: PKCE login, search, a guide, cases, licenses,
messages, token refresh. httpx talks to Django's test client through a transport, so no server is needed
and the example cannot drift from the API without this test failing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from oauth2_provider.models import AccessToken, Application, RefreshToken

from yiwang.applications.tests.factories import CaseFactory
from yiwang.catalog.tests.factories import ImplementationFactory
from yiwang.identity.models import ClientProfile
from yiwang.identity.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).resolve().parents[4] / "docs" / "examples" / "mini_client.py"


def _load_example():
    spec = importlib.util.spec_from_file_location("mini_client_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


class DjangoTestTransport(httpx.BaseTransport):
    """Hands each httpx request to Django's test client; cookies travel in the headers, kept by httpx."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = {
            key: value
            for key, value in request.headers.items()
            if key.lower() not in {"content-length", "content-type", "cookie", "host"}
        }
        response = DjangoClient().generic(
            request.method,
            request.url.raw_path.decode(),
            data=request.read(),
            content_type=request.headers.get("content-type", ""),
            headers=headers,
            HTTP_HOST=request.url.netloc.decode(),
            HTTP_COOKIE=request.headers.get("cookie", ""),
        )
        content = b"".join(response.streaming_content) if response.streaming else response.content
        pairs = [(key, value) for key, value in response.items() if key.lower() != "set-cookie"]
        pairs += [("set-cookie", morsel.OutputString()) for morsel in response.cookies.values()]
        return httpx.Response(response.status_code, headers=pairs, content=content, request=request)


@pytest.fixture
def example():
    return _load_example()


@pytest.fixture
def mini_client_registered(example):
    """The public client docs/mini-client.md registers: code + PKCE, no secret, the app's scopes."""
    application = Application.objects.create(
        client_id=example.CLIENT_ID,
        name="示例小程序",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=example.REDIRECT_URI,
        algorithm=Application.RS256_ALGORITHM,
    )
    ClientProfile.objects.create(
        application=application, allowed_scopes=example.SCOPES, min_assurance_level=3
    )
    return application


def test_the_example_logs_in_with_pkce_and_reads_the_persons_data(example, mini_client_registered):
    # given a level-3 citizen with a case and a message, and a published guide
    from yiwang.notifications.services import notify

    person = UserFactory(level3=True)
    case = CaseFactory(applicant=person)
    notify(recipient=person, topic="case.submitted", title="您的申请已提交")
    guide = ImplementationFactory(complete=True)
    transport = DjangoTestTransport()
    with httpx.Client(transport=transport) as http, httpx.Client(transport=transport) as browser:
        client = example.MiniClient(base_url=settings.SITE_URL, http=http)
        # when the example runs its whole flow
        # (the search index is shared across tests: a hit may be another test's item, gone from this database)
        summary = example.run(client, browser, username=person.username, password=PASSWORD, query="身份证")
        # then it got the person's own data with the scopes it asked for, and refreshed its token
        assert set(summary["scope"].split()) == set(example.SCOPES.split())
        assert summary["cases"] == [case.number]
        assert summary["licenses"] == []
        assert summary["messages"] == ["您的申请已提交"]
        assert client.guide(guide.code)["name"] == guide.name
        assert client.all_pages("/applications", limit=1) == client.my_cases()["items"]
        assert AccessToken.objects.filter(user=person).count() == 1  # the refresh replaced the first token
        assert RefreshToken.objects.filter(user=person, revoked__isnull=True).count() == 1

        # an error answer has a stable code; a token without a scope is refused with insufficient_scope
        with pytest.raises(example.ApiError) as missing:
            client.guide("no-such-item")
        assert missing.value.status == 404 and missing.value.code
        login = client.start_login(scope="openid profile")
        code = client.approve(browser, login)
        client.exchange_code(code, login)
        with pytest.raises(example.ApiError) as refused:
            client.my_cases()
        assert refused.value.status == 403 and refused.value.code == "insufficient_scope"


def test_a_code_cannot_be_exchanged_without_its_verifier(example, mini_client_registered):
    person = UserFactory(level3=True)
    transport = DjangoTestTransport()
    with httpx.Client(transport=transport) as http, httpx.Client(transport=transport) as browser:
        client = example.MiniClient(base_url=settings.SITE_URL, http=http)
        login = client.start_login()
        client.log_in_with_password(browser, person.username, PASSWORD)
        code = client.approve(browser, login)
        login.verifier = "x" * 64
        with pytest.raises(RuntimeError, match="invalid_grant"):
            client.exchange_code(code, login)
