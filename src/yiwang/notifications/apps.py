from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "yiwang.notifications"
    verbose_name = _("通知与推送")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Define the registries now, so the start-up check sees a misconfigured id.
        from . import channels as _channels  # noqa: F401
        from . import transports as _transports  # noqa: F401
