from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "yiwang.search"
    verbose_name = _("智能搜索")

    def ready(self) -> None:
        from yiwang.core.changes import CATALOG_CHANGED, subscribe

        from .backends import base as _backends  # noqa: F401  (defines the registry the start-up check reads)
        from .tasks import on_catalog_changed

        subscribe(CATALOG_CHANGED, on_catalog_changed)
