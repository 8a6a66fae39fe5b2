import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: the status query counts failures per address (every test
    client is 127.0.0.1) and the API keeps idempotent replies there; neither may carry over between tests."""
    cache.clear()
    yield
    cache.clear()
