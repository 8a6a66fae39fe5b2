import sys
import threading
import time

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


def test_a_thread_asking_while_another_loads_the_plugins_waits_for_them(tmp_path, monkeypatch):
    # given a bundled plugin module that takes a while to import (as the first request of a worker does)
    (tmp_path / "slow_plugins_for_test.py").write_text(
        "import threading, time\n"
        "from yiwang.core.registry import _registries\n"
        "STARTED = threading.Event()\n"
        "STARTED.set(); time.sleep(0.3)\n"
        "@_registries['test-slow'].register('slow')\n"
        "class Slow:\n"
        "    pass\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry("test-slow", modules=("slow_plugins_for_test",))
    found: dict[str, object] = {}

    def ask(name: str) -> None:
        try:
            found[name] = registry.get("slow")
        except ImproperlyConfigured as error:
            found[name] = error

    try:
        first = threading.Thread(target=ask, args=("first",))
        first.start()
        while "slow_plugins_for_test" not in sys.modules:  # the first thread is importing
            time.sleep(0.005)
        second = threading.Thread(target=ask, args=("second",))
        second.start()
        first.join(5)
        second.join(5)
        # then both find the plugin: the second waited instead of seeing an empty registry
        assert type(found["first"]).__name__ == type(found["second"]).__name__ == "Slow"
    finally:
        from yiwang.core import registry as module

        module._registries.pop("test-slow")
        sys.modules.pop("slow_plugins_for_test", None)
