from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensesConfig(AppConfig):
    """Electronic licenses (电子证照): types, signed licenses, verification, holder consent and usage."""

    name = "yiwang.licenses"
    verbose_name = _("电子证照")

    def ready(self) -> None:
        from . import exchange_source  # noqa: F401  (registers the e-license library's exchange source)
