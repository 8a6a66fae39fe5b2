"""Search curators turn a missed query into a synonym or an implementation's keyword, in one step.

Who is a curator is identity's answer (the ``search.curate`` permission of a staff role, within its
department and region). Search sits below identity, so it asks through the ``search-curators`` plugin that
identity registers (the same shape as identity asking the registers, docs/ARCHITECTURE.md).

The change reaches every node's index without a rebuild, through the search change log (ADR 0013): the
curation writes a log entry in its transaction; applying it mirrors the synonyms to the node's
learned-synonyms file that query analysis watches (and offers the phrase as a suggestion), or re-indexes
only the keyword's implementation (and the bundles holding it).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.catalog.models import Implementation
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.registry import Registry
from yiwang.regions.models import Department, Region
from yiwang.regions.selectors import region_covers, region_prefix

from ..analysis import analyze_query, normalize_text, written_synonyms
from ..backends import get_backend
from ..backends.base import SearchRequest, Suggestion
from ..constants import AuditAction, IndexChangeKind, MissKind, Resolution
from ..learned import write_learned_synonyms
from ..models import LearnedKeyword, LearnedSynonym, SearchMiss, SearchQueryDay
from .clicks import unclicked_rows
from .follow import after_commit_follow, record_change

logger = logging.getLogger(__name__)
MAX_OFFICIAL_LENGTH: int = LearnedSynonym._meta.get_field("official").max_length or 60


@dataclass(frozen=True)
class CuratingRole:
    """A staff role that lets its holder curate search within its department and region."""

    role: str
    department: Department
    region: Region


class SearchCurators(ABC):
    """What search asks identity: the actor's roles granting ``constants.SEARCH_CURATE``."""

    @abstractmethod
    def curating_roles(self, *, actor) -> Sequence[CuratingRole]:
        """The actor's staff roles granting the permission (none for a citizen or an inactive account)."""


search_curators: Registry[SearchCurators] = Registry(
    "search-curators", setting="SEARCH_CURATORS", default="identity"
)


@dataclass(frozen=True)
class CuratedMiss:
    miss: SearchMiss
    synonym: LearnedSynonym | None = None
    keyword: LearnedKeyword | None = None


def curating_roles(actor) -> tuple[CuratingRole, ...]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return ()
    return tuple(search_curators.configured().curating_roles(actor=actor))


def role_for_region(roles: Sequence[CuratingRole], region_code: str) -> CuratingRole | None:
    """A role whose region covers ``region_code``; a query searched without a region: any role."""
    for role in roles:
        if not region_code or region_covers(outer=role.region, inner_code=region_code):
            return role
    return None


def role_for_implementation(
    roles: Sequence[CuratingRole], implementation: Implementation
) -> CuratingRole | None:
    """A role of the implementation's department whose region covers the implementation's region."""
    for role in roles:
        if role.department.pk == implementation.department_id and region_covers(
            outer=role.region, inner_code=implementation.region_id
        ):
            return role
    return None


def region_scope(roles: Sequence[CuratingRole], field: str) -> Q:
    """Rows whose ``field`` holds a region code within one of the roles' regions."""
    scope = Q(pk__in=[])
    for role in roles:
        scope |= Q(**{f"{field}__startswith": region_prefix(code=role.region.code, level=role.region.level)})
    return scope


def curated_queries(roles: Sequence[CuratingRole]) -> Q:
    """Queries searched within the roles' regions, and those searched without a region (none: no roles)."""
    if not roles:
        return Q(pk__in=[])
    return Q(region_code="") | region_scope(roles, "region_code")


def department_scope(roles: Sequence[CuratingRole]) -> Q:
    """Implementations of the roles' departments within the roles' regions."""
    scope = Q(pk__in=[])
    for role in roles:
        prefix = region_prefix(code=role.region.code, level=role.region.level)
        scope |= Q(department_id=role.department.pk, region__code__startswith=prefix)
    return scope


