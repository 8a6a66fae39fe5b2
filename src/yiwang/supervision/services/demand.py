"""Supervision services: demand (being built; see docs/supervision.md)."""
