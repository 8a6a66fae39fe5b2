"""Supervision pages: evaluations."""

urlpatterns: list = []
