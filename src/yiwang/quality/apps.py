from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "yiwang.quality"
    label = "quality"
    verbose_name = _("数据质量与异议")

    def ready(self) -> None:
        from .rules import base as _base  # noqa: F401  (defines the rule registry the start-up check reads)
