"""core.sql (ADR 0014): the hand-written reads and writes give exactly what the ORM gives, on both databases.

Every comparison is of all concrete fields with their Python types (a missing converter shows as ``0`` for
``False``, text for a date, JSON text for a dict) between the ORM and ``core.sql`` on the same rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import BigIntegerField, DateTimeField
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.applications.models import Case, VaultItem
from yiwang.applications.tests.factories import CaseFactory
from yiwang.audit.models import AuditEntry
from yiwang.catalog.models import Fee, Implementation, ServiceItem
from yiwang.catalog.tests.factories import FeeFactory, ImplementationFactory
from yiwang.core import sql
from yiwang.identity.models import User
from yiwang.identity.tests.factories import UserFactory
from yiwang.licenses.models import ImportJob, License, LicenseType, SigningKey
from yiwang.licenses.tests.factories import make_license
from yiwang.notifications.models import NotificationPreference
from yiwang.regions.models import Department, Region

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def _no_queries():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        yield
    assert queries.captured_queries == []


def typed(obj: models.Model, *, leave_out: tuple[str, ...] = ()) -> dict[str, tuple[type, Any]]:
    """Every concrete field of ``obj`` by attname, as (type, value)."""
    found = {}
    for field in type(obj)._meta.concrete_fields:
        if field.attname not in leave_out:
            value = getattr(obj, field.attname)
            found[field.attname] = (type(value), value)
    return found


def written(model: type[models.Model]) -> tuple[str, ...]:
    """The fields the database or the clock decides (the key, ``auto_now``/``auto_now_add``)."""
    return tuple(
        field.attname
        for field in model._meta.concrete_fields
        if field.primary_key or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    )


def by_pk(model: type[models.Model], pk: Any, **options: Any) -> list[Any]:
    table = model._meta.db_table
    return sql.rows(model, f"{table}.{model._meta.pk.column} = %s", [pk], **options)


@contextlib.contextmanager
def rolled_back():
    """A savepoint undone at the end: each hypothesis example starts from the same rows."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


# --- 1. rows() gives the ORM's instances for real models ---------------------------------------------


def test_rows_gives_a_notification_preference_as_the_orm_does():
    user = UserFactory()
    made = NotificationPreference.objects.create(
        user=user, sms=False, email=True, daily_digest=True, muted_topics="评价 补正", language="en"
    )

    (found,) = sql.rows(NotificationPreference, "user_id = %s", [user.pk], order_by="id", limit=1)

    orm = NotificationPreference.objects.get(pk=made.pk)
    assert typed(found) == typed(orm)
    assert found.sms is False and found.email is True  # booleans, not SQLite's 0/1
    assert isinstance(found.updated_at, dt.datetime) and timezone.is_aware(found.updated_at)
    assert found._state.adding is False and found._state.db == "default"


def test_rows_gives_vault_items_with_a_nullable_foreign_key_left_joined(django_assert_num_queries):
    case = CaseFactory()
    owner = case.applicant
    common = {"holder_code": owner.id_number, "owner": owner, "sha256": "a" * 64}
    with_case = VaultItem.objects.create(
        **common,
        material_key="id_card",
        name="居民身份证",
        file="applications/vault/2026/03/身份证.pdf",
        content_type="application/pdf",
        size=12345,
        source_case=case,
        valid_until=dt.date(2030, 6, 30),
    )
    without_case = VaultItem.objects.create(**common, material_key="id_card", name="身份证复印件")
    related = ("owner", "source_case")

    found = sql.rows(
        VaultItem,
        "applications_vaultitem.holder_code = %s AND applications_vaultitem.material_key = %s",
        [owner.id_number, "id_card"],
        order_by="applications_vaultitem.id",
        related=related,
    )

    orm = list(
        VaultItem.objects.select_related(*related)
        .filter(pk__in=[with_case.pk, without_case.pk])
        .order_by("id")
    )
    assert [typed(one) for one in found] == [typed(one) for one in orm]
    assert found[0].valid_until == dt.date(2030, 6, 30) and found[0].file.name.endswith("身份证.pdf")
    with_row, without_row = found
    with_orm, without_orm = orm
    with django_assert_num_queries(0):
        assert typed(with_row.source_case) == typed(with_orm.source_case)
        assert typed(with_row.owner) == typed(with_orm.owner)
        assert without_row.source_case is None  # the LEFT JOIN found nothing: cached None, no query
        assert typed(without_row.owner) == typed(without_orm.owner)


