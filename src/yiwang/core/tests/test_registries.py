"""The apps' plugin registries are core registries: configured at start-up, unknown ids refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from yiwang.core.checks import check_configured_plugins
from yiwang.core.registry import registries


def _registry(kind: str):
    return next(registry for registry in registries() if registry.kind == kind)


@pytest.mark.parametrize(
    ("kind", "bundled"),
    [("search", "tantivy"), ("sms", "console"), ("face", "test"), ("identity-register-checks", "registers")],
)
def test_each_app_defines_its_registry_at_start_up_with_its_bundled_plugins(kind, bundled):
    assert bundled in _registry(kind).ids()


@pytest.mark.parametrize(
    ("setting", "kind"),
    [
        ("SEARCH_BACKEND", "search"),
        ("NOTIFICATIONS_SMS_BACKEND", "sms"),
        ("IDENTITY_FACE_PROVIDER", "face"),
        ("IDENTITY_REGISTER_CHECKS", "identity-register-checks"),
    ],
)
def test_an_unknown_plugin_id_is_a_start_up_error(settings, setting, kind):
    setattr(settings, setting, "no-such-plugin")
    errors = check_configured_plugins()
    assert [error.msg.split(":")[0] for error in errors] == [kind]
    with pytest.raises(ImproperlyConfigured):
        _registry(kind).configured()


def test_no_face_provider_is_not_an_error(settings):
    from yiwang.identity.face import get_face_provider

    settings.IDENTITY_FACE_PROVIDER = ""
    assert get_face_provider() is None
    assert check_configured_plugins() == []


def test_a_second_sms_backend_under_a_taken_id_is_refused():
    from yiwang.notifications.sms import SmsBackend, register

    with pytest.raises(ImproperlyConfigured):

        @register("console")
        class AnotherConsole(SmsBackend):
            def send(self, *, phone: str, message: str, reference: str = "") -> None:
                pass
