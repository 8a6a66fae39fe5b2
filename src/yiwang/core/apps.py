from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yiwang.core"
    verbose_name = _("基础")

    def ready(self) -> None:
        # checks registers the system checks; signing defines its registry, so its setting is checked too.
        from . import checks, signing  # noqa: F401
