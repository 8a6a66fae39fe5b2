from django.urls import path

from . import views

app_name = "quality"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("findings/<int:finding_id>", views.finding_detail, name="finding"),
    path("findings/<int:finding_id>/fixed", views.mark_fixed, name="mark_fixed"),
    path("findings/<int:finding_id>/dismiss", views.dismiss, name="dismiss"),
    path("objections", views.objections_to_handle, name="objections"),
    path("objections/<int:objection_id>", views.objection_to_handle, name="objection"),
    path("objections/<int:objection_id>/evidence", views.evidence, name="evidence"),
]