def _refuse_non_curator(actor) -> tuple[CuratingRole, ...]:
    roles = curating_roles(actor)
    if not roles:
        raise PermissionDenied("仅限负责搜索维护的数据管理员操作", code="not_search_curator")
    return roles


def _locked_miss(*, actor, miss_id: int) -> tuple[SearchMiss, tuple[CuratingRole, ...], CuratingRole]:
    roles = _refuse_non_curator(actor)
    miss = SearchMiss.objects.select_for_update().filter(pk=miss_id).first()
    role = role_for_region(roles, miss.region_code) if miss is not None else None
    if miss is None or role is None:  # the same answer for missing and out of scope
        raise NotFound("未找到该零结果搜索", code="miss_not_found")
    return miss, roles, role


def _locked_unclicked(*, actor, query_id: int) -> tuple[SearchMiss, tuple[CuratingRole, ...], CuratingRole]:
    """The never-clicked query whose latest daily row is ``query_id``, as a NO_CLICK miss that keeps what
    the curator makes of it; "not found" when missing, out of scope, or clicked after all."""
    roles = _refuse_non_curator(actor)
    day = SearchQueryDay.objects.filter(pk=query_id).values("query", "region_code").first()
    role = role_for_region(roles, day["region_code"]) if day is not None else None
    found = (
        unclicked_rows(scope=curated_queries(roles)).filter(**day).first()
        if day is not None and role is not None
        else None
    )
    if day is None or role is None or found is None:
        raise NotFound("未找到该无人点击的搜索", code="unclicked_not_found")
    now = timezone.now()
    miss, _created = SearchMiss.objects.get_or_create(
        kind=MissKind.NO_CLICK, **day, defaults={"first_seen": now, "last_seen": now}
    )
    miss = SearchMiss.objects.select_for_update().get(pk=miss.pk)
    miss.count, miss.last_seen = found["total_searches"], now
    miss.save(update_fields=["count", "last_seen"])
    return miss, roles, role


def _resolve(miss: SearchMiss, resolution: str) -> None:
    miss.resolution, miss.resolved_at = resolution, timezone.now()
    miss.save(update_fields=["resolution", "resolved_at"])


def _record(*, action: str, actor, role: CuratingRole, target, department=None, details: dict) -> None:
    record_event(
        action=action,
        actor=actor,
        target=target,
        department=department,
        actor_role=role.role,
        actor_department=role.department,
        actor_region_code=role.region.code,
        details=details,
    )


def _finds_something(text: str) -> bool:
    analyzed = analyze_query(text)
    if analyzed.is_empty:
        return False
    return get_backend().search(request=SearchRequest(clauses=analyzed.clauses, limit=1)).count > 0


def checked_official(official: str) -> str:
    """The official words a synonym leads to, normalized; refused when empty or too long."""
    text = normalize_text(official or "")
    if not text:
        raise InvalidInput("请填写规范说法", code="empty_official")
    if len(text) > MAX_OFFICIAL_LENGTH:
        raise InvalidInput(
            f"规范说法不能超过 {MAX_OFFICIAL_LENGTH} 个字",
            code="official_too_long",
            max_length=MAX_OFFICIAL_LENGTH,
        )
    return text


def _publish_synonym(phrase: str) -> None:
    """After commit, on a node not yet following the log: use the synonym now, suggest the phrase."""
    write_learned_synonyms()
    try:
        get_backend().index(documents=[], suggestions=[Suggestion(text=phrase, is_catalog_name=False)])
    except Exception:  # the synonym already works; a missing suggestion returns with the next rebuild
        logger.warning("could not add a learned synonym to the suggestions", exc_info=True)


