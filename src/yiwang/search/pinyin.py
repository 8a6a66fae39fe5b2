"""Pinyin forms of names for suggestions: full syllables and initials, polyphones read as in place names."""

from __future__ import annotations

from functools import cache, lru_cache

import pypinyin
from pypinyin import Style

from .analysis import DATA_DIR, normalize_text


@cache
def _load_phrases() -> None:
    phrases: dict[str, list[list[str]]] = {}
    for line in (DATA_DIR / "pinyin_phrases.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, _, syllables = line.partition("\t")
        phrases[word.strip()] = [[syllable] for syllable in syllables.split()]
    pypinyin.load_phrases_dict(phrases)


def _ascii_key(text: str) -> str:
    return "".join(char for char in text if char.isascii() and char.isalnum())


@lru_cache(maxsize=50_000)
def pinyin_forms(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of a text, lower case, letters and digits only: 公积金 → (gongjijin, gjj)."""
    _load_phrases()
    normalized = normalize_text(text)
    syllables = pypinyin.lazy_pinyin(normalized, style=Style.NORMAL, errors="default", v_to_u=False)
    full = _ascii_key("".join(syllables))
    initials = _ascii_key("".join(syllable[:1] for syllable in syllables if syllable.strip()))
    return full, initials
