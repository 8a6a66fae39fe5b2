"""Supervision services: predictions (being built; see docs/supervision.md)."""
