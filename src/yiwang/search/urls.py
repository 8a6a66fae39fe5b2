from django.urls import path

from . import views

app_name = "search"
urlpatterns = [
    path("", views.misses, name="misses"),
    path("<int:miss_id>", views.miss_detail, name="miss"),
    path("<int:miss_id>/synonym", views.add_synonym, name="add_synonym"),
    path("<int:miss_id>/keyword", views.add_keyword, name="add_keyword"),
    path("unclicked/<int:query_id>/synonym", views.add_unclicked_synonym, name="add_unclicked_synonym"),
    path("unclicked/<int:query_id>/keyword", views.add_unclicked_keyword, name="add_unclicked_keyword"),
]
