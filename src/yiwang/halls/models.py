"""Service halls, their windows and items, bookable slots, bookings and queue tickets."""
