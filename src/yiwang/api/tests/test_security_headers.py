"""Every page carries a Content-Security-Policy and a Permissions-Policy, and no template breaks the CSP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import yiwang

pytestmark = pytest.mark.django_db
SRC = Path(yiwang.__file__).parent


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


@pytest.mark.parametrize("path", ["/", "/licenses/verify", "/api/v1/health"])
def test_pages_send_a_strict_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_pages_deny_browser_features_the_platform_does_not_use(client):
    header = client.get("/")["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in header


def test_the_portal_page_loads_its_scripts_from_our_own_static_files(client):
    page = client.get("/").content.decode()
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page)
    assert sources and all(source.startswith("/static/") for source in sources)


def test_no_template_has_inline_script_or_style_the_policy_would_block():
    offenders = []
    for template in SRC.rglob("templates/**/*.html"):
        text = template.read_text()
        inline_scripts = [
            tag for tag in re.findall(r"<script\b[^>]*>", text) if "src=" not in tag and "json" not in tag
        ]
        if inline_scripts or re.search(r"<style\b|\sstyle=|\son[a-z]+=\"", text):
            offenders.append(str(template.relative_to(SRC)))
    assert offenders == []


def test_the_api_docs_are_served_without_a_cdn(client):
    page = client.get("/api/v1/docs").content.decode()
    assert "cdn." not in page
    assert "/static/ninja/" in page


def test_the_api_docs_load_every_asset_from_this_site_and_work_offline(client):
    # given the docs page, as a developer without internet access would open it
    page = client.get("/api/v1/docs").content.decode()
    # then it names no other host (not even Swagger's online validator) ...
    assert re.findall(r"https?://|//[a-z0-9-]+\.[a-z]", page) == []
    assert '"validatorUrl": null' in page
    # ... and every script, style and icon it needs is served here
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert {"/static/ninja/swagger-ui-bundle.js", "/static/ninja/swagger-ui.css"} <= set(assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
