"""Supervision pages: dashboards."""

urlpatterns: list = []
