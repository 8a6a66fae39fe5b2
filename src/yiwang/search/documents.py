"""Search documents and suggestions flattened from the catalog (reads only, streamed for big catalogs)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import islice

from django.db.models import Q

from yiwang.catalog.constants import OnlineDepth
from yiwang.catalog.models import Bundle, BundleItem, Implementation, ServiceItem
from yiwang.regions.models import Region

from .analysis import official_terms, synonyms
from .backends.base import BUNDLE, IMPLEMENTATION, SearchDocument, Suggestion
from .models import LearnedKeyword

_IMPLEMENTATION_FIELDS = (
    "pk",
    "code",
    "name",
    "item_id",
    "item__name",
    "item__keywords",
    "item__item_type",
    "item__audiences",
    "department__name",
    "department__credit_code",
    "region_id",
    "online_depth",
    "visits",
    "view_count",
)


def batched(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def implementation_url(code: str) -> str:
    return f"/items/{code}"


def bundle_url(code: str) -> str:
    return f"/bundles/{code}"


def _is_online(depth: int | None) -> bool:
    return (depth or 0) >= OnlineDepth.ONLINE_SUBMISSION


class RegionDirectory:
    """Names and ancestor chains of regions, fetched in a few queries and remembered for one build."""

    def __init__(self, *, preload_all: bool = False) -> None:
        self._regions: dict[str, tuple[str, str, str | None]] = {}
        if preload_all:
            self._fetch(None)

    def _fetch(self, codes: set[str] | None) -> None:
        regions = Region.objects.all() if codes is None else Region.objects.filter(code__in=codes)
        for code, name, full_name, parent in regions.values_list("code", "name", "full_name", "parent_id"):
            self._regions[code] = (name, full_name, parent)

    def prefetch(self, codes: Iterable[str]) -> None:
        self._ensure(codes)

    def _ensure(self, codes: Iterable[str]) -> None:
        missing = {code for code in codes if code and code not in self._regions}
        while missing:  # one round per level at most
            self._fetch(missing)
            missing = {self._regions[code][2] for code in missing if code in self._regions} - {None}
            missing = {code for code in missing if code not in self._regions}

    def path(self, code: str) -> tuple[str, ...]:
        self._ensure([code])
        chain = []
        while code and code in self._regions:
            chain.append(code)
            code = self._regions[code][2]
        return tuple(chain)

    def name(self, code: str) -> str:
        self._ensure([code])
        return self._regions.get(code, ("", "", None))[0]

    def full_name(self, code: str) -> str:
        self._ensure([code])
        return self._regions.get(code, ("", "", None))[1]


def _item_topics(item_ids: Iterable[int] | None = None) -> dict[int, tuple[str, ...]]:
    links = ServiceItem.topics.through.objects.all()
    if item_ids is not None:
        links = links.filter(serviceitem_id__in=list(item_ids))
    topics: dict[int, list[str]] = defaultdict(list)
    for item_id, code in links.values_list("serviceitem_id", "topic__code"):
        topics[item_id].append(code)
    return {item_id: tuple(codes) for item_id, codes in topics.items()}


def _learned_keywords(implementation_ids: Iterable[int]) -> dict[int, str]:
    """Keywords search curators added to these implementations, space-separated per implementation."""
    keywords: dict[int, list[str]] = defaultdict(list)
    rows = LearnedKeyword.objects.filter(implementation_id__in=list(implementation_ids)).order_by("pk")
    for implementation_id, keyword in rows.values_list("implementation_id", "keyword"):
        keywords[implementation_id].append(keyword)
    return {implementation_id: " ".join(words) for implementation_id, words in keywords.items()}


def active_implementations():
    return Implementation.objects.filter(is_active=True, item__is_active=True)


def implementation_documents(
    *, implementations=None, regions: RegionDirectory | None = None, chunk_size: int = 5000
) -> Iterator[SearchDocument]:
    """Documents of active implementations (all of them unless a queryset narrows them)."""
    narrowed = implementations is not None  # a few rows (a change log entry): their items' topics only
    implementations = active_implementations() if implementations is None else implementations
    regions = regions or RegionDirectory()
    topics = {} if narrowed else _item_topics()
    rows = implementations.order_by().values_list(*_IMPLEMENTATION_FIELDS).iterator(chunk_size=chunk_size)
    for batch in batched(rows, chunk_size):
        regions.prefetch(row[10] for row in batch)
        if narrowed:
            topics = _item_topics({row[3] for row in batch})
        learned = _learned_keywords(row[0] for row in batch)
        for (
            pk,
            code,
            name,
            item_id,
            item_name,
            keywords,
            item_type,
            audiences,
            department,
            credit_code,
            region_code,
            depth,
            visits,
            views,
        ) in batch:
            yield SearchDocument(
                kind=IMPLEMENTATION,
                pk=pk,
                code=code,
                name=name,
                url=implementation_url(code),
                item_name=item_name,
                keywords=f"{keywords} {learned[pk]}" if pk in learned else keywords,
                department_name=department,
                department_code=credit_code,
                region_code=region_code,
                region_name=regions.name(region_code),
                region_full_name=regions.full_name(region_code),
                region_path=regions.path(region_code),
                audiences=tuple(audiences or ()),
                item_type=item_type,
                topics=topics.get(item_id, ()),
                is_online=_is_online(depth),
                visits=visits,
                popularity=views,
            )


def bundle_documents(*, bundles=None, regions: RegionDirectory | None = None) -> Iterator[SearchDocument]:
    bundles = Bundle.objects.filter(is_active=True) if bundles is None else bundles
    bundles = bundles.select_related("lead_department").prefetch_related("topics")
    regions = regions or RegionDirectory()
    members: dict[int, list[tuple[str, int | None, bool]]] = defaultdict(list)
    for bundle_id, name, depth, is_active in BundleItem.objects.filter(bundle__in=bundles).values_list(
        "bundle_id", "implementation__name", "implementation__online_depth", "implementation__is_active"
    ):
        members[bundle_id].append((name, depth, is_active))
    for bundle in bundles:
        parts = members.get(bundle.pk, [])
        yield SearchDocument(
            kind=BUNDLE,
            pk=bundle.pk,
            code=bundle.code,
            name=bundle.name,
            url=bundle_url(bundle.code),
            item_name=" ".join(dict.fromkeys(name for name, _depth, _active in parts)),
            keywords=bundle.keywords,
            department_name=bundle.lead_department.name,
            department_code=bundle.lead_department.credit_code,
            region_code=bundle.region_id,
            region_name=regions.name(bundle.region_id),
            region_full_name=regions.full_name(bundle.region_id),
            region_path=regions.path(bundle.region_id),
            audiences=(bundle.audience,),
            topics=tuple(topic.code for topic in bundle.topics.all()),
            is_online=bool(parts) and all(active and _is_online(depth) for _name, depth, active in parts),
            visits=bundle.visits,
            popularity=bundle.view_count,
        )


class SuggestionTally:
    """Adds up the popularity of every name the documents passing through lend to suggestions."""

    def __init__(self) -> None:
        self.popularity: dict[str, int] = defaultdict(int)

    def count(self, documents: Iterable[SearchDocument]) -> Iterator[SearchDocument]:
        for document in documents:
            for name in document.suggestion_names:
                self.popularity[name] += document.popularity
            yield document

    def suggestions(self, *, with_official_terms: bool = True) -> Iterator[Suggestion]:
        for text, popularity in self.popularity.items():
            yield Suggestion(text=text, popularity=popularity)
        if with_official_terms:
            # Official terms, and the everyday words people type for them (社保卡, 开饭店): each leads to
            # results through the synonyms.
            for term in dict.fromkeys([*official_terms(), *synonyms()]):
                if term not in self.popularity:
                    yield Suggestion(text=term, popularity=0, is_catalog_name=False)


def suggestions_for_items(*, item_ids: Iterable[int], bundle_names: Iterable[str] = ()) -> list[Suggestion]:
    """Suggestions of the names used by these items' implementations (and by these bundles), re-tallied."""
    popularity: dict[str, int] = defaultdict(int)
    rows = (
        active_implementations()
        .filter(item_id__in=list(item_ids))
        .values_list("name", "item__name", "view_count")
    )
    for name, item_name, views in rows.iterator(chunk_size=5000):
        for text in dict.fromkeys((name, item_name)):
            popularity[text] += views
    bundles = Bundle.objects.filter(is_active=True, name__in=list(bundle_names))
    for name, views in bundles.values_list("name", "view_count"):
        popularity[name] += views
    return [Suggestion(text=text, popularity=views) for text, views in popularity.items() if text]


def implementations_matching(
    *, ids: Iterable[int] = (), codes: Iterable[str] = (), item_ids: Iterable[int] = ()
):
    return Implementation.objects.filter(
        Q(pk__in=list(ids)) | Q(code__in=list(codes)) | Q(item_id__in=list(item_ids))
    )


def bundles_matching(*, ids: Iterable[int] = (), codes: Iterable[str] = ()):
    return Bundle.objects.filter(Q(pk__in=list(ids)) | Q(code__in=list(codes)))
