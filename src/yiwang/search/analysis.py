"""Chinese text analysis: jieba with a government dictionary, stop words and everyday-word synonyms.

Every text, document or query, is normalized the same way: NFKC, lower case, and traditional characters
folded to simplified (data/traditional_simplified.txt), so 營業執照 finds 营业执照.

Documents are segmented in jieba's search-engine mode (each word and the dictionary words of two and
three characters inside it); queries are segmented precisely, stripped of stop words, and everyday
phrases are mapped to official terms. A long query word also matches as its parts, so 不动产登记 finds
不动产转移登记. No HMM guessing: the same string always yields the same tokens.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import jieba

DATA_DIR = Path(__file__).resolve().parent / "data"
# Characters that mean nothing to search: controls, surrogates, private use, unassigned.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_WHITESPACE = re.compile(r"\s+")
_GOVERNMENT_WORD_FREQUENCY = 3000
# A query word this long may be a compound that documents write split ("不动产登记" in "不动产转移登记").
MIN_COMPOUND_LENGTH = 4


@dataclass(frozen=True)
class QueryWord:
    """A query word and the search-mode parts that, all present together, also stand for it."""

    text: str
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryClause:
    """One thing the user asked for: any alternative may match, every word of an alternative must."""

    alternatives: tuple[tuple[QueryWord, ...], ...]


@dataclass(frozen=True)
class AnalyzedQuery:
    normalized: str
    clauses: tuple[QueryClause, ...]
    terms: tuple[str, ...]  # the user's own words, stop words dropped
    expanded_terms: tuple[str, ...]  # the official terms their everyday phrases stand for

    @property
    def is_empty(self) -> bool:
        return not self.clauses


def _data_lines(name: str) -> list[str]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@cache
def government_words() -> tuple[str, ...]:
    return tuple(line.split()[0] for line in _data_lines("government_words.txt"))


@cache
def government_word_set() -> frozenset[str]:
    return frozenset(government_words())


@cache
def stop_words() -> frozenset[str]:
    return frozenset(_data_lines("stop_words.txt"))


@cache
def written_synonyms() -> dict[str, tuple[str, ...]]:
    """Everyday phrase → official terms, from data/synonyms.tsv."""
    mapping: dict[str, tuple[str, ...]] = {}
    for line in _data_lines("synonyms.tsv"):
        everyday, _, official = line.partition("\t")
        mapping[normalize_text(everyday)] = tuple(normalize_text(official).split())
    return mapping


# Synonyms search curators added from missed queries (models.LearnedSynonym): set by ``use_learned_synonyms``.
_learned_synonyms: dict[str, tuple[str, ...]] = {}


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """Everyday phrase → official terms: the written ones, and those curators learned from missed queries."""
    return {**_learned_synonyms, **written_synonyms()}


def use_learned_synonyms(pairs: dict[str, str]) -> bool:
    """Make the query analysis use these learned synonyms (phrase → official words); True if they changed.

    Every cache built from the synonyms (the phrase pattern, analyzed queries) is cleared on a change.
    """
    global _learned_synonyms
    learned = {
        normalize_text(phrase): tuple(normalize_text(official).split()) for phrase, official in pairs.items()
    }
    learned = {phrase: words for phrase, words in learned.items() if phrase and words}
    if learned == _learned_synonyms:
        return False
    _learned_synonyms = learned
    for cached in (synonyms, official_terms, _synonym_pattern, analyze_query):
        cached.cache_clear()
    return True


@cache
def official_terms() -> tuple[str, ...]:
    """The official phrases synonyms lead to (suggested alongside catalog names)."""
    return tuple(sorted({"".join(terms) for terms in synonyms().values()}))


@cache
def _synonym_pattern() -> re.Pattern[str]:
    keys = sorted(synonyms(), key=len, reverse=True)
    return re.compile("|".join(re.escape(key) for key in keys))


@cache
def tokenizer() -> jieba.Tokenizer:
    """The process's jieba tokenizer with the government dictionary (loaded once, on first use)."""
    jieba.setLogLevel(logging.WARNING)
    instance = jieba.Tokenizer()
    instance.initialize()
    for line in _data_lines("government_words.txt"):
        word, *frequency = line.split()
        instance.add_word(word, int(frequency[0]) if frequency else _GOVERNMENT_WORD_FREQUENCY)
    return instance