def test_rows_gives_licenses_with_their_type_issuer_and_key_cached(django_assert_num_queries):
    staff = UserFactory(staff=True)
    first = make_license(issued_by=staff, valid_until=dt.date(2031, 1, 31))
    second = make_license(
        holder=User.objects.get(id_number=first.holder_code),
        issuer=first.issuer,
        license_type=first.license_type,
    )
    related = ("license_type", "issuer", "signing_key", "issued_by", "import_job")

    found = sql.rows(
        License,
        "licenses_license.holder_code = %s AND t1.code = %s AND licenses_license.status = %s",
        [first.holder_code, first.license_type.code, "valid"],
        order_by="licenses_license.issued_on DESC, licenses_license.id DESC",
        related=related,
    )

    orm = list(
        License.objects.select_related(*related)
        .filter(pk__in=[first.pk, second.pk])
        .order_by("-issued_on", "-id")
    )
    assert [one.pk for one in found] == [second.pk, first.pk]
    assert [typed(one) for one in found] == [typed(one) for one in orm]
    assert isinstance(found[1].surface, dict) and found[1].surface["grade"] == "一级"
    assert isinstance(found[1].payload, dict) and found[1].payload == orm[1].payload
    assert bytes(found[1].signature) == bytes(orm[1].signature)
    with django_assert_num_queries(0):
        for row, expected in zip(found, orm, strict=True):
            for name in ("license_type", "issuer", "signing_key"):
                assert typed(getattr(row, name)) == typed(getattr(expected, name))
            assert row.import_job is None
        assert typed(found[1].issued_by) == typed(orm[1].issued_by)
        assert found[0].issued_by is None


def test_rows_sets_extra_annotations_with_their_output_fields_converters():
    implementation = ImplementationFactory(complete=True)
    FeeFactory(implementation=implementation, name="工本费")
    FeeFactory(implementation=implementation, name="证书费")
    extra = {
        # a parameter in the SELECT list comes before the WHERE's
        "fees_not_named": RawSQL(
            "SELECT COUNT(*) FROM catalog_fee f"
            " WHERE f.implementation_id = catalog_implementation.id AND f.name <> %s",
            ("工本费",),
            output_field=BigIntegerField(),
        ),
        "created_again": RawSQL(
            "SELECT i.created_at FROM catalog_implementation i"
            " WHERE i.id = catalog_implementation.id AND i.code = %s",
            (implementation.code,),
            output_field=DateTimeField(),
        ),
        "nothing": RawSQL(
            "SELECT i.created_at FROM catalog_implementation i"
            " WHERE i.id = catalog_implementation.id AND i.code = %s",
            ("无此编码",),
            output_field=DateTimeField(),
        ),
    }
    related = ("item", "department", "region")

    (found,) = sql.rows(
        Implementation, "catalog_implementation.id = %s", [implementation.pk], related=related, extra=extra
    )

    orm = Implementation.objects.select_related(*related).annotate(**extra).get(pk=implementation.pk)
    assert typed(found) == typed(orm)
    for name in extra:
        assert (type(getattr(found, name)), getattr(found, name)) == (
            type(getattr(orm, name)),
            getattr(orm, name),
        )
    assert type(found.fees_not_named) is int and found.fees_not_named == 1
    assert isinstance(found.created_again, dt.datetime) and found.created_again == orm.created_at
    assert timezone.is_aware(found.created_again)
    assert found.nothing is None
    for name in related:
        assert typed(getattr(found, name)) == typed(getattr(orm, name))


def test_rows_refuses_what_is_not_a_forward_foreign_key():
    with pytest.raises(ValueError, match="not a forward foreign key"):
        sql.rows(Implementation, "1 = 1", [], related=("fees",))


