"""A small app or mini-program client of Yiwang's API: OIDC login (code + PKCE S256), then the person's data.

Run it against `make run` (docs/mini-client.md says how to register the public client it uses):

    .venv/bin/python docs/examples/mini_client.py --base-url http://127.0.0.1:8000 \
        --username <a demo citizen> --password <their password> --query 身份证

A real app opens the authorization URL in the system browser or the mini-program's web view, where the
person logs in and consents; this script stands in for that step by posting the platform's own login and
consent forms (``log_in_with_password`` and ``approve``), which only a demo should do.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import json
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field

import httpx

CLIENT_ID = "mini-client-example"
REDIRECT_URI = "http://127.0.0.1:8765/callback"  # a loopback redirect, as RFC 8252 advises native apps
SCOPES = "openid profile applications:read licenses:read messages:read"


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    scope: str
    id_token: str = ""


@dataclass
class Login:
    """What the client keeps between sending the person off to log in and getting the code back."""

    url: str
    state: str
    nonce: str
    verifier: str


@dataclass
class MiniClient:
    base_url: str
    http: httpx.Client = field(default_factory=httpx.Client)
    client_id: str = CLIENT_ID
    redirect_uri: str = REDIRECT_URI
    tokens: Tokens | None = None
    metadata: dict = field(default_factory=dict)

    # --- 1. discovery and the authorization request ------------------------------------------------

    def discover(self) -> dict:
        """The provider's endpoints from /.well-known/openid-configuration."""
        response = self.http.get(f"{self.base_url}/.well-known/openid-configuration")
        response.raise_for_status()
        self.metadata = response.json()
        return self.metadata

    def start_login(self, scope: str = SCOPES) -> Login:
        """The authorization URL with a fresh PKCE verifier (S256), state and nonce."""
        if not self.metadata:
            self.discover()
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": scope,
                "state": state,
                "nonce": nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return Login(
            url=f"{self.metadata['authorization_endpoint']}?{query}",
            state=state,
            nonce=nonce,
            verifier=verifier,
        )

    # --- 2. the person logs in and consents (a browser or web view in a real app) -------------------

    def log_in_with_password(self, browser: httpx.Client, username: str, password: str) -> None:
        """Demo only: log ``browser`` in through the platform's login form."""
        page = browser.get(f"{self.base_url}/accounts/login/")
        done = browser.post(
            f"{self.base_url}/accounts/login/",
            data={"csrfmiddlewaretoken": _csrf(page.text), "username": username, "password": password},
        )
        if done.status_code != 302:
            raise RuntimeError("login refused: check the username and password")

    def approve(self, browser: httpx.Client, login: Login) -> str:
        """Demo only: open the authorization URL as the logged-in ``browser``, consent; the code returned."""
        response = browser.get(login.url)
        if response.status_code == 200 and 'id="authorizationForm"' in response.text:
            fields = {
                key: html.unescape(value)
                for key, value in re.findall(
                    r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text
                )
            }
            response = browser.post(str(response.url), data={**fields, "allow": "Authorize"})
        location = response.headers.get("location", "")
        if not location.startswith(self.redirect_uri):
            raise RuntimeError(f"no redirect to the app: {response.status_code} {response.text[:300]}")
        return self.receive_redirect(location, login)

    def receive_redirect(self, location: str, login: Login) -> str:
        """Check the redirect's state and issuer (RFC 9207); the authorization code, or the error raised."""
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        if "error" in query:
            raise RuntimeError(
                f"authorization refused: {query['error']} {query.get('error_description', '')}"
            )
        if query.get("state") != login.state or query.get("iss") != self.metadata["issuer"]:
            raise RuntimeError("the redirect's state or iss does not match: drop it")
        return query["code"]

    # --- 3. tokens ---------------------------------------------------------------------------------

    def exchange_code(self, code: str, login: Login) -> Tokens:
        """Trade the code and the PKCE verifier for tokens (a public client sends no secret)."""
        return self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "client_id": self.client_id,
                "code_verifier": login.verifier,
            }
        )

    def refresh(self) -> Tokens:
        """A new access token; the refresh token rotates (the old one stops working: keep the new one)."""
        assert self.tokens is not None
        return self._token_request(
            {
                "grant_type": "refresh_token",
                "refresh_token": self.tokens.refresh_token,
                "client_id": self.client_id,
            }
        )

    def _token_request(self, data: dict) -> Tokens:
        response = self.http.post(self.metadata["token_endpoint"], data=data)
        if response.status_code != 200:
            raise RuntimeError(f"token endpoint: {response.status_code} {response.text[:300]}")
        body = response.json()
        self.tokens = Tokens(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token", ""),
            expires_in=body["expires_in"],
            scope=body["scope"],
            id_token=body.get("id_token", ""),
        )
        return self.tokens

    # --- 4. the API --------------------------------------------------------------------------------

    def api(self, path: str, **params) -> dict:
        """GET /api/v1{path}; once refreshes an expired token; an error answer raises ApiError."""
        response = self._get(path, params)
        if response.status_code == 401 and self.tokens and self.tokens.refresh_token:
            self.refresh()
            response = self._get(path, params)
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        return response.json()

    def _get(self, path: str, params: dict) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens.access_token}"} if self.tokens else {}
        return self.http.get(f"{self.base_url}/api/v1{path}", params=params, headers=headers)

    def search(self, query: str, limit: int = 5) -> dict:
        return self.api("/search", q=query, limit=limit)

    def guide(self, code: str) -> dict:
        return self.api(f"/items/{urllib.parse.quote(code)}")

    def my_cases(self, cursor: str | None = None) -> dict:
        return self.api("/applications", **({"cursor": cursor} if cursor else {}))

    def my_licenses(self) -> dict:
        return self.api("/licenses/mine")

    def messages(self, unread: bool = False) -> dict:
        return self.api("/messages", **({"unread": "true"} if unread else {}))

    def all_pages(self, path: str, **params) -> list:
        """Every item of a paged list, following ``next_cursor`` until it is null."""
        items, cursor = [], None
        while True:
            page = self.api(path, **params, **({"cursor": cursor} if cursor else {}))
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return items


