from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistersConfig(AppConfig):
    name = "yiwang.registers"
    label = "registers"
    verbose_name = _("基础库")

    def ready(self) -> None:
        from . import identity_checks  # noqa: F401  (registers identity's register-check plugin)
