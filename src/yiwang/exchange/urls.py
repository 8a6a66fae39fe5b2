from django.urls import path

from . import views
from .views import monitoring, resources
from .views import subscriptions as subscription_views

app_name = "exchange"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("resources/<str:code>/request", views.new_request, name="request"),
    path("requests/<int:request_id>/decide", views.decide, name="decide"),
    path("requests/<int:request_id>/approve-sensitive", views.approve_sensitive, name="approve_sensitive"),
    path("grants/<int:grant_id>/revoke", views.revoke, name="revoke"),
    path("subscriptions/", subscription_views.subscriptions, name="subscriptions"),
    path("subscriptions/<int:subscription_id>/cancel", subscription_views.cancel, name="cancel_subscription"),
    path("maintenance/", resources.maintenance, name="maintenance"),
    path("maintenance/export.xlsx", resources.export, name="export_resources"),
    path("maintenance/import", resources.import_resources, name="import_resources"),
    path("maintenance/<str:code>/", resources.edit_resource, name="edit_resource"),
    path("maintenance/<str:code>/items/new", resources.edit_item, name="new_item"),
    path("maintenance/<str:code>/items/<str:item_code>/", resources.edit_item, name="edit_item"),
    path("maintenance/<str:code>/items/<str:item_code>/delete", resources.delete_item, name="delete_item"),
    path("monitoring/", monitoring.dashboard, name="monitoring"),
    path("monitoring/export.xlsx", monitoring.export, name="monitoring_export"),
]