def _add_synonym(*, actor, miss: SearchMiss, role: CuratingRole, official: str) -> CuratedMiss:
    phrase = miss.query
    if phrase == official or phrase in written_synonyms():
        raise InvalidInput("该搜索词已有同义词，请改为加入事项关键词", code="synonym_exists")
    if not _finds_something(official):
        raise InvalidInput("规范说法搜不到任何事项，请换一个说法", code="official_finds_nothing")
    synonym, created = LearnedSynonym.objects.update_or_create(
        phrase=phrase, defaults={"official": official, "added_by": actor, "added_at": timezone.now()}
    )
    _resolve(miss, Resolution.SYNONYM)
    details = {
        "phrase": phrase,
        "official": official,
        "region": miss.region_code,
        "kind": miss.kind,
        "created": created,
    }
    _record(action=AuditAction.SYNONYM_ADDED, actor=actor, role=role, target=synonym, details=details)
    record_change(kind=IndexChangeKind.SYNONYMS, payload={"phrases": [phrase]})
    after_commit_follow(fallback=lambda: _publish_synonym(phrase))
    return CuratedMiss(miss=miss, synonym=synonym)


@transaction.atomic
def add_synonym_for_miss(*, actor, miss_id: int, official: str) -> CuratedMiss:
    """Make the missed query an everyday phrase for ``official`` (words the catalog uses), audited."""
    official = checked_official(official)
    miss, _roles, role = _locked_miss(actor=actor, miss_id=miss_id)
    return _add_synonym(actor=actor, miss=miss, role=role, official=official)


@transaction.atomic
def add_synonym_for_unclicked(*, actor, query_id: int, official: str) -> CuratedMiss:
    """The same step for a never-clicked query (``query_id``: its latest daily row on the screen)."""
    official = checked_official(official)
    miss, _roles, role = _locked_unclicked(actor=actor, query_id=query_id)
    return _add_synonym(actor=actor, miss=miss, role=role, official=official)


def _reindex_implementation(implementation_id: int) -> None:
    """After commit, on a node not yet following the log: re-index this implementation (and its bundles)."""
    from . import reindex_catalog_entries

    try:
        reindex_catalog_entries(implementation_ids=[implementation_id])
    except Exception:
        logger.warning("re-indexing a curated implementation failed; queued", exc_info=True)
        from ..tasks import reindex_catalog

        reindex_catalog.enqueue(implementation_ids=[implementation_id])


def _add_keyword(
    *, actor, miss: SearchMiss, roles: Sequence[CuratingRole], implementation_id: int
) -> CuratedMiss:
    implementation = (
        Implementation.objects.select_related("department")
        .filter(pk=implementation_id, is_active=True, item__is_active=True)
        .first()
    )
    role = role_for_implementation(roles, implementation) if implementation is not None else None
    if implementation is None or role is None:
        raise NotFound("未找到您可维护的事项", code="implementation_not_found")
    keyword, created = LearnedKeyword.objects.get_or_create(
        implementation=implementation, keyword=miss.query, defaults={"added_by": actor}
    )
    _resolve(miss, Resolution.KEYWORD)
    details = {
        "keyword": miss.query,
        "implementation": implementation.code,
        "region": miss.region_code,
        "kind": miss.kind,
        "created": created,
    }
    _record(
        action=AuditAction.KEYWORD_ADDED,
        actor=actor,
        role=role,
        target=keyword,
        department=implementation.department,
        details=details,
    )
    record_change(kind=IndexChangeKind.CATALOG, payload={"implementation_ids": [implementation.pk]})
    after_commit_follow(fallback=lambda: _reindex_implementation(implementation.pk))
    return CuratedMiss(miss=miss, keyword=keyword)


@transaction.atomic
def add_keyword_for_miss(*, actor, miss_id: int, implementation_id: int) -> CuratedMiss:
    """Add the missed query to the search keywords of an implementation the actor curates, audited."""
    miss, roles, _role = _locked_miss(actor=actor, miss_id=miss_id)
    return _add_keyword(actor=actor, miss=miss, roles=roles, implementation_id=implementation_id)


@transaction.atomic
def add_keyword_for_unclicked(*, actor, query_id: int, implementation_id: int) -> CuratedMiss:
    """The same step for a never-clicked query (``query_id``: its latest daily row on the screen)."""
    miss, roles, _role = _locked_unclicked(actor=actor, query_id=query_id)
    return _add_keyword(actor=actor, miss=miss, roles=roles, implementation_id=implementation_id)
