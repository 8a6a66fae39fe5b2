"""Supervision pages: feedback."""

urlpatterns: list = []
