"""Supervision pages: cards."""

urlpatterns: list = []