class ApiError(Exception):
    """The API's error answer: ``{"error": {"code": …, "message": …}}``, the code stable for machines."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            error = {"code": "http_error", "message": response.text[:200]}
        return cls(response.status_code, error.get("code", ""), error.get("message", ""))


def _csrf(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not found:
        raise RuntimeError("no CSRF token on the login page")
    return found.group(1)


def run(client: MiniClient, browser: httpx.Client, *, username: str, password: str, query: str) -> dict:
    """The whole flow: log in, then search, open a guide, list cases, licenses and messages."""
    login = client.start_login()
    client.log_in_with_password(browser, username, password)
    code = client.approve(browser, login)
    client.exchange_code(code, login)
    results = client.search(query)
    guide = None
    if results["results"]:
        try:
            guide = client.guide(results["results"][0]["code"])
        except ApiError as error:  # withdrawn since the index was built: the app shows the list only
            if error.status != 404:
                raise
    summary = {
        "scope": client.tokens.scope if client.tokens else "",
        "search": [hit["name"] for hit in results["results"]],
        "guide": guide["name"] if guide else None,
        "cases": [case["number"] for case in client.my_cases()["items"]],
        "licenses": [license["identifier"] for license in client.my_licenses()["items"]],
        "messages": [message["title"] for message in client.messages()["items"]],
    }
    client.refresh()  # what an app does when the access token expires (or on a 401)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--client-id", default=CLIENT_ID)
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--query", default="身份证")
    args = parser.parse_args()
    with httpx.Client(timeout=10) as http, httpx.Client(timeout=10) as browser:
        client = MiniClient(base_url=args.base_url.rstrip("/"), http=http, client_id=args.client_id)
        summary = run(client, browser, username=args.username, password=args.password, query=args.query)
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
