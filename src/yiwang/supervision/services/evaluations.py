"""Supervision services: evaluations (being built; see docs/supervision.md)."""
