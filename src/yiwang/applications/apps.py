from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    """Online applications and case handling (网上申报、受理、审批、办结): forms, cases, clocks, BPMN."""

    name = "yiwang.applications"
    label = "applications"
    verbose_name = _("办件")

    def ready(self) -> None:
        # The payment-provider registry exists from start-up, so the plugin check (yiwang.E001) covers
        # APPLICATIONS_PAYMENT_PROVIDER like every other registry's setting.
        from .payments import base as payment_providers  # noqa: F401
        from .payments import checks as payment_checks  # noqa: F401  (yiwang.W002: the sandbox in use)
        from .services import results  # noqa: F401  (registers the workflow's result handlers)

        _subscribe_cases_to_changes()


def _subscribe_cases_to_changes() -> None:
    """In the revocation's transaction, every open case that used the license is flagged (cases)."""
    from yiwang.core import changes

    from .services import cases

    changes.subscribe(changes.LICENSE_REVOKED, cases.flag_cases_using_license)
