"""What a search backend does, whatever engine answers: index, delete, search and suggest."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from yiwang.core.registry import Registry

from ..analysis import QueryClause

IMPLEMENTATION = "implementation"
BUNDLE = "bundle"


@dataclass(frozen=True)
class SearchDocument:
    """One searchable implementation or bundle, flattened from the catalog."""

    kind: str
    pk: int
    code: str
    name: str
    url: str
    item_name: str = ""
    keywords: str = ""
    department_name: str = ""
    department_code: str = ""
    region_code: str = ""
    region_name: str = ""
    region_full_name: str = ""
    region_path: tuple[str, ...] = ()  # the region and every ancestor
    audiences: tuple[str, ...] = ()
    item_type: int | None = None
    topics: tuple[str, ...] = ()
    is_online: bool = False
    visits: int | None = None
    popularity: int = 0

    @property
    def key(self) -> str:
        return document_key(kind=self.kind, pk=self.pk)

    @property
    def code_key(self) -> str:
        return code_key(kind=self.kind, code=self.code)

    @property
    def is_zero_visit(self) -> bool:
        return self.visits == 0

    @property
    def suggestion_names(self) -> tuple[str, ...]:
        """The names this document lends to suggestions (its own, and an implementation's item name).

        A bundle's ``item_name`` joins the names of its parts for matching: not a phrase anyone types.
        """
        names = (self.name, self.item_name) if self.kind == IMPLEMENTATION else (self.name,)
        return tuple(dict.fromkeys(name for name in names if name))


@dataclass(frozen=True)
class Suggestion:
    """A phrase offered while typing, with the popularity that orders it."""

    text: str
    popularity: int = 0
    is_catalog_name: bool = True  # False: an official term from the synonyms, kept until the next rebuild


@dataclass(frozen=True)
class SearchFilters:
    audience: str | None = None
    department_code: str | None = None
    item_type: int | None = None
    topic: str | None = None
    is_online: bool | None = None
    is_zero_visit: bool | None = None


@dataclass(frozen=True)
class SearchRequest:
    clauses: tuple[QueryClause, ...]
    match_all: bool = True
    region_code: str | None = None
    region_ancestors: tuple[str, ...] = ()  # codes of the chosen region's ancestors
    filters: SearchFilters = field(default_factory=SearchFilters)
    limit: int = 20
    offset: int = 0
    # Words of the 一件事 bundles the query asks about as a life event (出生, 身后 …): those bundles first.
    life_event_words: tuple[str, ...] = ()


@dataclass(slots=True)
class SearchHit:
    """One result: what the portal and the API show (built for every hit: a plain slotted class)."""

    kind: str  # "implementation" or "bundle"
    code: str
    name: str
    department: str
    region: str  # region name
    region_code: str
    url: str
    score: float
    item_type: int | None
    online: bool
    visits: int | None


@dataclass(frozen=True)
class BackendPage:
    count: int
    hits: list[SearchHit]


@dataclass(frozen=True)
class IndexStats:
    documents: int
    suggestions: int
    seconds: float
    size_bytes: int
    location: str


def document_key(*, kind: str, pk: int) -> str:
    """The key of a document by database id (what change notices carry)."""
    return f"{kind}#{pk}"


def code_key(*, kind: str, code: str) -> str:
    """The key of a document by code (what people and other systems use)."""
    return f"{kind}:{code}"


class SearchBackend(ABC):
    """A search engine over the catalog; the index it keeps is derived from the database."""

    def __init__(self, *, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)

    @abstractmethod
    def rebuild(
        self,
        *,
        documents: Iterable[SearchDocument],
        suggestions: Callable[[], Iterable[Suggestion]],
        log_position: dict | None = None,
    ) -> IndexStats:
        """Replace the whole index; readers switch to it atomically when it is complete.

        ``log_position``: how far into the change log (ADR 0013) the documents reach, kept with them.
        """

    # Following the change log (ADR 0013): one writer per node, the position kept with the index --------

    def writing(self, *, blocking: bool = True) -> AbstractContextManager[bool]:
        """Hold this node's single-writer lock (re-entrant); yields False if not blocking and taken."""
        return _no_lock()

    def log_position(self) -> dict | None:
        """How far into the change log the index this node reads reaches (None: unknown)."""
        return None

    def record_log_position(self, position: dict) -> None:
        """Remember, with the index, that it now reaches ``position`` (call while ``writing()``)."""
        raise NotImplementedError(f"{type(self).__name__} does not follow the change log")

    @abstractmethod
    def index(self, *, documents: Sequence[SearchDocument], suggestions: Sequence[Suggestion] = ()) -> None:
        """Add or replace these documents and suggestions."""

    @abstractmethod
    def delete(self, *, keys: Sequence[str]) -> None:
        """Remove documents by ``document_key`` or ``code_key``; unused names leave the suggestions."""

    @abstractmethod
    def search(self, *, request: SearchRequest) -> BackendPage:
        """One page of matching documents, best first, and how many match in all."""

    @abstractmethod
    def suggest(self, *, prefix: str, limit: int) -> list[str]:
        """Suggestions whose text, full pinyin or pinyin initials start with ``prefix``."""


@contextmanager
def _no_lock() -> Iterator[bool]:
    yield True


# Search engines by id (``SEARCH_BACKEND``): a duplicate id is refused, an unknown id fails the start-up
# system check.
search_backends: Registry[SearchBackend] = Registry(
    "search", setting="SEARCH_BACKEND", default="tantivy", modules=("yiwang.search.backends.tantivy_backend",)
)
