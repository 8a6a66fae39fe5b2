import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from yiwang.core.checks import check_configured_plugins
from yiwang.core.registry import Registry, registries


@pytest.fixture
def greeters():
    registry = Registry("test-greeters", setting="TEST_GREETER", default="plain")
    yield registry
    from yiwang.core import registry as module

    module._registries.pop("test-greeters")


def test_a_registered_plugin_is_found_by_its_id(greeters):
    @greeters.register("plain")
    class Plain:
        def greet(self):
            return "你好"

    assert greeters.get("plain").greet() == "你好"
    assert greeters.ids() == ["plain"]


def test_a_second_plugin_under_the_same_id_is_refused(greeters):
    @greeters.register("plain")
    class Plain:
        pass

    with pytest.raises(ImproperlyConfigured, match="already registered"):

        @greeters.register("plain")
        class Other:
            pass


def test_an_unknown_id_is_a_configuration_error_not_a_bad_request(greeters):
    with pytest.raises(ImproperlyConfigured, match="unknown id 'missing'"):
        greeters.get("missing")


def test_the_startup_check_names_a_setting_that_points_at_no_plugin(greeters):
    @greeters.register("plain")
    class Plain:
        pass

    assert not [e for e in check_configured_plugins() if "test-greeters" in e.msg]
    with override_settings(TEST_GREETER="typo"):
        errors = [e for e in check_configured_plugins() if "test-greeters" in e.msg]
    assert [e.id for e in errors] == ["yiwang.E001"]


def test_a_registry_kind_is_defined_once(greeters):
    with pytest.raises(ImproperlyConfigured):
        Registry("test-greeters")
    assert greeters in list(registries())
