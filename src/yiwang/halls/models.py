"""Service halls, their windows and items, bookable slots, bookings and queue tickets."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import TimeStampedModel

from .constants import (
    ACTIVE_BOOKING_STATUSES,
    DEFAULT_CAPACITY,
    DEFAULT_SLOT_MINUTES,
    BookingStatus,
    HallKind,
    TicketPrefix,
    TicketStatus,
)

MAP_SEARCH_URL = "https://uri.amap.com/search?keyword={query}"


class Hall(TimeStampedModel):
    """A 政务服务中心, 便民服务中心 or 便民服务站 in one region, with its weekly opening hours.

    ``opening_hours`` maps a weekday ("0" Monday … "6" Sunday) to its periods, e.g.
    ``{"0": [["09:00", "12:00"], ["13:30", "17:00"]], …}``. Slots exist only on working days of the
    statutory calendar; a make-up working day (调休上班) without hours of its own uses Monday's.
    """

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=HallKind.choices, default=HallKind.CENTRE)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="halls"
    )
    address = models.CharField(_("地址"), max_length=200)
    phone = models.CharField(_("咨询电话"), max_length=50, blank=True)
    opening_hours = models.JSONField(_("办公时间"), default=dict, blank=True)
    slot_minutes = models.PositiveSmallIntegerField(_("每个预约时段（分钟）"), default=DEFAULT_SLOT_MINUTES)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    is_active = models.BooleanField(_("开放"), default=True)

    class Meta:
        verbose_name = _("服务大厅")
        verbose_name_plural = _("服务大厅")
        ordering = ["region_id", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="hall_unique_name_in_region")]

    def __str__(self) -> str:
        return self.name

    @property
    def map_url(self) -> str:
        """A map search for the address (a plain link: no map script on our pages)."""
        if self.latitude is not None and self.longitude is not None:
            return (
                f"https://uri.amap.com/marker?position={self.longitude},{self.latitude}"
                f"&name={quote(self.name)}"
            )
        return MAP_SEARCH_URL.format(query=quote(f"{self.address} {self.name}"))


class Window(models.Model):
    """A numbered window of a hall, staffed for some items (implementations)."""

    hall = models.ForeignKey(Hall, verbose_name=_("大厅"), on_delete=models.CASCADE, related_name="windows")
    number = models.PositiveSmallIntegerField(_("窗口号"))
    name = models.CharField(_("名称"), max_length=100)
    department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("进驻部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hall_windows",
        help_text=_("综合窗口可不填"),
    )
    implementations = models.ManyToManyField(
        "catalog.Implementation", verbose_name=_("可办事项"), blank=True, related_name="hall_windows"
    )
    capacity = models.PositiveSmallIntegerField(_("每时段可预约人数"), default=DEFAULT_CAPACITY)
    is_active = models.BooleanField(_("开放"), default=True)

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["hall_id", "number"]
        constraints = [models.UniqueConstraint(fields=["hall", "number"], name="window_unique_number")]

    def __str__(self) -> str:
        return f"{self.hall.name} {self.number}号窗口 {self.name}"


class SlotUsage(models.Model):
    """How many places of one window's slot are taken: the row a booking raises by a conditional update."""

    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="usages")
    starts_at = models.DateTimeField()
    booked = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("时段占用")
        verbose_name_plural = _("时段占用")
        constraints = [models.UniqueConstraint(fields=["window", "starts_at"], name="slot_usage_once")]

    def __str__(self) -> str:
        return f"{self.window_id} {self.starts_at:%Y-%m-%d %H:%M} {self.booked}"


class Booking(TimeStampedModel):
    """A person's place in one window's slot for one item (预约)."""

    code = models.CharField(_("预约号"), max_length=12, unique=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("预约人"), on_delete=models.PROTECT, related_name="bookings"
    )
    window = models.ForeignKey(
        Window, verbose_name=_("窗口"), on_delete=models.PROTECT, related_name="bookings"
    )
    implementation = models.ForeignKey(
        "catalog.Implementation", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="bookings"
    )
    date = models.DateField(_("日期"))
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    status = models.CharField(
        _("状态"), max_length=16, choices=BookingStatus.choices, default=BookingStatus.BOOKED, db_index=True
    )
    rescheduled_from = models.OneToOneField(
        "self",
        verbose_name=_("改约自"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rescheduled_to",
    )
    idempotency_key = models.CharField(max_length=100, blank=True)
    reminded_at = models.DateTimeField(_("已提醒"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "implementation", "date"],
                condition=Q(status__in=[status.value for status in ACTIVE_BOOKING_STATUSES]),
                name="booking_one_active_per_item_day",
            ),
            models.UniqueConstraint(
                fields=["person", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="booking_idempotency_key_once",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def hall(self) -> Hall:
        return self.window.hall


class QueueTicket(TimeStampedModel):
    """A queue number (取号) of one hall and day: from a booking on arrival, or a walk-in."""

    hall = models.ForeignKey(Hall, verbose_name=_("大厅"), on_delete=models.PROTECT, related_name="tickets")
    date = models.DateField(_("日期"))
    prefix = models.CharField(_("号段"), max_length=1, choices=TicketPrefix.choices)
    number = models.PositiveSmallIntegerField(_("序号"))
    booking = models.OneToOneField(
        Booking,
        verbose_name=_("预约"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ticket",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("取号人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="queue_tickets",
    )
    implementation = models.ForeignKey(
        "catalog.Implementation", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.WAITING, db_index=True
    )
    window = models.ForeignKey(
        Window,
        verbose_name=_("叫号窗口"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    called_at = models.DateTimeField(_("叫号时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        ordering = ["date", "prefix", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "date", "prefix", "number"], name="ticket_number_once")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The number people see and hear: A023."""
        return f"{self.prefix}{self.number:03d}"
