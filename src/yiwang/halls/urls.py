"""The halls' pages: halls near me, a hall, booking a window slot, my bookings, the window's queue."""

app_name = "halls"
urlpatterns: list = []
