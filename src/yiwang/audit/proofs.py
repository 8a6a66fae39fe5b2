"""Reads of the tree: the latest signed tree head, inclusion proofs for one entry, consistency proofs.

Everything here is served from stored complete subtrees (tree.py): a proof costs one small query.
What is returned is plain data the standalone verifier (tools/verify_audit_proof.py) reads as JSON.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from yiwang.core.crypto import public_key_to_pem
from yiwang.core.errors import InvalidInput, NotFound

from . import merkle
from .models import AuditEntry, TreeHead
from .tree import latest_tree_head, range_hashes, root_at, signed_statement

ALGORITHM = "RFC9162-SM3"


def describe_tree_head(head: TreeHead) -> dict[str, Any]:
    """A signed tree head as published: what is signed, the key and the Base64 DER SM2 signature."""
    public_key = bytes.fromhex(head.key.public_key)
    signed = signed_statement(
        tree_size=head.tree_size, root_hash=head.root_hash, issued_at=head.issued_at, key_id=head.key.key_id
    )
    return {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "issued_at": merkle.timestamp(head.issued_at),
        "key_id": head.key.key_id,
        "public_key": head.key.public_key,
        "public_key_pem": public_key_to_pem(public_key),
        "signature": head.signature,
        "algorithm": "SM2-with-SM3",
        "user_id": "1234567812345678",
        "signed": signed.decode("utf-8"),
    }


def get_latest_tree_head() -> dict[str, Any]:
    head = latest_tree_head()
    if head is None:
        raise NotFound(_("审计日志尚未封存，暂无签名树头"), code="no_tree_head")
    return describe_tree_head(head)


def _tree_size(tree_size: int | None) -> int:
    head = latest_tree_head()
    current = head.tree_size if head else 0
    if tree_size is None:
        return current
    if not 0 < tree_size <= current:
        raise InvalidInput(
            _("树大小须在 1 到当前签名树头大小 %(current)s 之间") % {"current": current},
            code="bad_tree_size",
            tree_size=tree_size,
            current=current,
        )
    return tree_size


def inclusion_proof(*, entry: AuditEntry, tree_size: int | None = None) -> dict[str, Any]:
    """The audit path of a sealed entry in the tree of ``tree_size`` leaves (default: the latest head)."""
    if entry.seq is None:
        raise InvalidInput(_("该记录尚未封存，请稍后再试"), code="entry_not_sealed")
    size = _tree_size(tree_size)
    if entry.seq >= size:
        raise InvalidInput(_("该记录晚于所请求的树头"), code="entry_after_tree_size", tree_size=size)
    path = range_hashes(merkle.inclusion_ranges(entry.seq, size))
    values = {name: getattr(entry, name) for name in merkle.LEAF_FIELDS}
    return {
        "algorithm": ALGORITHM,
        "leaf_index": entry.seq,
        "tree_size": size,
        "leaf": merkle.leaf_bytes(values).decode("utf-8"),
        "leaf_hash": entry.leaf_hash,
        "audit_path": [node.hex() for node in path],
        "root_hash": root_at(size).hex(),
    }


def consistency_proof(*, first: int, second: int) -> dict[str, Any]:
    """The proof that the tree of ``second`` leaves extends the tree of ``first`` leaves."""
    current = _tree_size(None)
    if not 0 < first <= second <= current:
        raise InvalidInput(
            _("须满足 0 < first ≤ second ≤ 当前签名树头大小 %(current)s") % {"current": current},
            code="bad_tree_size",
            first=first,
            second=second,
            current=current,
        )
    proof = range_hashes(merkle.consistency_ranges(first, second))
    return {
        "algorithm": ALGORITHM,
        "first": first,
        "second": second,
        "first_root_hash": root_at(first).hex(),
        "second_root_hash": root_at(second).hex(),
        "proof": [node.hex() for node in proof],
    }


def may_view_entry_proof(*, scope: Any, entry: AuditEntry) -> bool:
    """The staff gate of an entry's proof: an auditor (``audit.view``) of its or its actor's department."""
    department_ids: frozenset[int] = getattr(scope, "department_ids", frozenset())
    return bool(department_ids) and (
        entry.department_id in department_ids or entry.actor_department_id in department_ids
    )


def access_sealed_entry_by_seq(*, scope: Any, seq: int) -> AuditEntry:
    """The entry with this sequence number if the scope may see its proof; NotFound alike otherwise."""
    entry = AuditEntry.objects.filter(seq=seq).first()
    if entry is None or not may_view_entry_proof(scope=scope, entry=entry):
        raise NotFound(_("未找到该审计记录"), code="audit_entry_not_found")
    return entry
