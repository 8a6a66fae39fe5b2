"""Tantivy schemas of the catalog index and the suggestion index, and how documents fill them."""

from __future__ import annotations

import math
from functools import cache

import tantivy

from ..analysis import government_word_set, index_tokens, normalize_text, tokenizer
from ..pinyin import forms_from, pinyin_forms, pinyin_syllables
from .base import SearchDocument, SearchHit, Suggestion

# Text fields hold jieba tokens joined by spaces: tantivy's whitespace tokenizer splits them again.
# name: the document's own name; keywords: its keywords and its item's (or members') names; context: the
# department and the region. Few fields keep queries cheap: each query word costs one term per field.
TEXT_FIELD_WEIGHTS = {"name": 3.0, "keywords": 1.5, "context": 0.5}
CHARACTER_FIELD_WEIGHT = 0.3
FILTER_FIELDS = (
    "kind",
    "region_code",
    "region_path",
    "audience",
    "department_code",
    "item_type",
    "topic",
    "online",
    "zero_visit",
)
YES, NO = "1", "0"
# weight_by_field multiplies scores by log2(2 + boost): popularity lifts a score by at most 30 %.
MAX_POPULARITY_LIFT = 0.3
POPULARITY_SATURATION = 100_000
PREFIX_TOKENIZER = "suggest_prefix"
MAX_PREFIX_LENGTH = 24
CATALOG_ORIGIN, TERM_ORIGIN = "catalog", "term"
FIELD_SEPARATOR, NAME_SEPARATOR = "\x1f", "\x1e"  # ASCII unit and record separators: never in catalog text


