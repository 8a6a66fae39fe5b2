"""A small departmental system for the browser tests: an OIDC relying party written with Authlib.

It serves /login (starts code + PKCE), /callback (validates the id_token), /backchannel (logout
tokens from the platform) and /status, on a loopback port, from a thread of the test process.
"""

from __future__ import annotations

import html
import secrets
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.oidc.core import CodeIDToken


class RelyingParty:
    def __init__(self, *, port: int, client_id: str, client_secret: str) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.client_id, self.client_secret = client_id, client_secret
        self.issuer = ""
        self.sessions: dict[str, dict] = {}
        self.logout_tokens: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())

    @property
    def redirect_uri(self) -> str:
        return self.base + "/callback"

    def start(self, issuer: str) -> None:
        self.issuer = issuer
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()

    def _metadata(self) -> dict:
        return requests.get(self.issuer + "/.well-known/openid-configuration", timeout=10).json()

    def _jwks(self):
        return JsonWebKey.import_key_set(requests.get(self._metadata()["jwks_uri"], timeout=10).json())

    def _client(self) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope="openid profile",
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
        )

    def begin(self) -> tuple[str, str]:
        cookie, verifier, nonce = secrets.token_urlsafe(12), generate_token(48), generate_token(16)
        url, state = self._client().create_authorization_url(
            self._metadata()["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        self.sessions[cookie] = {"state": state, "verifier": verifier, "nonce": nonce, "claims": None}
        return cookie, url

    def finish(self, cookie: str, callback_url: str) -> dict:
        session = self.sessions[cookie]
        token = self._client().fetch_token(
            self._metadata()["token_endpoint"],
            authorization_response=callback_url,
            code_verifier=session["verifier"],
            state=session["state"],
        )
        claims = JsonWebToken(["RS256"]).decode(
            token["id_token"],
            self._jwks(),
            claims_cls=CodeIDToken,
            claims_options={"iss": {"essential": True, "value": self.issuer}},
            claims_params={
                "nonce": session["nonce"],
                "client_id": self.client_id,
                "access_token": token["access_token"],
            },
        )
        claims.validate(leeway=5)
        session["claims"] = dict(claims)
        return session["claims"]

    def back_channel_logout(self, logout_token: str) -> None:
        claims = JsonWebToken(["RS256"]).decode(
            logout_token,
            self._jwks(),
            claims_options={
                "iss": {"essential": True, "value": self.issuer},
                "aud": {"essential": True, "value": self.client_id},
            },
        )
        claims.validate(leeway=5)
        self.logout_tokens.append(dict(claims))
        for session in self.sessions.values():
            if session["claims"] and session["claims"].get("sid") == claims["sid"]:
                session["claims"] = None

    def _handler(self):
        party = self

        class Handler(BaseHTTPRequestHandler):
            def _cookie(self) -> str:
                raw = self.headers.get("Cookie", "")
                return dict(part.strip().split("=", 1) for part in raw.split(";") if "=" in part).get(
                    "rp", ""
                )

            def _page(self, status: int, body: str, cookie: str = "") -> None:
                data = (
                    "<!DOCTYPE html><html lang='zh-Hans'><meta charset='utf-8'>"
                    f"<title>演示部门业务系统</title><body><h1>演示部门业务系统</h1>{body}</body></html>".encode()
                )
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                if cookie:
                    self.send_header("Set-Cookie", f"rp={cookie}; Path=/; HttpOnly")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                if path == "/login":
                    cookie, url = party.begin()
                    self.send_response(302)
                    self.send_header("Location", url)
                    self.send_header("Set-Cookie", f"rp={cookie}; Path=/; HttpOnly")
                    self.end_headers()
                elif path == "/callback":
                    claims = party.finish(self._cookie(), party.base + self.path)
                    self._page(
                        200,
                        f"<p id='user'>欢迎，{html.escape(claims['name'])}</p>"
                        f"<p id='acr'>{html.escape(claims['acr'])}</p>",
                    )
                else:
                    session = party.sessions.get(self._cookie(), {})
                    claims = session.get("claims")
                    text = f"已登录：{html.escape(claims['name'])}" if claims else "未登录"
                    self._page(200, f"<p id='status'>{text}</p>")

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                party.back_channel_logout(form["logout_token"][0])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                return

        return Handler
