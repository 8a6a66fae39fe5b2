"""The citizen's objections, mounted under /me/ beside the data tracker (/me/objections…)."""

from django.urls import path

from . import views

app_name = "quality_me"
urlpatterns = [
    path("objections", views.my_objections, name="list"),
    path("objections/new", views.new_objection, name="new"),
    path("objections/<int:objection_id>", views.my_objection, name="detail"),
    path("objections/<int:objection_id>/evidence", views.evidence, name="evidence"),
]
