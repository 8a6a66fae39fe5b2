from django.urls import path

from .views import audit_workbench, data_uses, guide, me, pages, preferences, register_lookup, search

app_name = "portal"
urlpatterns = [
    path("", pages.home, name="home"),
    path("search", search.search, name="search"),
    path("search/suggest", search.suggestions, name="suggest"),
    path("items/<str:code>", me.remembering_guides(guide.guide), name="guide"),
    path("items/<str:code>/situation", guide.situation, name="situation"),
    path("bundles/<slug:code>", pages.bundle, name="bundle"),
    path("topics/<slug:code>", pages.topic, name="topic"),
    path("departments/<str:credit_code>", pages.department, name="department"),
    path("region", preferences.region_page, name="region"),
    path("region/picker", preferences.region_picker, name="region_picker"),
    path("region/choose", preferences.choose_region, name="choose_region"),
    path("preferences/elder", preferences.toggle_elder_mode, name="elder_mode"),
    path("me/", me.home, name="me"),
    path("me/vault", me.vault, name="me_vault"),
    path("me/enterprises/<str:credit_code>", me.enterprise, name="me_enterprise"),
    path("me/favourites", me.favourite, name="me_favourite"),
    path("me/data-uses", data_uses.data_uses, name="data_uses"),
    path("me/data-uses/<int:entry_id>", data_uses.data_use_detail, name="data_use_detail"),
    path("me/data-uses/<int:entry_id>/report", data_uses.report_data_use, name="data_use_report"),
    path("me/data-use-alerts/<int:alert_id>/read", data_uses.mark_alert_read, name="data_use_alert_read"),
    path("staff/audit", audit_workbench.workbench, name="audit_workbench"),
    path("staff/audit/export.csv", audit_workbench.export_log, name="audit_export"),
    path("staff/audit/reports/<int:report_id>", audit_workbench.handle_report, name="audit_handle_report"),
    path("staff/register-lookup", register_lookup.register_lookup, name="register_lookup"),
]
