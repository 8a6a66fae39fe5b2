"""Codes of the halls app: kinds of hall, booking and ticket statuses, audit actions, defaults."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.notifications.constants import MessageTopic

# The staff permission (identity.constants.ROLE_PERMISSIONS, the window clerk's) to call and serve tickets.
SERVE_PERMISSION = "hall.serve"
REMINDER_TOPIC = MessageTopic.APPOINTMENT_REMINDER.value
DEFAULT_SLOT_MINUTES = 30
DEFAULT_CAPACITY = 2
BOOKING_HORIZON_DAYS = 14  # how far ahead a person may book
DEFAULT_REMINDER_LEAD_HOURS = 24
WEEKDAYS = ("0", "1", "2", "3", "4", "5", "6")  # keys of Hall.opening_hours: Monday is "0"


class HallKind(models.TextChoices):
    """From the county's (or city's) centre down to the village's station."""

    CENTRE = "centre", _("政务服务中心")
    TOWN = "town", _("便民服务中心")
    VILLAGE = "village", _("便民服务站")


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CANCELLED = "cancelled", _("已取消")
    ARRIVED = "arrived", _("已取号")
    CALLED = "called", _("已叫号")
    SERVED = "served", _("已办理")
    NO_SHOW = "no_show", _("未到场")


# A booking that still holds its place (and counts for the one-per-person-per-item-per-day rule).
ACTIVE_BOOKING_STATUSES = (BookingStatus.BOOKED, BookingStatus.ARRIVED, BookingStatus.CALLED)


class TicketStatus(models.TextChoices):
    WAITING = "waiting", _("等候中")
    CALLED = "called", _("已叫号")
    SERVED = "served", _("已办理")
    NO_SHOW = "no_show", _("过号未到")


class TicketPrefix(models.TextChoices):
    """Queue numbers of bookings (A) are called before walk-ins (B), as halls do."""

    BOOKED = "A", _("预约")
    WALK_IN = "B", _("现场")


class AuditAction(models.TextChoices):
    BOOKED = "halls.booked", _("预约窗口时段")
    CANCELLED = "halls.booking_cancelled", _("取消预约")
    RESCHEDULED = "halls.booking_rescheduled", _("改约")
    TICKET_TAKEN = "halls.ticket_taken", _("取号")
    CALLED = "halls.ticket_called", _("叫号")
    SERVED = "halls.ticket_served", _("办结叫号")
    NO_SHOW = "halls.ticket_no_show", _("过号")
    REMINDED = "halls.booking_reminded", _("发送预约提醒")
