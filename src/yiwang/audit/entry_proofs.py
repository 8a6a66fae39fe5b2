"""The proof a citizen sees under one data use: the entry is in the signed log, unchanged ("记录未被篡改").

The server recomputes the entry's leaf from its stored fields, checks the inclusion proof (RFC 9162)
against the latest signed tree head and that head's SM2 signature; nothing stored is taken on trust.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _

from . import merkle, sealing
from .models import AuditEntry

VERIFIED, PENDING, FAILED = "verified", "pending", "failed"


@dataclass
class EntryProof:
    status: str
    message: str
    seq: int | None = None
    leaf_hash: str = ""
    tree_size: int | None = None
    root_hash: str = ""
    path: list[str] = field(default_factory=list)
    tree_head_signature: str = ""
    key_id: str = ""
    public_key: str = ""
    issued_at: dt.datetime | None = None
    is_signature_valid: bool = False
    is_inclusion_valid: bool = False

    @property
    def is_verified(self) -> bool:
        return self.status == VERIFIED

    def as_dict(self) -> dict:
        return asdict(self)


def _pending() -> EntryProof:
    return EntryProof(status=PENDING, message=_("等待封存（几秒后可验证）"))


def _recomputed_leaf(entry: AuditEntry) -> bytes:
    values = {name: getattr(entry, name) for name in merkle.LEAF_FIELDS}
    return merkle.leaf_hash(merkle.leaf_bytes(values))


def prove_entry(*, entry: AuditEntry, seal_if_pending: bool = True) -> EntryProof:
    """The entry's inclusion proof against the latest signed tree head, verified here and now."""
    if entry.seq is None and seal_if_pending:
        sealing.seal_pending()
        entry = AuditEntry.objects.get(pk=entry.pk)
    head = sealing.latest_tree_head()
    if entry.seq is None or head is None or entry.seq >= head.tree_size:
        return _pending()
    leaf = _recomputed_leaf(entry)
    path = sealing.inclusion_proof(entry=entry, tree_size=head.tree_size)
    is_inclusion_valid = merkle.verify_inclusion(
        leaf=leaf, index=entry.seq, size=head.tree_size, path=path, root=bytes.fromhex(head.root_hash)
    )
    is_signature_valid = sealing.verify_tree_head(head)
    is_verified = is_inclusion_valid and is_signature_valid
    return EntryProof(
        status=VERIFIED if is_verified else FAILED,
        message=_("记录未被篡改") if is_verified else _("验证失败：记录或日志可能已被改动"),
        seq=entry.seq,
        leaf_hash=leaf.hex(),
        tree_size=head.tree_size,
        root_hash=head.root_hash,
        path=[node.hex() for node in path],
        tree_head_signature=head.signature,
        key_id=head.key.key_id,
        public_key=head.key.public_key,
        issued_at=head.issued_at,
        is_signature_valid=is_signature_valid,
        is_inclusion_valid=is_inclusion_valid,
    )
