"""Point Django at a PostgreSQL benchmark database of its own, created when missing, and migrate it."""

from __future__ import annotations

import os
from pathlib import Path


def setup_django_on_postgres(*, database_url: str, var_dir: Path) -> None:
    import psycopg

    admin_url, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings.base"
    os.environ["YIWANG_VAR_DIR"] = str(var_dir)
    os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    os.environ["YIWANG_TASKS"] = "dummy"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
