"""Supervision services: feedback (being built; see docs/supervision.md)."""
