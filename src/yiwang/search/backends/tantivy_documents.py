"""Tantivy schemas of the catalog index and the suggestion index, and how documents fill them."""

from __future__ import annotations

import json
import math
from functools import cache

import tantivy

from ..analysis import index_tokens, normalize_text, tokenizer
from ..pinyin import forms_from, pinyin_forms, pinyin_syllables
from .base import BackendHit, SearchDocument, Suggestion

# Text fields hold jieba tokens joined by spaces: tantivy's whitespace tokenizer splits them again.
TEXT_FIELD_WEIGHTS = {"name": 3.0, "keywords": 2.0, "item_name": 1.5, "department": 0.5, "region_name": 0.5}
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
    payload = {
        "k": document.kind,
        "c": document.code,
        "n": document.name,
        "d": document.department_name,
        "r": document.region_name,
        "rc": document.region_code,
        "u": document.url,
        "t": document.item_type,
        "o": document.is_online,
        "v": document.visits,
        "s": list(document.suggestion_names),
    }
    target.add_bytes("payload", json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    _add_tokens(target, "name", document.name)
    if document.item_name and document.item_name != document.name:
        _add_tokens(target, "item_name", document.item_name)
    _add_tokens(target, "keywords", document.keywords)
    _add_tokens(target, "department", document.department_name)
    _add_tokens(target, "region_name", document.region_full_name or document.region_name)
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


def payload_of(stored: tantivy.Document) -> dict:
    return json.loads(bytes(stored.get_first("payload")))


def hit_from_payload(payload: dict, score: float) -> BackendHit:
    return BackendHit(
        kind=payload["k"],
        code=payload["c"],
        name=payload["n"],
        department=payload["d"],
        region=payload["r"],
        region_code=payload["rc"],
        url=payload["u"],
        score=round(float(score), 4),
        item_type=payload["t"],
        is_online=bool(payload["o"]),
        visits=payload["v"],
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
    words = tokenizer().tokenize(normalized, mode="search", HMM=False)
    keys = []
    for start in sorted({0} | {start for _word, start, _end in words}):
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
