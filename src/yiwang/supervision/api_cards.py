"""Supervision API: cards."""

from ninja import Router

router = Router(tags=["supervision"])
