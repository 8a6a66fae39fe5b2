"""Whom a staff member may supervise: the one scope every supervision page, API and export asks.

A department head (``supervision.view`` through a department role) sees their department's cases, cards,
tickets and complaints. A supervisor (``supervision.oversee``) sees every department within the region of
their role. Both are asked of identity's selectors; the region arithmetic is the regions app's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from yiwang.identity.selectors import (
    assignment_covering_region,
    assignment_with_permission,
    department_ids_with_permission,
    region_codes_with_permission,
)
from yiwang.regions.models import Region
from yiwang.regions.selectors import region_prefix

OVERSEE = "supervision.oversee"
VIEW = "supervision.view"
RESPOND = "supervision.respond"
HANDLE_COMPLAINTS = "complaint.handle"


@dataclass(frozen=True)
class SupervisionScope:
    """The departments and regions an actor may see; empty for citizens and anonymous visitors."""

    department_ids: frozenset[int]
    region_prefixes: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.department_ids and not self.region_prefixes

    def q(self, *, department_field: str = "department", region_field: str = "region") -> Q:
        """The rows (with a department and a region foreign key) this scope covers; nothing when empty."""
        condition = Q(pk__in=[])
        if self.department_ids:
            condition |= Q(**{f"{department_field}_id__in": sorted(self.department_ids)})
        for prefix in self.region_prefixes:
            condition |= Q(**{f"{region_field}__pk__startswith": prefix})
        return condition

    def covers(self, *, department_id: int, region_code: str) -> bool:
        return department_id in self.department_ids or any(
            region_code.startswith(prefix) for prefix in self.region_prefixes
        )


def supervision_scope_for(actor: Any, *, permission: str = VIEW) -> SupervisionScope:
    """The actor's scope for ``permission`` (department roles) plus every region they oversee."""
    department_ids = frozenset(department_ids_with_permission(actor, permission))
    codes = region_codes_with_permission(actor, OVERSEE)
    regions = Region.objects.filter(code__in=codes).only("code", "level")
    prefixes = tuple(sorted({region_prefix(code=region.code, level=region.level) for region in regions}))
    return SupervisionScope(department_ids=department_ids, region_prefixes=prefixes)


def authority_for(actor: Any, *, permission: str, department_id: int, region_code: str) -> Any:
    """The staff role on whose authority the actor acts on this department's record (for the audit log):
    a department role granting ``permission``, else a supervisor's role covering the region; or None."""
    assignment = assignment_with_permission(
        actor=actor, permission=permission, department_id=department_id, region_code=region_code
    )
    if assignment is None:
        assignment = assignment_covering_region(actor=actor, permission=OVERSEE, region_code=region_code)
    return assignment
