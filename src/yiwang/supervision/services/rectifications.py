"""Supervision services: rectifications (being built; see docs/supervision.md)."""
