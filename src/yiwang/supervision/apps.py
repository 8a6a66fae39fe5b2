from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    """Supervision (效能监察、好差评、投诉咨询、统计看板): cards, evaluations, complaints, dashboards."""

    name = "yiwang.supervision"
    label = "supervision"
    verbose_name = _("效能监察与评价")

    def ready(self) -> None:
        from yiwang.core import changes

        from .services import subscriptions

        # In the case action's transaction: the evaluation invitation on closing, the watch on acceptance
        # delays and repeated refusals, the region's demand (services.subscriptions).
        changes.subscribe(changes.CASE_CHANGED, subscriptions.on_case_changed)
