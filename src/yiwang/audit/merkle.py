"""The Merkle tree of the audit log: RFC 9162 section 2.1 with SM3 as the hash.

Pure functions, no database: leaf and node hashes, the ranges an inclusion proof (PATH) or a consistency
proof (PROOF) is made of, and their verification (RFC 9162 2.1.3.2 and 2.1.4.2). Proof generation takes a
``range_hash(start, end)`` callable, so the database can answer from stored complete subtrees while the
tests answer from a list.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from yiwang.core.crypto import canonicalize, sm3_digest

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = sm3_digest(b"")

# The recorded fields of an entry that its leaf commits to, in the names of the database columns. Fixed
# on purpose: a field added to AuditEntry later must be added here deliberately (tests check the list).
LEAF_FIELDS = (
    "seq",
    "occurred_at",
    "kind",
    "action",
    "outcome",
    "reason",
    "actor_id",
    "actor_role",
    "actor_department_id",
    "actor_region_code",
    "system",
    "mandate_id",
    "on_behalf_of",
    "object_type",
    "object_id",
    "department_id",
    "subject_hash",
    "subject_kind",
    "fields",
    "purpose",
    "ground_kind",
    "ground_ref",
    "channel",
    "request_id",
    "ip_address",
    "details",
)

RangeHash = Callable[[int, int], bytes]


def timestamp(value: dt.datetime) -> str:
    """UTC with microseconds and a Z, so SQLite and PostgreSQL give the same bytes."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(value: Any) -> Any:
    return timestamp(value) if isinstance(value, dt.datetime) else value


_SAFE_INTEGER = 2**53 - 1


def _is_simple(value: Any) -> bool:
    """Whether ``json.dumps`` already writes RFC 8785 for ``value``: no floats, safe integers, ASCII keys."""
    if value is None or isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if isinstance(value, list):
        return all(_is_simple(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and key.isascii() and _is_simple(item) for key, item in value.items())
    return False


def leaf_bytes(values: dict[str, Any]) -> bytes:
    """The RFC 8785 canonical JSON of an entry's recorded fields (a dict with every LEAF_FIELDS key)."""
    document = {name: _plain(values[name]) for name in LEAF_FIELDS}
    if _is_simple(document):
        # Same bytes as RFC 8785 for this subset (sorted ASCII keys, integers, strings escaped alike), ~20x
        # faster than the pure-Python canonicalizer; anything else takes the full algorithm.
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return canonicalize(document)


def leaf_hash(data: bytes) -> bytes:
    """SM3(0x00 || leaf bytes)."""
    return sm3_digest(LEAF_PREFIX + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    """SM3(0x01 || left || right)."""
    return sm3_digest(NODE_PREFIX + left + right)


def largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def is_complete(start: int, end: int) -> bool:
    """Whether [start, end) is one stored complete subtree: a power-of-two size at an aligned start."""
    size = end - start
    return size > 0 and size & (size - 1) == 0 and start % size == 0


def subtree_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """The (level, index) of the complete subtrees whose hashes make MTH(D[start:end]), left to right."""
    if is_complete(start, end):
        size = end - start
        return [(size.bit_length() - 1, start // size)]
    k = largest_power_of_two_below(end - start)
    return subtree_nodes(start, start + k) + subtree_nodes(start + k, end)


def combine(start: int, end: int, nodes: dict[tuple[int, int], bytes]) -> bytes:
    """MTH(D[start:end]) from the complete-subtree hashes ``subtree_nodes`` named (RFC 9162 2.1.1)."""
    if start == end:
        return EMPTY_ROOT
    if is_complete(start, end):
        size = end - start
        return nodes[(size.bit_length() - 1, start // size)]
    k = largest_power_of_two_below(end - start)
    return node_hash(combine(start, start + k, nodes), combine(start + k, end, nodes))


def decomposition(size: int) -> list[tuple[int, int]]:
    """The complete subtrees a tree of ``size`` leaves is made of, largest (leftmost) first."""
    start, ranges = 0, []
    for bit in reversed(range(size.bit_length())):
        if size & (1 << bit):
            ranges.append((start, start + (1 << bit)))
            start += 1 << bit
    return ranges


def root_of(stack: Sequence[bytes]) -> bytes:
    """The root from the hashes of the complete subtrees of a tree, largest (leftmost) first."""
    if not stack:
        return EMPTY_ROOT
    root = stack[-1]
    for left in reversed(stack[:-1]):
        root = node_hash(left, root)
    return root


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose MTH make PATH(index, D[size]), in proof order (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError("index outside the tree")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = largest_power_of_two_below(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return list(reversed(ranges))


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The ranges whose MTH make PROOF(first, D[second]) (RFC 9162 2.1.4.1); empty when first == second."""
    if not 0 < first <= second:
        raise ValueError("sizes must satisfy 0 < first <= second")
    ranges: list[tuple[int, int]] = []
    start, end, complete = 0, second, True
    m = first
    while m != end - start:
        k = largest_power_of_two_below(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        ranges.append((start, end))
    return list(reversed(ranges))


def prove(ranges: Iterable[tuple[int, int]], range_hash: RangeHash) -> list[bytes]:
    return [range_hash(start, end) for start, end in ranges]


def _lsb(value: int) -> bool:
    return bool(value & 1)


def verify_inclusion(*, leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2: whether the leaf hash ``leaf`` is at ``index`` in the tree of ``size``/``root``."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if _lsb(fn) or fn == sn:
            r = node_hash(p, r)
            while not _lsb(fn) and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    *, first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: whether the tree of ``second`` leaves extends the tree of ``first`` leaves."""
    if first == second:
        return not proof and first_root == second_root
    if not 0 < first < second or not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while _lsb(fn):
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if _lsb(fn) or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not _lsb(fn) and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0
