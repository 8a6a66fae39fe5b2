"""Identity's answer to search: which staff roles let a person curate search (search.curate).

Search sits below identity, so it defines the ``search-curators`` plugin registry and identity registers
this answer in its ``AppConfig.ready`` (docs/ARCHITECTURE.md, "When a lower app needs an answer ...").
"""

from __future__ import annotations

from yiwang.search.constants import SEARCH_CURATE
from yiwang.search.services.curation import CuratingRole, SearchCurators, search_curators

from .models import StaffAssignment
from .selectors.permissions import roles_with_permission


@search_curators.register("identity")
class StaffRoleCurators(SearchCurators):
    def curating_roles(self, *, actor) -> list[CuratingRole]:
        if not (getattr(actor, "is_authenticated", False) and actor.is_active and actor.is_staff_member):
            return []
        assignments = (
            StaffAssignment.objects.filter(user=actor, role__in=roles_with_permission(SEARCH_CURATE))
            .select_related("department", "region")
            .order_by("pk")
        )
        return [
            CuratingRole(role=assignment.role, department=assignment.department, region=assignment.region)
            for assignment in assignments
        ]
