"""Placeholder: filled in by its owner (see docs/applications.md)."""

urlpatterns: list = []
