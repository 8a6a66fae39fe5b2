"""English queries: a bilingual glossary of government terms puts the catalog's Chinese words in their place.

data/english_glossary.tsv holds ``english phrase<TAB>Chinese text``. Phrases match whole words, longest
first, with a plural -s/-es folded ("licenses"). When a query held a glossary phrase, its other English
words ("how do I", "my") are dropped: they are the question around the term, not something to find.
A query without any glossary phrase is returned unchanged (it may be pinyin).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from .analysis import _data_lines, normalize_text

_SPACES = re.compile(r"\s+")
_ENGLISH_WORD = re.compile(r"(?<![a-z0-9])[a-z][a-z'\-]*(?![a-z0-9])")


@cache
def glossary() -> dict[str, str]:
    """English phrase (normalized) → Chinese text."""
    mapping: dict[str, str] = {}
    for line in _data_lines("english_glossary.tsv"):
        english, _, chinese = line.partition("\t")
        mapping[normalize_text(english)] = normalize_text(chinese)
    return mapping


@cache
def _glossary_pattern() -> re.Pattern[str]:
    phrases = sorted(glossary(), key=len, reverse=True)
    alternatives = "|".join(re.escape(phrase).replace(r"\ ", r"\s+") for phrase in phrases)
    return re.compile(rf"(?<![a-z0-9])({alternatives})(?:s|es)?(?![a-z0-9])")


def _chinese_for(match: re.Match[str]) -> str:
    phrase = _SPACES.sub(" ", match.group(1))
    return f" {glossary()[phrase]} "


@lru_cache(maxsize=4096)
def translate_english(text: str) -> str:
    """Glossary phrases of a normalized query replaced by their Chinese words; ``text`` if none matched."""
    if not text.isascii() and not any("a" <= char <= "z" for char in text):
        return text
    translated, count = _glossary_pattern().subn(_chinese_for, text)
    if not count:
        return text
    return normalize_text(_ENGLISH_WORD.sub(" ", translated))
