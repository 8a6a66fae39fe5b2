from django.urls import path

from .views import guide, pages, preferences, search

app_name = "portal"
urlpatterns = [
    path("", pages.home, name="home"),
    path("search", search.search, name="search"),
    path("search/suggest", search.suggestions, name="suggest"),
    path("items/<str:code>", guide.guide, name="guide"),
    path("items/<str:code>/situation", guide.situation, name="situation"),
    path("bundles/<slug:code>", pages.bundle, name="bundle"),
    path("topics/<slug:code>", pages.topic, name="topic"),
    path("departments/<str:credit_code>", pages.department, name="department"),
    path("region", preferences.region_page, name="region"),
    path("region/picker", preferences.region_picker, name="region_picker"),
    path("region/choose", preferences.choose_region, name="choose_region"),
    path("preferences/elder", preferences.toggle_elder_mode, name="elder_mode"),
]
