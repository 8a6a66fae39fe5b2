"""The login and licence verification pages speak English once the visitor picks it, Chinese otherwise."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _choose_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})


def test_login_page_is_chinese_by_default(client):
    # given a visitor who has not chosen a language
    # when they open the login page
    html = client.get(reverse("identity:login")).content.decode()
    # then the heading and the link to register are Chinese
    assert "统一身份认证 · 登录" in html
    assert "还没有账号？" in html
    assert "Unified identity · Sign in" not in html


def test_login_page_is_english_after_choosing_english(client):
    # given a visitor who chose English
    _choose_english(client)
    # when they open the login page
    html = client.get(reverse("identity:login")).content.decode()
    # then heading, form labels and help text are English
    assert "Unified identity · Sign in" in html
    assert "No account yet?" in html
    assert "Username" in html and "Password" in html
    assert "统一身份认证 · 登录" not in html


def test_license_verification_page_is_english_after_choosing_english(client):
    # given a visitor who chose English
    _choose_english(client)
    # when they open the public licence verification page
    html = client.get(reverse("licenses:verify")).content.decode()
    # then it is titled and labelled in English
    assert "Electronic license verification" in html or "Verify an electronic license" in html
    assert "电子证照验证" not in html
