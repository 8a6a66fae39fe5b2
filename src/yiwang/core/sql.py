"""Hot reads in plain SQL that still give model instances (ADR 0014).

The ORM spends most of a simple read building and compiling the query: a one-row ``filter().first()``
costs ~0.7 ms of CPU, of which the database's part and making the instance are ~0.1 ms. A few reads run
on every submission (the applicant's mandates and vault, the webhook endpoints, the message preference,
the holder's license); they are written here once as SQL with their ``WHERE`` in the caller's words::

    rows(VaultItem, "holder_code = %s AND material_key = %s", [code, key], order_by="id DESC", limit=1)
    rows(License, "licenses_license.holder_code = %s AND t1.code = %s", [holder, type_code],
         related=("license_type", "issuer"))

What comes back is what the ORM would have made: every concrete field, the backend's and the fields'
converters applied (booleans and dates on SQLite, JSON on both), ``related`` forward foreign keys joined
and cached on the instances as ``select_related`` would, ``extra`` annotations (``RawSQL`` with an output
field) set as attributes as ``annotate`` would. The column list, joins and converters are worked out once
per model, backend and ``related``. Parameters are bound by the driver, never formatted in; the
``where``/``order_by`` text is the caller's (the model's table by its name, a related table as ``t1``,
``t2``… in the order of ``related``). Dates and datetimes as parameters go through ``adapt_date``/
``adapt_datetime``, as the ORM does for the field.

Writes: ``insert``, ``insert_many`` and ``update`` are ``save``/``bulk_create`` with the statement's text
made once per model; a model with a ``save`` of its own or save signal receivers, and a value that is an
expression (``F()``, ``Now()``), are left to ``save``. ``insert(obj, if_absent=True)`` writes the row
unless it breaks a unique constraint (``ON CONFLICT DO NOTHING``: no savepoint to catch the error in).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal, TypeVar, overload

from django.db import DatabaseError, IntegrityError, connections, models, transaction
from django.db.models import signals
from django.db.models.expressions import RawSQL

M = TypeVar("M", bound=models.Model)

Converter = Callable[[Any, Any, Any], Any]


class _Plan:
    """How to read ``model`` (with ``related``) on one database: the SELECT head and the row layout (made
    with the current thread's connection, used with any thread's: nothing of the connection is kept)."""

    def __init__(self, model: type[models.Model], related: tuple[str, ...], alias: str) -> None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        self.parts: list[tuple[type[models.Model], list[str], slice, Any]] = []
        columns: list[str] = []
        converters: list[tuple[int, list[Converter], Any]] = []
        table = quote(model._meta.db_table)
        joins = [table]
        owners: list[tuple[type[models.Model], Any]] = [(model, None)]
        for number, name in enumerate(related, start=1):
            field = model._meta.get_field(name)
            if not (field.many_to_one or field.one_to_one) or not field.concrete:
                raise ValueError(f"{model.__name__}.{name} is not a forward foreign key")
            target = field.related_model
            kind = "LEFT JOIN" if field.null else "JOIN"
            target_column = target._meta.get_field(field.target_field.name).column
            joins.append(
                f"{kind} {quote(target._meta.db_table)} t{number} "
                f"ON t{number}.{quote(target_column)} = {table}.{quote(field.column)}"
            )
            owners.append((target, field))
        for number, (owner, field) in enumerate(owners):
            fields = owner._meta.concrete_fields
            start = len(columns)
            prefix = table if number == 0 else f"t{number}"
            for one in fields:
                col = one.get_col(prefix)
                found = connection.ops.get_db_converters(col) + one.get_db_converters(connection)
                if found:
                    converters.append((len(columns), found, col))
                columns.append(f"{prefix}.{quote(one.column)}")
            self.parts.append((owner, [one.attname for one in fields], slice(start, len(columns)), field))
        # only quoted table and column names of the models are formatted in
        self.columns = ", ".join(columns)
        self.tables = " ".join(joins)
        self.width = len(columns)
        self.converters = converters
        self.alias = alias

    def instances(self, row: Sequence[Any], connection: Any) -> models.Model:
        values = list(row)
        for index, found, col in self.converters:
            value = values[index]
            for converter in found:
                value = converter(value, col, connection)
            values[index] = value
        main_model, main_names, main_slice, _ = self.parts[0]
        main = main_model.from_db(self.alias, main_names, values[main_slice])
        for owner, names, where, field in self.parts[1:]:
            chunk = values[where]
            missing = chunk[names.index(owner._meta.pk.attname)] is None  # a LEFT JOIN found nothing
            other = None if missing else owner.from_db(self.alias, names, chunk)
            field.set_cached_value(main, other)
            if other is not None and field.one_to_one:  # the way back, as select_related sets it
                field.remote_field.set_cached_value(other, main)
        return main


@lru_cache(maxsize=256)
def _plan(model: type[models.Model], related: tuple[str, ...], alias: str, vendor: str) -> _Plan:
    return _Plan(model, related, alias)


def rows(
    model: type[M],
    where: str,
    params: Sequence[Any],
    *,
    order_by: str = "",
    limit: int | None = None,
    related: tuple[str, ...] = (),
    extra: Mapping[str, RawSQL] | None = None,
    using: str = "default",
) -> list[M]:
    """Instances of ``model`` whose row matches ``where`` (SQL on the model's table, by its name)."""
    connection = connections[using]  # this thread's
    plan = _plan(model, related, using, connection.vendor)
    extras = list((extra or {}).items())
    selected, bound = plan.columns, []
    for _name, expression in extras:
        selected += f", ({expression.sql})"
        bound.extend(expression.params)
    statement = f"SELECT {selected} FROM {plan.tables} WHERE {where}"  # noqa: S608 (the caller's SQL text)
    if order_by:
        statement += f" ORDER BY {order_by}"
    if limit is not None:
        statement += f" LIMIT {int(limit)}"
    extra_converters = [
        (expression, connection.ops.get_db_converters(expression) + expression.get_db_converters(connection))
        for _name, expression in extras
    ]
    found = []
    with connection.cursor() as cursor:
        cursor.execute(statement, [*bound, *params])
        for row in cursor.fetchall():
            instance = plan.instances(row[: plan.width], connection)
            for (name, _expression), (expression, converters), value in zip(
                extras, extra_converters, row[plan.width :], strict=True
            ):
                for converter in converters:
                    value = converter(value, expression, connection)
                setattr(instance, name, value)
            found.append(instance)
    return found  # type: ignore[return-value]


class _Insert:
    """The INSERT of a model on one database: the columns written (all concrete fields but an automatic
    primary key left empty) and the text (``if_absent``: one that skips a row breaking a unique
    constraint, ``ON CONFLICT DO NOTHING``, and returns the key of a row it wrote)."""

    def __init__(self, model: type[models.Model], with_pk: bool, alias: str, if_absent: bool = False) -> None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        pk = model._meta.pk
        self.fields = [field for field in model._meta.concrete_fields if with_pk or field is not pk]
        columns = ", ".join(quote(field.column) for field in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        table = quote(model._meta.db_table)
        self.returning = not with_pk or if_absent
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 (quoted names only)
        if if_absent:
            self.sql += " ON CONFLICT DO NOTHING"
        if self.returning:
            self.sql += f" RETURNING {quote(pk.column)}"


@lru_cache(maxsize=256)
def _insert_plan(
    model: type[models.Model], with_pk: bool, alias: str, vendor: str, if_absent: bool = False
) -> _Insert:
    return _Insert(model, with_pk, alias, if_absent)


@lru_cache(maxsize=256)
def _plain_shape(model: type[models.Model]) -> bool:
    return not (
        model.save is not models.Model.save
        or model._meta.parents
        or any(hasattr(field, "get_placeholder") for field in model._meta.concrete_fields)
    )


def _plain(model: type[models.Model]) -> bool:
    """Whether saving ``model`` is only its INSERT/UPDATE: no ``save`` of its own, no save signal
    receivers, no parent tables, no field with its own SQL placeholder. Otherwise ``insert``/``update``
    leave the work to ``save``."""
    return (
        _plain_shape(model)
        and not signals.pre_save.has_listeners(model)
        and not signals.post_save.has_listeners(model)
    )


@overload
def insert(obj: M, *, using: str = ..., if_absent: Literal[False] = ...) -> M: ...
@overload
def insert(obj: M, *, using: str = ..., if_absent: Literal[True]) -> M | None: ...
def insert(obj: M, *, using: str = "default", if_absent: bool = False) -> M | None:
    """``obj.save(force_insert=True)`` without the ORM building the statement each time: the same values
    (``pre_save``: ``auto_now``, defaults already set by the constructor; ``get_db_prep_save``) in one
    INSERT whose text is made once per model. An automatic primary key comes back with RETURNING.

    ``if_absent``: a row that would break a unique constraint (an index's too, partial ones included) is
    not written and None comes back, in place of the IntegrityError that needs a savepoint around the
    INSERT to be caught (two statements more, and a subtransaction on PostgreSQL)."""
    model = type(obj)
    if not _plain(model):
        return _save_inserting(obj, using, if_absent)
    obj._prepare_related_fields_for_save(operation_name="save")
    connection = connections[using]
    plan = _insert_plan(model, obj.pk is not None, using, connection.vendor, if_absent)
    prepared = [field.pre_save(obj, True) for field in plan.fields]
    if any(hasattr(value, "resolve_expression") for value in prepared):  # F(), Now(): the ORM's to compile
        return _save_inserting(obj, using, if_absent)
    params = [
        field.get_db_prep_save(value, connection) for field, value in zip(plan.fields, prepared, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        if plan.returning:
            row = cursor.fetchone()
            if row is None:  # if_absent, and the row was there
                return None
            obj.pk = row[0]
    obj._state.adding, obj._state.db = False, using
    return obj


def _save_inserting(obj: M, using: str, if_absent: bool) -> M | None:
    if not if_absent:
        obj.save(force_insert=True, using=using)
        return obj
    try:
        with transaction.atomic(using=using):
            obj.save(force_insert=True, using=using)
    except IntegrityError as error:
        if _is_unique_violation(error):  # what ON CONFLICT DO NOTHING skips; a foreign key's still raises
            return None
        raise
    return obj


_UNIQUE_SQLSTATE = "23505"
_SQLITE_UNIQUE_CODES = {1555, 2067}  # SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE


def _is_unique_violation(error: IntegrityError) -> bool:
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) is not None:
        return cause.sqlstate == _UNIQUE_SQLSTATE  # type: ignore[union-attr]
    return getattr(cause, "sqlite_errorcode", None) in _SQLITE_UNIQUE_CODES


def insert_many(objs: Sequence[M], *, using: str = "default") -> list[M]:
    """``bulk_create(objs)`` for a few new rows of one model (none with its primary key set), in one
    INSERT whose text is made once per model and row count; their keys come back with RETURNING, in the
    order of ``objs`` (as ``bulk_create`` relies on too). Like ``bulk_create``, no ``save`` runs."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    if not _plain_shape(model) or any(obj.pk is not None or type(obj) is not model for obj in objs):
        return model._default_manager.using(using).bulk_create(objs)
    connection = connections[using]
    plan = _insert_plan(model, False, using, connection.vendor)
    params: list[Any] = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        params.extend(field.get_db_prep_save(field.pre_save(obj, True), connection) for field in plan.fields)
    with connection.cursor() as cursor:
        cursor.execute(_insert_many_sql(model, len(objs), using, connection.vendor), params)
        keys = [row[0] for row in cursor.fetchall()]
    for obj, key in zip(objs, keys, strict=True):
        obj.pk = key
        obj._state.adding, obj._state.db = False, using
    return objs


@lru_cache(maxsize=256)
def _insert_many_sql(model: type[models.Model], count: int, alias: str, vendor: str) -> str:
    plan = _insert_plan(model, False, alias, vendor)
    head, returning = plan.sql.split(" VALUES ")[0], plan.sql.split(" RETURNING ")[1]
    row = "(" + ", ".join(["%s"] * len(plan.fields)) + ")"
    return f"{head} VALUES {', '.join([row] * count)} RETURNING {returning}"


@lru_cache(maxsize=256)
def _fields_by_name(model: type[models.Model]) -> dict[str, Any]:
    """The concrete fields by name and by attname (``save(update_fields=...)`` takes both)."""
    fields = {field.name: field for field in model._meta.concrete_fields}
    fields.update({field.attname: field for field in model._meta.concrete_fields})
    return fields


def update(obj: models.Model, fields: Sequence[str], *, using: str = "default") -> None:
    """``obj.save(update_fields=fields)`` as one UPDATE by primary key (``auto_now`` fields among
    ``fields`` are set now, as ``save`` does); a row that is gone raises ``DatabaseError`` as ``save``
    does."""
    model = type(obj)
    if not fields:
        return  # as save(update_fields=[]): nothing to write
    if not _plain(model):
        obj.save(update_fields=fields, using=using)
        return
    by_name = _fields_by_name(model)
    chosen = [by_name[name] for name in fields]
    obj._prepare_related_fields_for_save(operation_name="save", fields=chosen)
    prepared = [field.pre_save(obj, False) for field in chosen]
    if any(hasattr(value, "resolve_expression") for value in prepared):  # F(), Now(): the ORM's to compile
        obj.save(update_fields=fields, using=using)
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in chosen)
    params = [
        field.get_db_prep_save(value, connection) for field, value in zip(chosen, prepared, strict=True)
    ]
    table, pk = quote(model._meta.db_table), model._meta.pk
    statement = f"UPDATE {table} SET {assignments} WHERE {quote(pk.column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, pk.get_db_prep_value(obj.pk, connection)])
        if cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")


def values(sql: str, params: Sequence[Any], *, using: str = "default") -> list[tuple[Any, ...]]:
    """The rows of a plain SELECT of scalar columns (no converters: ints, strings, booleans as stored)."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def adapt_date(value: dt.date, *, using: str = "default") -> Any:
    """A date as the backend takes it in a parameter (SQLite: ISO text)."""
    return connections[using].ops.adapt_datefield_value(value)


def adapt_datetime(value: dt.datetime, *, using: str = "default") -> Any:
    """A datetime as the backend takes it in a parameter (SQLite: UTC text)."""
    return connections[using].ops.adapt_datetimefield_value(value)
