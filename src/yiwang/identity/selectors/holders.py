"""For whom a person may act on licenses: themselves, the enterprises they represent, their principals.

A mandate (委托) lets its agent act for the principal only within its item scope. For licenses this
means: a license is within the mandate when the mandate covers all items, or when one of its items
accepts the license's type in place of a material (the catalog's "e-license that replaces it") or
issues a license of that type as its result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, TypeGuard

from django.db.models import Q
from django.utils import timezone

from yiwang.core import sql

from ..constants import AssuranceLevel
from ..models import Mandate, User

# Licenses are personal data: their holder must have passed a register check (level 3) to see them.
MIN_HOLDER_ASSURANCE = AssuranceLevel.REGISTER_VERIFIED


@dataclass(frozen=True)
class LicenseScope:
    """The licenses an actor may act on: every type of some holders, some types of others."""

    all_types: frozenset[str] = frozenset()  # holder codes: every license
    some_types: dict[str, frozenset[str]] = field(default_factory=dict)  # holder code -> type codes
    own: frozenset[str] = frozenset()  # the actor's own codes (a subset of ``all_types``)
    # principal code -> the first mandate in force naming that principal: (its id, the principal's label)
    mandates: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def holder_codes(self) -> set[str]:
        return set(self.all_types) | set(self.some_types)

    def covers(self, *, holder_code: str, license_type_code: str) -> bool:
        return holder_code in self.all_types or license_type_code in self.some_types.get(holder_code, ())

    def as_q(self, *, holder_field: str = "holder_code", type_fields: Iterable[str] = ()) -> Q:
        """A filter on rows carrying a holder code and a license type code (any of ``type_fields``)."""
        condition = Q(**{f"{holder_field}__in": sorted(self.all_types)}) if self.all_types else Q(pk__in=[])
        for holder_code, types in sorted(self.some_types.items()):
            of_type = Q(pk__in=[])
            for type_field in type_fields:
                of_type |= Q(**{f"{type_field}__in": sorted(types)})
            condition |= Q(**{holder_field: holder_code}) & of_type
        return condition


def _may_hold(user: User | None) -> TypeGuard[User]:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.assurance_level >= MIN_HOLDER_ASSURANCE
    )


def own_holder_codes(user: User | None) -> set[str]:
    """The codes the user holds licenses under: their ID number and the enterprises they represent."""
    if not _may_hold(user):
        return set()
    codes = {user.id_number} if user.id_number else set()
    # in SQL: read on every submission and license look-up (core.sql, ADR 0014)
    codes.update(
        code
        for (code,) in sql.values(
            "SELECT credit_code FROM identity_enterprise WHERE representative_id = %s", [user.pk]
        )
    )
    return codes


def license_type_codes_for_items(item_ids: Iterable[int]) -> set[str]:
    """License types the items accept in place of a material, or issue as their result."""
    from yiwang.catalog.models import Implementation, Material

    item_ids = list(item_ids)
    accepted = Material.objects.filter(implementation__item_id__in=item_ids).exclude(license_type_code="")
    issued = Implementation.objects.filter(item_id__in=item_ids).exclude(result_license_type="")
    return set(accepted.values_list("license_type_code", flat=True)) | set(
        issued.values_list("result_license_type", flat=True)
    )


class _MandateRow(NamedTuple):
    """A mandate in force as the selectors read it (one light query, no model instances)."""

    pk: int
    covers_all_items: bool
    code: str  # the principal's: the enterprise's credit code, or the granting person's ID number
    label: str  # the principal as the log names it (``Mandate.principal_label``)


# The mandates in force of an agent, newest first (``Mandate.Meta.ordering``), with their principals.
_MANDATES_IN_FORCE_SQL = """
    SELECT m.id, m.covers_all_items, m.enterprise_id, e.credit_code, e.name,
           g.id_number, g.surname, g.given_name, g.username
    FROM identity_mandate m
    JOIN identity_user g ON g.id = m.granted_by_id
    LEFT JOIN identity_enterprise e ON e.id = m.enterprise_id
    WHERE m.agent_id = %s AND m.revoked_at IS NULL AND m.valid_from <= %s AND m.valid_until >= %s
    ORDER BY m.created_at DESC, m.id DESC
