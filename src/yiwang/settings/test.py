"""Test settings: the embedded stack, fast hashing, PostgreSQL when DATABASE_URL says so."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from .base import *  # noqa: F403  (settings modules are the one place a star import is the norm)
from .base import DATABASES

SECRET_KEY = "test-only-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
SEARCH_INDEX_DIR = Path(tempfile.mkdtemp(prefix="yiwang-test-index-"))
STATIC_ROOT = Path(tempfile.mkdtemp(prefix="yiwang-test-static-"))
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="yiwang-test-media-"))  # uploads (objection evidence) of tests
# Each process that loads these settings (pytest, a manage.py subprocess of a test) removes its own.
for _scratch in (SEARCH_INDEX_DIR, STATIC_ROOT, MEDIA_ROOT):
    atexit.register(shutil.rmtree, _scratch, True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Concurrent test runs (two developers, or a helper and CI) must not share a PostgreSQL test database.
DATABASES["default"]["TEST"] = {"NAME": f"test_yiwang_{os.environ.get('YIWANG_TEST_DB_SUFFIX', os.getpid())}"}
# Tests roll their keys back between cases: look the active exchange signing key up on every answer.
EXCHANGE_KEY_CACHE_SECONDS = 0
