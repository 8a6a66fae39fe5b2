from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistersConfig(AppConfig):
    name = "yiwang.registers"
    label = "registers"
    verbose_name = _("基础库")
