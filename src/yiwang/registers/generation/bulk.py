"""Fast bulk writes for generated register data: COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def _sqlite_value(value: object) -> object:
    if isinstance(value, (dt.date, decimal.Decimal)):
        return str(value)
    return value


def insert_rows(*, model: type[Model], columns: Sequence[str], rows: Sequence[tuple]) -> int:
    """Insert rows (tuples in ``columns`` order) without model instances; returns the count."""
    if not rows:
        return 0
    table = model._meta.db_table
    column_list = ", ".join(connection.ops.quote_name(name) for name in columns)
    if connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        connection.ensure_connection()
        placeholders = ", ".join("?" for _ in columns)
        connection.connection.executemany(
            f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})",  # noqa: S608 (names from models)
            [tuple(_sqlite_value(value) for value in row) for row in rows],
        )
    return len(rows)


def reset_id_sequence(*, model: type[Model]) -> None:
    """After inserting explicit ids on PostgreSQL, move the identity sequence past them."""
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1)) FROM {table}"  # noqa: S608
        )


def next_id(*, model: type[Model]) -> int:
    last = model.objects.order_by("-id").values_list("id", flat=True).first()
    return (last or 0) + 1