# --- 2. property: any valid values, written either way, read either way, are the same ----------------

_ZONES = [dt.UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")]
_CHARACTERS = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK: Chinese text in every string
    st.characters(exclude_characters="\x00", exclude_categories=("Cs",)),  # PostgreSQL takes no NUL
)


def _text(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.text(_CHARACTERS, min_size=min_size, max_size=max_size)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text(12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text(6), inner, max_size=3),
    max_leaves=8,
)
_JSON_DOCUMENTS = st.dictionaries(_text(6), _JSON, max_size=4) | st.lists(_JSON, max_size=4)


def _integers(field: models.Field) -> st.SearchStrategy[int]:
    return st.integers(*BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()])


def _decimals(field: models.Field) -> st.SearchStrategy[Decimal]:
    bound = Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal(1).scaleb(
        -field.decimal_places
    )
    return st.decimals(-bound, bound, places=field.decimal_places, allow_nan=False, allow_infinity=False)


_BY_TYPE = {
    "CharField": lambda f: _text(f.max_length, 0 if f.blank else 1),
    "TextField": lambda f: _text(300),
    "BooleanField": lambda f: st.booleans(),
    "SmallIntegerField": _integers,
    "IntegerField": _integers,
    "BigIntegerField": _integers,
    "PositiveSmallIntegerField": _integers,
    "PositiveIntegerField": _integers,
    "PositiveBigIntegerField": _integers,
    "DecimalField": _decimals,
    "DateField": lambda f: st.dates(dt.date(1901, 1, 1), dt.date(2099, 12, 31)),
    "DateTimeField": lambda f: st.datetimes(
        dt.datetime(1901, 1, 1), dt.datetime(2099, 12, 31), timezones=st.sampled_from(_ZONES)
    ),
    "JSONField": lambda f: _JSON_DOCUMENTS,
    "BinaryField": lambda f: st.binary(max_size=80),
    "GenericIPAddressField": lambda f: st.ip_addresses().map(str),
    "FileField": lambda f: (
        (st.just("") if f.blank else st.nothing())
        | _text(40, 1).map(lambda name: f"applications/vault/2026/03/{name}")
    ),
}


def field_values(model: type[models.Model], targets: dict[type, list[Any]]) -> st.SearchStrategy[dict]:
    """Valid values of every field a caller sets (not the key, not the clock's): related rows from
    ``targets``, choices from the field's, the rest by type."""
    strategies = {}
    for field in model._meta.concrete_fields:
        if field.attname in written(model):
            continue
        if field.is_relation:
            rows = targets[field.related_model]
            strategy = st.sampled_from(rows) if rows else st.nothing()
        elif field.choices:
            blank = [""] if field.blank and isinstance(field, models.CharField) else []
            strategy = st.sampled_from([value for value, _label in field.flatchoices] + blank)
        else:
            strategy = _BY_TYPE[field.get_internal_type()](field)
        strategies[field.name] = st.none() | strategy if field.null else strategy
    return st.fixed_dictionaries(strategies)


@pytest.fixture
def targets() -> dict[type, list[Any]]:
    """Rows the generated values point at, made once per test (each example is rolled back)."""
    case = CaseFactory()
    user = UserFactory()
    license = make_license(holder=user)
    implementation = case.implementation
    return {
        User: [user, case.applicant],
        Department: [license.issuer, case.department],
        Region: [case.region],
        LicenseType: [license.license_type],
        SigningKey: [license.signing_key],
        ImportJob: [],
        Case: [case],
        Implementation: [implementation],
        ServiceItem: [implementation.item],
    }


