from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "yiwang.identity"
    label = "identity"
    verbose_name = _("统一身份认证")

    def ready(self) -> None:
        from yiwang.core import changes

        # Define identity's plugin registries now, so the start-up check sees a misconfigured id.
        from . import search_curators as _search_curators  # noqa: F401  (answers search: who curates)
        from .face import base as _face  # noqa: F401
        from .services import data_use_messages
        from .services import register_checks as _register_checks  # noqa: F401

        # Tell people in their inbox about uses of their data that the audit log announces (ADR 0002).
        changes.subscribe(changes.DATA_USE_ALERTED, data_use_messages.tell_data_use_alert)
        changes.subscribe(changes.SUSPICION_REPORT_HANDLED, data_use_messages.tell_report_handled)
