"""Supervision in the Django admin: the card rule only (every other record has its own pages)."""
