"""Supervision's background work, one module per part (card sweep, reminders, daily figures)."""
