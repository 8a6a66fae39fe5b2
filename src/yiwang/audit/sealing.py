"""The sealer: gives unsealed entries consecutive sequence numbers, adds them to the Merkle tree and signs
a tree head, all in one transaction, one sealer at a time.

Appending stays a plain insert (``record_event``); only this batch step takes a lock. On PostgreSQL the
lock is a transaction-scoped advisory lock (a second sealer returns at once and seals nothing); on SQLite
the write transaction itself (BEGIN IMMEDIATE, see settings) serialises sealers.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from yiwang.core.signing import get_backend
from yiwang.core.signing.platform_keys import active_platform_key

from . import merkle
from .models import AuditEntry, AuditKey, MerkleNode, TreeHead
from .tree import (  # noqa: F401  (latest_tree_head and verify_tree_head are part of the sealer's surface)
    Appender,
    frontier,
    latest_tree_head,
    range_hashes,
    signed_statement,
    verify_tree_head,
)

# pg_try_advisory_xact_lock key: "audit seal" as a 63-bit number, shared by every sealer process.
_SEALER_LOCK = 0x6175646974_5EA1
_ENTRY_COLUMNS = ("id", *(name for name in merkle.LEAF_FIELDS if name != "seq"))
DEFAULT_BATCH = 20_000


@dataclass(frozen=True)
class SealResult:
    sealed: int
    tree_size: int
    tree_head: TreeHead | None
    busy: bool = False  # another sealer held the lock


def _take_sealer_lock() -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: the IMMEDIATE write transaction already excludes other sealers
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SEALER_LOCK])
        return bool(cursor.fetchone()[0])


def platform_key() -> AuditKey:
    """The active key that signs tree heads."""
    return active_platform_key(AuditKey, label="audit")


def sign_tree_head(*, tree_size: int, root: bytes) -> TreeHead:
    key = platform_key()
    issued_at = timezone.now()
    message = signed_statement(
        tree_size=tree_size, root_hash=root.hex(), issued_at=issued_at, key_id=key.key_id
    )
    signature = get_backend(key.backend).sign(key=key, message=message)
    return TreeHead.objects.create(
        tree_size=tree_size,
        root_hash=root.hex(),
        issued_at=issued_at,
        key=key,
        signature=base64.b64encode(signature).decode("ascii"),
    )


def _append(rows: list[dict], size: int) -> tuple[list[tuple[int, str, int]], list[MerkleNode], bytes]:
    appender = Appender(stack=frontier(size))
    entries: list[tuple[int, str, int]] = []
    nodes: list[MerkleNode] = []
    for offset, values in enumerate(rows):
        seq = size + offset
        digest = merkle.leaf_hash(merkle.leaf_bytes({**values, "seq": seq}))
        entries.append((seq, digest.hex(), values["id"]))
        nodes.extend(
            MerkleNode(level=level, index=index, hash=node.hex())
            for level, index, node in appender.append(seq, digest)
        )
    return entries, nodes, appender.root()


def _number(entries: list[tuple[int, str, int]]) -> None:
    """Set (seq, leaf_hash) of each entry id: the one UPDATE the append-only trigger allows."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET seq = %s, leaf_hash = %s WHERE id = %s AND seq IS NULL",  # noqa: S608
            entries,
        )


@transaction.atomic
def seal_pending(*, limit: int = DEFAULT_BATCH) -> SealResult:
    """Seal up to ``limit`` unsealed entries (oldest id first) and sign the new tree head."""
    if not _take_sealer_lock():
        return SealResult(sealed=0, tree_size=0, tree_head=None, busy=True)
    head = latest_tree_head()
    size = head.tree_size if head else 0
    rows = list(AuditEntry.objects.filter(seq__isnull=True).order_by("id").values(*_ENTRY_COLUMNS)[:limit])
    if not rows:
        return SealResult(sealed=0, tree_size=size, tree_head=head)
    entries, nodes, root = _append(rows, size)
    _number(entries)
    MerkleNode.objects.bulk_create(nodes, batch_size=2000)
    head = sign_tree_head(tree_size=size + len(entries), root=root)
    return SealResult(sealed=len(entries), tree_size=head.tree_size, tree_head=head)


def seal_all(*, batch: int = DEFAULT_BATCH) -> int:
    """Seal until nothing is left (each batch its own transaction and tree head); how many were sealed."""
    total = 0
    while True:
        result = seal_pending(limit=batch)
        total += result.sealed
        if result.busy or result.sealed < batch:
            return total


def inclusion_proof(*, entry: AuditEntry, tree_size: int) -> list[bytes]:
    """The audit path (RFC 9162 PATH) of a sealed entry in the tree of ``tree_size`` leaves."""
    if entry.seq is None:
        raise ValueError("the entry is not sealed yet")
    return range_hashes(merkle.inclusion_ranges(entry.seq, tree_size))
