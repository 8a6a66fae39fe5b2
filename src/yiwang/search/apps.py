from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "yiwang.search"
    verbose_name = _("智能搜索")

    def ready(self) -> None:
        from yiwang.core.changes import CATALOG_CHANGED, CATALOG_VIEWED, subscribe

        from .backends import base as _backends  # noqa: F401  (defines the registry the start-up check reads)
        from .services.follow import record_catalog_change, record_views
        from .tasks import on_catalog_changed

        # The change log entry commits with the edit (ADR 0013); this node applies it after the commit.
        subscribe(CATALOG_CHANGED, record_catalog_change, in_transaction=True)
        subscribe(CATALOG_CHANGED, on_catalog_changed)
        subscribe(CATALOG_VIEWED, record_views)  # gathered in memory, logged once a minute per process
