from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("resources/<str:code>/request", views.new_request, name="request"),
    path("requests/<int:request_id>/decide", views.decide, name="decide"),
    path("requests/<int:request_id>/approve-sensitive", views.approve_sensitive, name="approve_sensitive"),
    path("grants/<int:grant_id>/revoke", views.revoke, name="revoke"),
]
