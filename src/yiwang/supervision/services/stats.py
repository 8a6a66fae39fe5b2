"""Supervision services: stats (being built; see docs/supervision.md)."""
