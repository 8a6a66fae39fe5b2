"""The halls API (/api/v1/halls…): halls, slots, bookings and queue numbers."""

from ninja import Router

router = Router(tags=["halls"])
