"""Writes of the supervision domain, one module per part (cards, evaluations, complaints, stats, demand)."""
