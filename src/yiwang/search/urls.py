from django.urls import path

from . import views

app_name = "search"
urlpatterns = [
    path("", views.misses, name="misses"),
    path("<int:miss_id>", views.miss_detail, name="miss"),
    path("<int:miss_id>/synonym", views.add_synonym, name="add_synonym"),
    path("<int:miss_id>/keyword", views.add_keyword, name="add_keyword"),
]