@cache
def _simplified_table() -> dict[int, str]:
    """Traditional (and Japanese-form) characters → simplified, from data/traditional_simplified.txt."""
    pairs = (pair for line in _data_lines("traditional_simplified.txt") for pair in line.split())
    return {ord(pair[0]): pair[1] for pair in pairs if len(pair) == 2}


def fold_traditional(text: str) -> str:
    """營業執照 → 营业执照 (characters of the table; everything else unchanged)."""
    return text.translate(_simplified_table())


def normalize_text(text: str) -> str:
    """NFKC (full-width to half-width), traditional to simplified, lower case, no controls, single spaces."""
    text = fold_traditional(unicodedata.normalize("NFKC", text or ""))
    text = "".join(" " if unicodedata.category(char) in _DROPPED_CATEGORIES else char for char in text)
    return _WHITESPACE.sub(" ", text).strip().lower()


def _is_word(token: str) -> bool:
    return any(char.isalnum() for char in token)


@lru_cache(maxsize=200_000)
def index_tokens(text: str) -> str:
    """Search-mode tokens of a document field, space-separated (catalog strings repeat: memoized)."""
    normalized = normalize_text(text)
    if not normalized:
        return ""
    tokens = tokenizer().cut_for_search(normalized, HMM=False)
    return " ".join(token for token in tokens if _is_word(token))


@lru_cache(maxsize=4096)
def _query_word(word: str) -> QueryWord:
    if len(word) < MIN_COMPOUND_LENGTH:
        return QueryWord(text=word)
    pieces = {
        piece for piece in tokenizer().cut_for_search(word, HMM=False) if piece != word and _is_word(piece)
    }
    # The largest pieces, in order: 不动产登记 → 不动产 + 登记 (不动 and 动产 are inside 不动产).
    largest = [piece for piece in pieces if not any(piece != other and piece in other for other in pieces)]
    return QueryWord(text=word, parts=tuple(sorted(largest, key=word.find)))


def _segment(text: str, *, keep_stop_words: bool = False) -> list[str]:
    words = [word.strip() for word in tokenizer().cut(text, HMM=False)]
    words = [word for word in words if word and _is_word(word)]
    if keep_stop_words:
        return words
    return [word for word in words if word not in stop_words()]


def _word_clauses(words: list[str]) -> list[QueryClause]:
    return [QueryClause(alternatives=((_query_word(word),),)) for word in dict.fromkeys(words)]


def _synonym_clause(everyday: str) -> QueryClause:
    official = tuple(_query_word(term) for term in synonyms()[everyday])
    own_words = tuple(_query_word(word) for word in _segment(everyday))
    alternatives = (official, own_words) if own_words and own_words != official else (official,)
    return QueryClause(alternatives=alternatives)


@lru_cache(maxsize=10_000)
def analyze_query(query: str) -> AnalyzedQuery:
    """Segment a query, map everyday phrases to official terms and drop stop words."""
    normalized = normalize_text(query)
    clauses: list[QueryClause] = []
    terms: list[str] = []  # what the user asked for, in their words
    expanded: list[str] = []
    position = 0
    for match in _synonym_pattern().finditer(normalized):
        words = _segment(normalized[position : match.start()])
        clauses += _word_clauses(words)
        clauses.append(_synonym_clause(match.group()))
        terms += [*words, match.group()]
        expanded += synonyms()[match.group()]
        position = match.end()
    words = _segment(normalized[position:])
    clauses += _word_clauses(words)
    terms += words
    clauses = list(dict.fromkeys(clauses))
    if not clauses and normalized:
        # Only stop words ("办理"): search for them rather than for nothing.
        words = _segment(normalized, keep_stop_words=True)
        clauses, terms = _word_clauses(words), words
    return AnalyzedQuery(
        normalized=normalized,
        clauses=tuple(clauses),
        terms=tuple(dict.fromkeys(terms)),
        expanded_terms=tuple(dict.fromkeys(expanded)),
    )
