"""Supervision services: anomalies (being built; see docs/supervision.md)."""
