"""Supervision API: stats."""

from ninja import Router

router = Router(tags=["supervision"])
