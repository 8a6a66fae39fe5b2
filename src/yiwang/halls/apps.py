from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HallsConfig(AppConfig):
    """Service halls (政务服务中心、便民服务站), window bookings (预约) and queue numbers (取号)."""

    name = "yiwang.halls"
    label = "halls"
    verbose_name = _("服务大厅与预约")