"""


def _mandate_rows(user: User, today: dt.date | None) -> list[_MandateRow]:
    """The agent's mandates in force, in SQL: read on every submission (core.sql, ADR 0014)."""
    day = sql.adapt_date(today or timezone.localdate())
    result = []
    for pk, covers_all, enterprise_id, credit_code, name, id_number, surname, given, username in sql.values(
        _MANDATES_IN_FORCE_SQL, [user.pk, day, day]
    ):
        if enterprise_id is not None:
            result.append(_MandateRow(pk, bool(covers_all), credit_code, name))
        else:  # the label is str(granted_by): the full name, else the username
            label = f"{surname}{given}" or username
            result.append(_MandateRow(pk, bool(covers_all), id_number or "", label))
    return result


def _grounds(rows: Iterable[_MandateRow]) -> dict[str, tuple[int, str]]:
    grounds: dict[str, tuple[int, str]] = {}
    for row in rows:
        if row.code:
            grounds.setdefault(row.code, (row.pk, row.label))
    return grounds


def mandate_grounds(user: User, *, today: dt.date | None = None) -> dict[str, tuple[int, str]]:
    """For each principal code, the newest mandate in force under which ``user`` acts for it: (its id,
    the principal as the log names it). What the audit log records as an agent's ground."""
    return _grounds(_mandate_rows(user, today))


def license_type_codes_for_mandates(mandates: Iterable[Mandate | _MandateRow]) -> dict[int, set[str] | None]:
    """For each mandate, the license types within its item scope (None: every type)."""
    mandates = list(mandates)
    scoped = [mandate for mandate in mandates if not mandate.covers_all_items]
    items_by_mandate: dict[int, set[int]] = {mandate.pk: set() for mandate in scoped}
    if items_by_mandate:
        through = Mandate.items.through.objects.filter(mandate_id__in=list(items_by_mandate))
        for mandate_id, item_id in through.values_list("mandate_id", "serviceitem_id"):
            items_by_mandate[mandate_id].add(item_id)
    result: dict[int, set[str] | None] = {}
    for mandate in mandates:
        item_ids = items_by_mandate.get(mandate.pk)
        result[mandate.pk] = None if item_ids is None else license_type_codes_for_items(item_ids)
    return result


def license_scope_for(user: User | None, *, today: dt.date | None = None) -> LicenseScope:
    """Every license the user may act on: their own, their enterprises', their principals' in scope."""
    if not _may_hold(user):
        return LicenseScope()
    own = own_holder_codes(user)
    all_types = set(own)
    some_types: dict[str, set[str]] = {}
    mandates = _mandate_rows(user, today)
    types_by_mandate = license_type_codes_for_mandates(mandates)
    for mandate in mandates:
        code, types = mandate.code, types_by_mandate[mandate.pk]
        if not code or code in all_types:
            continue
        if types is None:
            all_types.add(code)
            some_types.pop(code, None)
        else:
            some_types.setdefault(code, set()).update(types)
    return LicenseScope(
        all_types=frozenset(all_types),
        some_types={code: frozenset(types) for code, types in some_types.items() if types},
        own=frozenset(own),
        mandates=_grounds(mandates),
    )


def mandated_holder_codes(user: User | None, *, today: dt.date | None = None) -> set[str]:
    """The holders who gave the user a mandate that is in force today (whatever its item scope)."""
    if not _may_hold(user):
        return set()
    return {row.code for row in _mandate_rows(user, today) if row.code}


def holder_codes_for(user: User | None) -> set[str]:
    """Every holder for whom the user may act on at least one license."""
    return license_scope_for(user).holder_codes


def may_act_on_license(actor: User | None, *, holder_code: str, license_type_code: str) -> bool:
    """Whether the actor may read and consent on a license of this holder and type."""
    return license_scope_for(actor).covers(holder_code=holder_code, license_type_code=license_type_code)


def list_users_holding(*, holder_code: str) -> list[User]:
    """The accounts that hold licenses under ``holder_code`` (the reverse of ``own_holder_codes``): the
    verified person with that ID number, or the enterprise's legal representative."""
    code = (holder_code or "").strip().upper()
    if not code:
        return []
    people = list(User.objects.filter(id_number=code, is_active=True))
    representatives = User.objects.filter(represented_enterprises__credit_code=code, is_active=True)
    return [user for user in [*people, *representatives] if _may_hold(user)]
