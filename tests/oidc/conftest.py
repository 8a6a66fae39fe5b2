"""The running platform for the OIDC tests, a back-channel logout receiver, and a browser-like login."""

from __future__ import annotations

import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from .live_server import free_port, prepare_server, start

HERE = Path(__file__).resolve().parent
PASSWORD = "Oidc-test-password-2026"


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, str]] = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = urllib.parse.parse_qs(self.rfile.read(length).decode())
        self.received.append({"path": self.path, **{key: values[0] for key, values in body.items()}})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        return


@pytest.fixture(scope="session")
def backchannel():
    """A loopback HTTP server that records back-channel logout tokens POSTed to it."""
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{port}", "received": _Receiver.received}
    server.shutdown()


@pytest.fixture(scope="session")
def platform(tmp_path_factory, backchannel):
    """The platform under granian with two departmental clients and a level-3 citizen."""
    server = prepare_server(
        tmp_path_factory.mktemp("oidc-var"),
        extra_env={"BACKCHANNEL_RP_ONE": backchannel["url"] + "/rp-one/backchannel"},
    )
    server.run_script(HERE / "seed_clients.py")
    start(server)
    server.metadata = requests.get(server.url + "/.well-known/openid-configuration", timeout=10).json()
    yield server
    server.stop()


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def browser_login(platform, username: str = "alice", password: str = PASSWORD) -> requests.Session:
    """A requests session that logged in through the platform's login form, as a browser would."""
    session = requests.Session()
    page = session.get(platform.url + "/accounts/login/", timeout=10)
    done = session.post(
        platform.url + "/accounts/login/",
        allow_redirects=False,
        timeout=10,
        data={
            "csrfmiddlewaretoken": csrf_token(page.text),
            "username": username,
            "password": password,
            "next": "/accounts/",
        },
    )
    assert done.status_code == 302, done.text[:500]
    return session


def authorize(browser: requests.Session, url: str) -> requests.Response:
    """Follow an authorization URL as the logged-in user, consenting if asked; the final redirect."""
    response = browser.get(url, allow_redirects=False, timeout=10)
    if response.status_code == 200 and 'id="authorizationForm"' in response.text:
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text))
        fields = {key: value.replace("&amp;", "&").replace("&quot;", '"') for key, value in fields.items()}
        fields["allow"] = "Authorize"
        response = browser.post(response.url, data=fields, allow_redirects=False, timeout=10)
    return response
