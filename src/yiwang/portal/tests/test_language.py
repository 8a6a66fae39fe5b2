import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_chinese_by_default_even_for_an_english_browser(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in response.content.decode() or "搜索" in response.content.decode()


def test_english_when_chosen(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/")
    assert response["Content-Language"] == "en"


def test_unknown_language_cookie_falls_back_to_chinese(client):
    client.cookies["django_language"] = "xx"
    assert client.get("/")["Content-Language"] == "zh-hans"


def test_an_english_guide_counts_visits_in_english(client, guide):
    # given a guide asking for one visit, read in English
    guide.visits = 1
    guide.save(update_fields=["visits"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    # when
    html = client.get(reverse("portal:guide", args=[guide.code])).content.decode()
    # then the facts and the basic information table say "1 visit", not the Chinese "1 次"
    assert "1 次" not in html
    assert "1 visit" in html
