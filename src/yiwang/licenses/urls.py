from django.urls import path

from . import views, views_issue, views_show

app_name = "licenses"
urlpatterns = [
    path("", views.my_licenses, name="mine"),
    path("verify", views.verify_page, name="verify"),
    path("show/<str:token>", views.scanned, name="scanned"),
    path("consents/", views.my_consents, name="consents"),
    path("consents/<int:consent_id>/revoke", views.revoke_consent, name="revoke_consent"),
    path("consent-requests/new", views.new_consent_request, name="new_consent_request"),
    path("consent-requests/<str:token>", views.consent_request, name="consent_request"),
    path("issue", views_issue.issue_page, name="issue"),
    path("imports/new", views.import_page, name="import"),
    path("imports/<int:job_id>", views.import_progress, name="import_progress"),
    path("<str:identifier>/", views.license_detail, name="detail"),
    path("<str:identifier>/show", views_show.show_license, name="show"),
    path("<str:identifier>/show.json", views_show.show_license_state, name="show_state"),
    path("<str:identifier>/pdf", views.download_pdf, name="pdf"),
    path("<str:identifier>/bundle.json", views.download_bundle, name="bundle"),
    path("<str:identifier>/consent", views.grant_consent, name="grant_consent"),
]
