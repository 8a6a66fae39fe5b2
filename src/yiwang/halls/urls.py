"""The halls' pages: halls near me, a hall, booking a window slot, my bookings, the window's queue."""

from django.urls import path

from . import views

app_name = "halls"
urlpatterns = [
    path("", views.hall_list, name="list"),
    path("<int:hall_id>", views.hall_detail, name="detail"),
    path("book", views.book, name="book"),
    path("my", views.my_bookings, name="my"),
    path("my/<str:code>/cancel", views.cancel, name="cancel"),
    path("my/<str:code>/check-in", views.check_in, name="check_in"),
    path("windows/<int:window_id>/queue", views.queue, name="queue"),
    path("windows/<int:window_id>/call", views.call_next, name="call_next"),
    path(
        "windows/<int:window_id>/tickets/<int:ticket_id>/served",
        views.finish,
        {"outcome": "served"},
        name="served",
    ),
    path(
        "windows/<int:window_id>/tickets/<int:ticket_id>/no-show",
        views.finish,
        {"outcome": "no_show"},
        name="no_show",
    ),
]
