"""Factories of supervision's tables (each part adds its own)."""
