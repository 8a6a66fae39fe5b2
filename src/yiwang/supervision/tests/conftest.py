import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: the public follow-up counts failures per address (every test
    client is 127.0.0.1), the API keeps idempotent replies and the scorecards are cached there."""
    cache.clear()
    yield
    cache.clear()
