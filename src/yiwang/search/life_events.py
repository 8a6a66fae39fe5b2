"""Questions about a life event (a birth, a death in the family, a marriage, opening a business).

data/life_events.tsv maps the word a 一件事 bundle carries in its name or keywords (出生, 身后, 结婚 …) to
the words of questions about that event. A query holding one of those words asks for the bundle first.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from .analysis import _data_lines, normalize_text


@cache
def life_events() -> dict[str, tuple[str, ...]]:
    """Bundle word → the question words that call for it."""
    events: dict[str, tuple[str, ...]] = {}
    for line in _data_lines("life_events.tsv"):
        bundle_word, _, question_words = line.partition("\t")
        events[normalize_text(bundle_word)] = tuple(normalize_text(question_words).split())
    return events


@cache
def _question_pattern() -> re.Pattern[str]:
    words = sorted({word for words in life_events().values() for word in words}, key=len, reverse=True)
    return re.compile("|".join(re.escape(word) for word in words))


@cache
def _events_by_word() -> dict[str, tuple[str, ...]]:
    by_word: dict[str, list[str]] = {}
    for bundle_word, words in life_events().items():
        for word in words:
            by_word.setdefault(word, []).append(bundle_word)
    return {word: tuple(bundle_words) for word, bundle_words in by_word.items()}


@lru_cache(maxsize=10_000)
def life_event_words(text: str) -> tuple[str, ...]:
    """The bundle words of the life events a normalized query asks about (empty for most queries)."""
    found: dict[str, None] = {}
    for match in _question_pattern().finditer(text):
        found.update(dict.fromkeys(_events_by_word()[match.group()]))
    return tuple(found)
