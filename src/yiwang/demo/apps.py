from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Orchestrates the demo data set across apps (the top layer: it may call every app's services)."""

    name = "yiwang.demo"
    verbose_name = _("演示数据")
