"""The stored Merkle tree: complete-subtree hashes (MerkleNode) read back for roots and proofs.

Any range hash RFC 9162 asks for is the combination of at most ~2·log2(n) stored complete subtrees, so a
proof is one query for O(log² n) small rows, never a scan of the log.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from yiwang.core.crypto import canonicalize, verify

from . import merkle
from .models import MerkleNode, TreeHead

NodeKey = tuple[int, int]


class TreeIncomplete(Exception):
    """A stored subtree the tree of this size needs is missing: the tree was truncated or never sealed."""


def fetch_nodes(keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    """The stored hashes of these (level, index) subtrees, in one query."""
    by_level: dict[int, set[int]] = defaultdict(set)
    for level, index in keys:
        by_level[level].add(index)
    if not by_level:
        return {}
    condition = Q()
    for level, indexes in by_level.items():
        condition |= Q(level=level, index__in=sorted(indexes))
    rows = MerkleNode.objects.filter(condition).values_list("level", "index", "hash")
    return {(level, index): bytes.fromhex(digest) for level, index, digest in rows}


def range_hashes(ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """MTH(D[start:end]) for each range, from the stored complete subtrees (one query for all)."""
    keys = [key for start, end in ranges for key in merkle.subtree_nodes(start, end)]
    nodes = fetch_nodes(keys)
    missing = [key for key in keys if key not in nodes]
    if missing:
        raise TreeIncomplete(f"missing Merkle nodes {missing[:3]}")
    return [merkle.combine(start, end, nodes) for start, end in ranges]


def root_at(size: int) -> bytes:
    """The Merkle root of the first ``size`` leaves."""
    return range_hashes([(0, size)])[0] if size else merkle.EMPTY_ROOT


def frontier(size: int) -> list[tuple[int, int, bytes]]:
    """(level, index, hash) of the complete subtrees of the tree of ``size``: what the next leaf joins."""
    ranges = merkle.decomposition(size)
    hashes = range_hashes(ranges)
    return [
        ((end - start).bit_length() - 1, start // (end - start), digest)
        for (start, end), digest in zip(ranges, hashes, strict=True)
    ]


@dataclass
class Appender:
    """Appends leaves to a frontier, collecting the complete subtrees each leaf finishes (level 0 too)."""

    stack: list[tuple[int, int, bytes]]

    def append(self, seq: int, digest: bytes) -> list[tuple[int, int, bytes]]:
        finished = [(0, seq, digest)]
        self.stack.append(finished[0])
        while len(self.stack) >= 2 and self.stack[-1][0] == self.stack[-2][0]:
            right, left = self.stack.pop(), self.stack.pop()
            merged = (left[0] + 1, left[1] // 2, merkle.node_hash(left[2], right[2]))
            self.stack.append(merged)
            finished.append(merged)
        return finished

    def root(self) -> bytes:
        return merkle.root_of([digest for _, _, digest in self.stack])


def latest_tree_head() -> TreeHead | None:
    return TreeHead.objects.select_related("key").order_by("-tree_size").first()


def signed_statement(*, tree_size: int, root_hash: str, issued_at: Any, key_id: str) -> bytes:
    """The RFC 8785 JSON a tree head's SM2 signature covers."""
    return canonicalize(
        {
            "tree_size": tree_size,
            "root_hash": root_hash,
            "issued_at": merkle.timestamp(issued_at),
            "key_id": key_id,
        }
    )


def verify_tree_head(head: TreeHead) -> bool:
    """Whether the head's SM2 signature covers its size, root, time and key id under its key."""
    try:
        signature = base64.b64decode(head.signature, validate=True)
        public_key = bytes.fromhex(head.key.public_key)
    except ValueError:
        return False
    message = signed_statement(
        tree_size=head.tree_size, root_hash=head.root_hash, issued_at=head.issued_at, key_id=head.key.key_id
    )
    return verify(public_key=public_key, message=message, signature=signature)