@cache
def catalog_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("code_key", tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field("payload", stored=True)
    for name in TEXT_FIELD_WEIGHTS:
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("characters", tokenizer_name="whitespace", index_option="basic")
    builder.add_text_field("suggestion_name", tokenizer_name="raw", index_option="basic")
    for name in FILTER_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    builder.add_float_field("boost", fast=True)
    return builder.build()


@cache
def suggestion_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("text", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("forms", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("keys", tokenizer_name=PREFIX_TOKENIZER, index_option="basic")
    builder.add_text_field("origin", tokenizer_name="raw", index_option="basic")
    builder.add_unsigned_field("popularity", stored=True, fast=True)
    return builder.build()


def prefix_analyzer() -> tantivy.TextAnalyzer:
    ngrams = tantivy.Tokenizer.ngram(min_gram=1, max_gram=MAX_PREFIX_LENGTH, prefix_only=True)
    return tantivy.TextAnalyzerBuilder(ngrams).filter(tantivy.Filter.lowercase()).build()


def popularity_boost(popularity: int) -> float:
    """The value whose log2(2 + value) multiplies the score: 1.0 for nobody, 1.3 for the most visited."""
    share = min(1.0, math.log1p(max(popularity, 0)) / math.log1p(POPULARITY_SATURATION))
    return 2 ** (1 + MAX_POPULARITY_LIFT * share) - 2


def _flag(value: bool) -> str:
    return YES if value else NO


def _add_tokens(document: tantivy.Document, field: str, text: str) -> None:
    tokens = index_tokens(text)
    if tokens:
        document.add_text(field, tokens)


def to_tantivy(document: SearchDocument) -> tantivy.Document:
    target = tantivy.Document()
    target.add_text("key", document.key)
    target.add_text("code_key", document.code_key)
    target.add_bytes("payload", encode_payload(document))
    _add_tokens(target, "name", document.name)
    if document.item_name and document.item_name != document.name:
        _add_tokens(target, "keywords", document.item_name)
    _add_tokens(target, "keywords", document.keywords)
    _add_tokens(target, "context", document.department_name)
    _add_tokens(target, "context", document.region_full_name or document.region_name)
    characters = " ".join(dict.fromkeys(char for char in normalize_text(document.name) if char.isalnum()))
    if characters:
        target.add_text("characters", characters)
    for name in document.suggestion_names:
        target.add_text("suggestion_name", name)
    for field, values in (
        ("kind", [document.kind]),
        ("region_code", [document.region_code]),
        ("region_path", document.region_path),
        ("audience", document.audiences),
        ("department_code", [document.department_code]),
        ("item_type", [] if document.item_type is None else [str(document.item_type)]),
        ("topic", document.topics),
        ("online", [_flag(document.is_online)]),
        ("zero_visit", [_flag(document.is_zero_visit)]),
    ):
        for value in values:
            if value:
                target.add_text(field, value)
    target.add_float("boost", popularity_boost(document.popularity))
    return target


def _optional(value: int | None) -> str:
    return "" if value is None else str(value)


def encode_payload(document: SearchDocument) -> bytes:
    """What a hit shows, stored with the document: fields joined by a separator (cheaper than JSON)."""
    fields = (
        document.kind, document.code, document.name, document.department_name, document.region_name,
        document.region_code, document.url, _optional(document.item_type), _flag(document.is_online),
        _optional(document.visits), NAME_SEPARATOR.join(document.suggestion_names),
    )  # fmt: skip
    return FIELD_SEPARATOR.join(field.replace(FIELD_SEPARATOR, " ") for field in fields).encode()


def payload_of(stored: tantivy.Document) -> list[str]:
    return bytes(stored.get_first("payload")).decode().split(FIELD_SEPARATOR)


def suggestion_names_of(payload: list[str]) -> list[str]:
    return [name for name in payload[10].split(NAME_SEPARATOR) if name]


def hit_from_payload(payload: list[str], score: float) -> SearchHit:
    kind, code, name, department, region, region_code, url, item_type, online, visits, _names = payload
    return SearchHit(
        kind=kind,
        code=code,
        name=name,
        department=department,
        region=region,
        region_code=region_code,
        url=url,
        score=round(float(score), 4),
        item_type=int(item_type) if item_type else None,
        online=online == YES,
        visits=int(visits) if visits else None,
    )


def compact_key(text: str) -> str:
    """How a suggestion key and a typed prefix are compared: normalized, without spaces."""
    return normalize_text(text).replace(" ", "")


def suggestion_forms(text: str) -> tuple[str, str, str]:
    """(characters, full pinyin, initials) of a suggestion."""
    full, initials = pinyin_forms(text)
    return compact_key(text), full, initials


def suggestion_keys(text: str) -> list[str]:
    """The strings whose prefixes find a suggestion: its forms, and theirs from every later word on."""
    normalized = normalize_text(text)
    syllables = pinyin_syllables(normalized)
    # A suggestion is found from the start of each word of the precise cut, and from government words
    # inside longer words (公积金 in 住房公积金) — not from every sub-word of search mode, which would let
    # `gjj` match in the middle of 联合收割机驾驶证 (收割机 → 割机).
    precise = tokenizer().tokenize(normalized, mode="default", HMM=False)
    inner = tokenizer().tokenize(normalized, mode="search", HMM=False)
    known = government_word_set()
    starts = {0} | {start for _word, start, _end in precise}
    starts |= {start for word, start, _end in inner if word in known}
    keys = []
    for start in sorted(starts):
        if normalized[start : start + 1].isalnum():
            keys += [compact_key(normalized[start:]), *forms_from(syllables, start)]
    return [key for key in dict.fromkeys(keys) if key]


def suggestion_to_tantivy(suggestion: Suggestion) -> tantivy.Document:
    target = tantivy.Document()
    target.add_text("text", suggestion.text)
    for form in suggestion_forms(suggestion.text):
        target.add_text("forms", form)
    for key in suggestion_keys(suggestion.text):
        target.add_text("keys", key)
    target.add_text("origin", CATALOG_ORIGIN if suggestion.is_catalog_name else TERM_ORIGIN)
    target.add_unsigned("popularity", max(int(suggestion.popularity), 0))
    return target
