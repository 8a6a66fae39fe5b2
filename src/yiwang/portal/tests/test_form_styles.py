"""Every field and button on the login, register and step-up pages has a style in the portal stylesheet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from yiwang.identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

_RULE = re.compile(r"([^{}]+)\{([^}]*)\}")
_INPUT_TYPE = re.compile(r'<input[^>]*\btype="([a-z]+)"')
_UNSTYLED_TYPES = {"hidden", "checkbox", "radio", "submit"}  # hidden, or styled through .choice / .button


def _rules() -> dict[str, str]:
    """Each selector of portal.css with the declarations of its rule."""
    css = Path(finders.find("portal/portal.css")).read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules: dict[str, str] = {}
    for selectors, body in _RULE.findall(css):
        for selector in selectors.split(","):
            rules[" ".join(selector.split())] = rules.get(" ".join(selector.split()), "") + body
    return rules


def _pages(client) -> list[str]:
    """The identity section of the login, register and step-up pages (the header has its own search box)."""
    html = [client.get(reverse("identity:login")).content.decode()]
    html.append(client.get(reverse("identity:register")).content.decode())
    client.force_login(UserFactory())
    html.append(client.get(reverse("identity:step_up")).content.decode())
    return [page[page.index('<section class="identity-page"') :] for page in html]


def test_login_register_and_step_up_fields_are_styled(client):
    rules = _rules()
    types = {kind for page in _pages(client) for kind in _INPUT_TYPE.findall(page)} - _UNSTYLED_TYPES
    assert "password" in types  # the field citizens saw unstyled
    for kind in types:
        assert "border" in rules.get(f'input[type="{kind}"]', ""), kind


def test_primary_buttons_on_identity_pages_have_the_primary_style(client):
    rules = _rules()
    pages = _pages(client)
    assert all('class="button primary"' in page for page in pages)
    assert "background: var(--brand)" in rules[".button.primary"]
