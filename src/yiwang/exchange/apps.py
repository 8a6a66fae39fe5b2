from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "yiwang.exchange"
    label = "exchange"
    verbose_name = _("数据共享交换")

    def ready(self) -> None:
        from yiwang.core import changes

        from .services import subscriptions

        # In the change's transaction (ADR 0007): the outbox rows commit or roll back with the change.
        changes.subscribe(changes.REGISTER_CHANGED, subscriptions.notify_register_change)
        changes.subscribe(changes.LICENSE_REVOKED, subscriptions.notify_license_revoked)
