"""Checking the whole log against its signed tree heads: what ``manage.py verify_audit_log`` runs.

Every leaf is recomputed from the entry's recorded fields (the stored ``leaf_hash`` is never trusted), the
tree is rebuilt, every stored subtree is compared with the rebuilt one and every tree head's root and
SM2 signature are checked. The first problem in sequence order is named: an edited, deleted, inserted or
reordered entry changes a recomputed leaf, leaves a gap, or changes a root that a signature covers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from . import merkle
from .models import AuditEntry, MerkleNode, TreeHead
from .tree import Appender, verify_tree_head

_CHUNK = 5000
_COLUMNS = ("id", "leaf_hash", *merkle.LEAF_FIELDS)


@dataclass(frozen=True)
class Problem:
    seq: int | None
    entry_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"seq={self.seq}" if self.seq is not None else "-"
        return f"{where} id={self.entry_id if self.entry_id is not None else '-'}: {self.message}"


@dataclass(frozen=True)
class Report:
    entries: int
    tree_heads: int
    problem: Problem | None

    @property
    def is_valid(self) -> bool:
        return self.problem is None


def _sealed_chunks() -> Iterator[list[dict]]:
    after = -1
    while True:
        chunk = list(AuditEntry.objects.filter(seq__gt=after).order_by("seq").values(*_COLUMNS)[:_CHUNK])
        if chunk:
            yield chunk
        if len(chunk) < _CHUNK:
            return
        after = chunk[-1]["seq"]


def _stored_nodes(first: int, last: int) -> dict[tuple[int, int], bytes]:
    """Every stored subtree that leaves ``first``..``last`` can finish, in one query."""
    condition = Q()
    for level in range(max(last, 1).bit_length() + 1):
        condition |= Q(level=level, index__gte=first >> level, index__lte=last >> level)
    rows = MerkleNode.objects.filter(condition).values_list("level", "index", "hash")
    return {(level, index): bytes.fromhex(digest) for level, index, digest in rows}


class _Walk:
    """The rebuilt tree so far, checked against the stored subtrees and the signed heads as it grows."""

    def __init__(self, heads: list[TreeHead]):
        self.heads = heads
        self.next_head = 0
        self.appender = Appender(stack=[])
        self.size = 0
        self.start_of_range = 0  # first seq after the last head that checked out
        self.stored: dict[tuple[int, int], bytes] = {}

    def add(self, row: dict) -> Problem | None:
        recomputed = merkle.leaf_hash(merkle.leaf_bytes(row))
        finished = self.appender.append(row["seq"], recomputed)
        self.size += 1
        for level, index, digest in finished:  # level 0 first: the exact leaf before any range
            if self.stored.get((level, index)) != digest:
                return self._node_problem(row, level, index, recomputed)
        return self._check_head(row)

    def _node_problem(self, row: dict, level: int, index: int, recomputed: bytes) -> Problem:
        if level == 0:
            if row["leaf_hash"] != recomputed.hex():
                message = _("内容与其叶哈希不符：条目被修改、插入或调换了位置")
            else:
                message = _("内容与封存时的叶节点不符：条目被修改，且其叶哈希被一并改写")
            return Problem(row["seq"], row["id"], message)
        first = index << level
        message = _(
            "序号 %(first)s–%(last)s 的子树与重算结果不符：其中有条目被修改，且叶哈希和下层节点被一并改写"
        ) % {
            "first": first,
            "last": first + (1 << level) - 1,
        }
        return Problem(first, None, message)

    def _check_head(self, row: dict) -> Problem | None:
        while self.next_head < len(self.heads) and self.heads[self.next_head].tree_size == self.size:
            head = self.heads[self.next_head]
            self.next_head += 1
            if not verify_tree_head(head):
                return Problem(
                    row["seq"], row["id"], _("树头（%(size)s 条）的 SM2 签名无效") % {"size": head.tree_size}
                )
            if head.root_hash != self.appender.root().hex():
                message = _("树头（%(size)s 条）的根哈希与重算不符：序号 %(first)s 起的条目被改动") % {
                    "size": head.tree_size,
                    "first": self.start_of_range,
                }
                return Problem(self.start_of_range, None, message)
            self.start_of_range = self.size
        return None


def verify_log() -> Report:
    """Recompute the whole tree from the entries and check it; the report names the first problem."""
    heads = list(TreeHead.objects.select_related("key").order_by("tree_size"))
    walk = _Walk(heads)
    problem = None
    for chunk in _sealed_chunks():
        walk.stored = _stored_nodes(chunk[0]["seq"], chunk[-1]["seq"])
        problem = _walk_chunk(walk, chunk)
        if problem:
            break
    if problem is None:
        problem = _tail_problem(walk, heads)
    return Report(entries=walk.size, tree_heads=len(heads), problem=problem)


def _walk_chunk(walk: _Walk, chunk: list[dict]) -> Problem | None:
    for row in chunk:
        if row["seq"] != walk.size:
            message = _("序号 %(seq)s 缺失（下一条为序号 %(next)s，id %(id)s）：条目被删除或序号被改动") % {
                "seq": walk.size,
                "next": row["seq"],
                "id": row["id"],
            }
            return Problem(walk.size, None, message)
        problem = walk.add(row)
        if problem:
            return problem
    return None


def _tail_problem(walk: _Walk, heads: list[TreeHead]) -> Problem | None:
    last = heads[-1].tree_size if heads else 0
    if walk.size < last:
        message = _("树头记录了 %(last)s 条，日志只有 %(size)s 条：末尾条目被删除") % {
            "last": last,
            "size": walk.size,
        }
        return Problem(walk.size, None, message)
    if walk.size > last:
        message = _("序号 %(seq)s 起的条目没有签名树头覆盖：条目被插入") % {"seq": last}
        return Problem(last, None, message)
    if walk.next_head < len(heads):
        head = heads[walk.next_head]
        return Problem(None, None, _("树头（%(size)s 条）与日志不符") % {"size": head.tree_size})
    return None
