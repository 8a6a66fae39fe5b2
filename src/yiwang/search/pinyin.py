"""Pinyin forms of names for suggestions: full syllables and initials, polyphones read as in place names."""

from __future__ import annotations

from functools import cache, lru_cache

import pypinyin
from pypinyin import Style

from .analysis import DATA_DIR, normalize_text


@cache
def load_pinyin_phrases() -> None:
    """Teach pypinyin the place-name readings of data/pinyin_phrases.txt (once per process)."""
    phrases: dict[str, list[list[str]]] = {}
    for line in (DATA_DIR / "pinyin_phrases.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, _, syllables = line.partition("\t")
        phrases[word.strip()] = [[syllable] for syllable in syllables.split()]
    pypinyin.load_phrases_dict(phrases)


def _keep_characters(characters: str) -> list[str]:
    return list(characters)


@lru_cache(maxsize=50_000)
def pinyin_syllables(text: str) -> tuple[str, ...]:
    """One syllable per character of ``text`` (other characters stand for themselves), read in context."""
    load_pinyin_phrases()
    return tuple(pypinyin.lazy_pinyin(text, style=Style.NORMAL, errors=_keep_characters, v_to_u=False))


def _ascii_key(parts) -> str:
    return "".join(char for char in "".join(parts).lower() if char.isascii() and char.isalnum())


def forms_from(syllables: tuple[str, ...], start: int = 0) -> tuple[str, str]:
    """(full pinyin, initials) of the syllables from ``start`` on."""
    tail = syllables[start:]
    return _ascii_key(tail), _ascii_key(syllable[:1] for syllable in tail)


def pinyin_forms(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of a text, lower case, letters and digits only: 公积金 → (gongjijin, gjj)."""
    return forms_from(pinyin_syllables(normalize_text(text)))


def _is_latin_syllable(syllable: str) -> bool:
    return bool(syllable) and syllable.isascii() and syllable.isalpha()


def chinese_for_pinyin(key: str, text: str) -> str | None:
    """The part of ``text`` a typed pinyin ``key`` spells, in full syllables or initials, else None.

    shenfenzheng or sfz in 居民身份证补领 → 身份证; the last syllable may be cut short (shenfenzh).
    """
    normalized = normalize_text(text)
    syllables = pinyin_syllables(normalized)
    for start in range(len(syllables)):
        spelled, end = "", start
        while end < len(syllables) and _is_latin_syllable(syllables[end]) and len(spelled) < len(key):
            spelled += syllables[end].lower()
            end += 1
        if end > start and spelled.startswith(key) and len(spelled) - len(key) < len(syllables[end - 1]):
            return normalized[start:end]
        tail = syllables[start : start + len(key)]
        initials = "".join(syllable[:1] for syllable in tail).lower()
        if len(tail) == len(key) and all(map(_is_latin_syllable, tail)) and initials == key:
            return normalized[start : start + len(key)]
    return None