@pytest.mark.parametrize(
    "model",
    [NotificationPreference, VaultItem, License, AuditEntry, Fee, Implementation],
    ids=lambda m: m.__name__,
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_values_read_and_written_by_sql_are_the_orms(model, targets, data):
    values = data.draw(field_values(model, targets), label="values")
    leave_out = written(model)

    with rolled_back():  # written by the ORM, read by rows()
        made = model.objects.create(**values)
        (found,) = by_pk(model, made.pk)
        assert typed(found) == typed(model.objects.get(pk=made.pk))

    with rolled_back():  # written by insert(), read by the ORM
        inserted = sql.insert(model(**values))
        assert inserted.pk is not None
        via_sql = typed(model.objects.get(pk=inserted.pk), leave_out=leave_out)
    with rolled_back():
        via_orm = typed(model.objects.get(pk=model.objects.create(**values).pk), leave_out=leave_out)
    assert via_sql == via_orm


# --- 3. insert, insert_many, update -------------------------------------------------------------------


def test_insert_gives_the_key_and_the_automatic_times():
    user = UserFactory()
    before = timezone.now()

    pref = sql.insert(NotificationPreference(user=user, email=True, muted_topics="补正"))
    item = sql.insert(
        VaultItem(
            holder_code="330102199003070011", owner=user, material_key="k", name="户口簿", sha256="b" * 64
        )
    )

    for obj in (pref, item):
        assert obj.pk is not None
        assert obj._state.adding is False and obj._state.db == "default"
    assert before <= pref.updated_at <= timezone.now()
    assert before <= item.created_at <= timezone.now()
    assert typed(NotificationPreference.objects.get(pk=pref.pk)) == typed(pref)
    assert typed(VaultItem.objects.get(pk=item.pk)) == typed(item)


def test_insert_many_returns_the_objects_with_their_keys_in_order_as_bulk_create_writes_them():
    owner = UserFactory()

    def items() -> list[VaultItem]:
        return [
            VaultItem(
                holder_code=owner.id_number,
                owner=owner,
                material_key=f"m{n}",
                name=f"材料{n}",
                sha256=f"{n}" * 64,
                size=n,
            )
            for n in range(4)
        ]

    inserted = sql.insert_many(items())
    bulk = VaultItem.objects.bulk_create(items())

    keys = [obj.pk for obj in inserted]
    assert None not in keys and keys == sorted(keys)
    for obj in inserted:  # each object got the key of its own row
        assert VaultItem.objects.get(pk=obj.pk).material_key == obj.material_key
        assert obj._state.adding is False and obj._state.db == "default"
    leave_out = written(VaultItem)
    from_sql = [typed(VaultItem.objects.get(pk=obj.pk), leave_out=leave_out) for obj in inserted]
    from_bulk = [typed(VaultItem.objects.get(pk=obj.pk), leave_out=leave_out) for obj in bulk]
    assert from_sql == from_bulk
    assert sql.insert_many([]) == []


def _preference_last_changed_long_ago() -> NotificationPreference:
    pref = NotificationPreference.objects.create(user=UserFactory(), sms=True, email=False)
    long_ago = dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    NotificationPreference.objects.filter(pk=pref.pk).update(updated_at=long_ago)
    pref.refresh_from_db()
    return pref


def test_update_writes_only_the_named_fields():
    pref = _preference_last_changed_long_ago()
    long_ago = pref.updated_at
    pref.sms, pref.email, pref.muted_topics = False, True, "未保存"

    sql.update(pref, ["sms"])

    stored = NotificationPreference.objects.get(pk=pref.pk)
    assert stored.sms is False
    assert stored.email is False and stored.muted_topics == ""  # changed in memory only
    assert stored.updated_at == long_ago  # auto_now is set only when named, as save(update_fields=) does


def test_update_sets_an_auto_now_field_it_names():
    pref = _preference_last_changed_long_ago()
    before = timezone.now()
    pref.email = True

    sql.update(pref, ["email", "updated_at"])

    stored = NotificationPreference.objects.get(pk=pref.pk)
    assert stored.email is True
    assert before <= pref.updated_at <= timezone.now()
    assert stored.updated_at == pref.updated_at


def test_update_of_no_fields_writes_nothing_as_save_does():
    pref = _preference_last_changed_long_ago()
    pref.sms = False

    with _no_queries():
        sql.update(pref, [])

    assert NotificationPreference.objects.get(pk=pref.pk).sms is True


def test_an_expression_as_a_value_is_left_to_the_orm():
    pref = _preference_last_changed_long_ago()
    pref.sms = models.Value(False)  # an expression: save() compiles it, core.sql must not bind it

    sql.update(pref, ["sms"])

    assert NotificationPreference.objects.get(pk=pref.pk).sms is False
    entry = AuditEntry(action="test.expression", object_type="test", occurred_at=models.functions.Now())
    sql.insert(entry)
    assert AuditEntry.objects.get(pk=entry.pk).occurred_at is not None


def test_update_of_a_row_that_is_gone_raises_database_error_as_save_does():
    pref = NotificationPreference.objects.create(user=UserFactory())
    NotificationPreference.objects.filter(pk=pref.pk).delete()

    with pytest.raises(DatabaseError):
        sql.update(pref, ["sms"])
    with pytest.raises(DatabaseError):  # the contract sql.update keeps
        pref.save(update_fields=["sms"])


def test_update_of_a_foreign_key_takes_the_key_of_a_row_saved_after_it_was_assigned():
    def assigned_before_saved(number: str) -> VaultItem:
        owner = UserFactory()
        item = VaultItem.objects.create(
            holder_code=owner.id_number, owner=owner, material_key="m", name="材料", sha256="c" * 64
        )
        case = CaseFactory(applicant=owner)
        case.pk, case._state.adding, case.number = None, True, number  # a second case, not saved yet
        item.source_case = case  # source_case_id is None until the case is saved
        case.save()
        assert case.pk is not None and item.source_case_id is None
        return item

    by_orm = assigned_before_saved("TEST-SQL-UPDATE-1")
    by_orm.save(update_fields=["source_case"])
    assert VaultItem.objects.get(pk=by_orm.pk).source_case_id == by_orm.source_case.pk  # what save() does

    by_sql = assigned_before_saved("TEST-SQL-UPDATE-2")
    sql.update(by_sql, ["source_case"])
    assert VaultItem.objects.get(pk=by_sql.pk).source_case_id == by_sql.source_case.pk


# --- 4. a model with save signal receivers is left to save() ------------------------------------------


@pytest.mark.parametrize("signal", [pre_save, post_save], ids=["pre_save", "post_save"])
def test_insert_and_update_go_through_save_when_a_receiver_listens(signal):
    heard: list[tuple[NotificationPreference, dict]] = []

    def receiver(sender, instance, **kwargs):
        heard.append((instance, kwargs))
        if signal is pre_save:
            instance.muted_topics = "由接收者写入"

    signal.connect(receiver, sender=NotificationPreference, dispatch_uid="test_sql_receiver")
    try:
        pref = sql.insert(NotificationPreference(user=UserFactory()))
        assert len(heard) == 1 and heard[0][0] is pref
        pref.email = True
        sql.update(pref, ["email", "muted_topics"])
        assert len(heard) == 2 and heard[1][1]["update_fields"] == frozenset({"email", "muted_topics"})
    finally:
        signal.disconnect(sender=NotificationPreference, dispatch_uid="test_sql_receiver")

    stored = NotificationPreference.objects.get(pk=pref.pk)
    assert stored.email is True
    if signal is pre_save:
        assert stored.muted_topics == "由接收者写入"  # the receiver ran before the row was written
    else:
        assert heard[0][1]["created"] is True and heard[1][1]["created"] is False
    # once the receiver is gone, insert is plain again (and the receiver is not called)
    sql.insert(NotificationPreference(user=UserFactory()))
    assert len(heard) == 2


# --- 5. errors ----------------------------------------------------------------------------------------


def test_a_unique_violation_is_djangos_integrity_error_and_leaves_the_outer_transaction_usable():
    user = UserFactory()
    sql.insert(NotificationPreference(user=user))

    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic():
            sql.insert(NotificationPreference(user=user))  # one preference per person
        with pytest.raises(IntegrityError), transaction.atomic():
            sql.insert_many([NotificationPreference(user=user), NotificationPreference(user=UserFactory())])
        other = sql.insert(NotificationPreference(user=UserFactory(), sms=False))

    assert NotificationPreference.objects.filter(user=user).count() == 1
    assert NotificationPreference.objects.get(pk=other.pk).sms is False


@pytest.mark.parametrize("through_save", [False, True], ids=["sql", "save with a receiver"])
def test_insert_if_absent_skips_a_row_breaking_a_unique_constraint_and_the_transaction_goes_on(through_save):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = UserFactory()
    first = sql.insert(NotificationPreference(user=user, email=True), if_absent=True)
    assert first is not None and first.pk is not None

    if through_save:
        pre_save.connect(
            lambda **kwargs: None, sender=NotificationPreference, weak=False, dispatch_uid="test_if_absent"
        )
    try:
        with CaptureQueriesContext(connection) as queries:
            again = sql.insert(NotificationPreference(user=user, muted_topics="补正"), if_absent=True)
    finally:
        pre_save.disconnect(sender=NotificationPreference, dispatch_uid="test_if_absent")

    assert again is None
    # one statement and no savepoint on the plain path; save() needs its savepoint to catch the error
    texts = [query["sql"] for query in queries.captured_queries]
    assert any("SAVEPOINT" in text for text in texts) is through_save
    assert len(texts) == (4 if through_save else 1)  # SAVEPOINT, INSERT, ROLLBACK TO and RELEASE
    stored = NotificationPreference.objects.get(user=user)  # the transaction is still usable
    assert stored.pk == first.pk and stored.email is True and stored.muted_topics == ""


def test_insert_if_absent_honours_a_partial_unique_index():
    """A case's idempotency key is unique per applicant only when it is not empty (a partial index)."""
    kept = CaseFactory(idempotency_key="k-1")

    def copy(number_from: Case, key: str) -> Case:
        other = CaseFactory.build(
            implementation=number_from.implementation, applicant=number_from.applicant, idempotency_key=key
        )
        other.number = other.number[:-7] + f"{Case.objects.count() + 900000:06d}" + other.number[-1]
        return other

    assert sql.insert(copy(kept, "k-1"), if_absent=True) is None
    written = [sql.insert(copy(kept, ""), if_absent=True) for _ in range(2)]

    assert all(case is not None and case.pk is not None for case in written)
    assert Case.objects.filter(applicant=kept.applicant, idempotency_key="k-1").count() == 1
    assert Case.objects.filter(applicant=kept.applicant, idempotency_key="").count() == 2


# --- 6. values() and its parameters --------------------------------------------------------------------


def test_values_takes_boolean_and_date_parameters_on_both_databases():
    owner = UserFactory()
    day = dt.date(2026, 3, 15)
    made = {
        until: VaultItem.objects.create(
            holder_code=owner.id_number,
            owner=owner,
            material_key="m",
            name="材料",
            sha256="d" * 64,
            valid_until=until,
        ).pk
        for until in (day - dt.timedelta(days=1), day, day + dt.timedelta(days=1), None)
    }
    NotificationPreference.objects.create(user=owner, sms=False)
    other = UserFactory()
    NotificationPreference.objects.create(user=other, sms=True)

    valid = sql.values(
        "SELECT id FROM applications_vaultitem WHERE holder_code = %s"
        " AND (valid_until IS NULL OR valid_until >= %s) ORDER BY id",
        [owner.id_number, sql.adapt_date(day)],
    )
    assert valid == [(made[day],), (made[day + dt.timedelta(days=1)],), (made[None],)]

    for flag, user in ((True, other), (False, owner)):
        assert sql.values(
            "SELECT user_id FROM notifications_notificationpreference WHERE sms = %s AND user_id IN (%s, %s)",
            [flag, owner.pk, other.pk],
        ) == [(user.pk,)]

    created = VaultItem.objects.filter(holder_code=owner.id_number).earliest("created_at").created_at
    assert sql.values(
        "SELECT COUNT(*) FROM applications_vaultitem WHERE holder_code = %s AND created_at <= %s",
        [owner.id_number, sql.adapt_datetime(created - dt.timedelta(seconds=1))],
    ) == [(0,)]
    assert sql.values(
        "SELECT COUNT(*) FROM applications_vaultitem WHERE holder_code = %s AND created_at >= %s",
        [owner.id_number, sql.adapt_datetime(created)],
    ) == [(4,)]
