"""Supervision services: cards (being built; see docs/supervision.md)."""
