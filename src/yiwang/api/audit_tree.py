"""The audit log's Merkle tree over the API (RFC 9162 with SM3): signed tree head and proofs.

The tree head and consistency proofs are public: anyone may watch that the log only grows. Inclusion
proofs name an entry, so the staff endpoint here is for auditors of the entry's department only; citizens
get theirs under /api/v1/me/data-uses/{id}/proof.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from yiwang.audit import services
from yiwang.core.api_auth import session_only
from yiwang.core.schemas import ERROR_RESPONSES, ErrorOut
from yiwang.identity.selectors.audit_scope import audit_scope_for

router = Router(tags=["audit"])
ERRORS = {**ERROR_RESPONSES, 401: ErrorOut}
HEX = r"^[0-9a-f]{64}$"


class TreeHeadOut(Schema):
    tree_size: int = Field(description="树中的条目数")
    root_hash: str = Field(pattern=HEX, description="默克尔树根（SM3，十六进制）")
    issued_at: str = Field(description="签发时间（UTC，微秒，RFC 3339）")
    key_id: str
    public_key: str = Field(description="SM2 公钥 x‖y（十六进制）")
    public_key_pem: str
    signature: str = Field(description="SM2 签名（DER，Base64），签名内容为 signed")
    algorithm: str
    user_id: str
    signed: str = Field(description="被签名的 RFC 8785 JSON：tree_size、root_hash、issued_at、key_id")


class ConsistencyIn(Schema):
    first: int = Field(ge=1, description="较早的树大小（≥1）")
    second: int = Field(ge=1, description="较新的树大小（≤ 当前签名树头大小）")


class ConsistencyOut(Schema):
    algorithm: str
    first: int
    second: int
    first_root_hash: str
    second_root_hash: str
    proof: list[str] = Field(description="RFC 9162 一致性证明（十六进制）")


class InclusionIn(Schema):
    tree_size: int | None = Field(None, ge=1, description="树大小（默认：最新签名树头）")


class InclusionOut(Schema):
    algorithm: str
    leaf_index: int
    tree_size: int
    leaf: str = Field(description="叶内容：条目的 RFC 8785 JSON")
    leaf_hash: str
    audit_path: list[str] = Field(description="RFC 9162 审计路径（十六进制）")
    root_hash: str


@router.get("/audit/tree-head", response={200: TreeHeadOut, **ERRORS}, auth=None, summary="最新签名树头")
def tree_head(request: HttpRequest):
    """The latest signed tree head; 404 ``no_tree_head`` before the first sealing."""
    return services.latest_tree_head()


@router.get(
    "/audit/consistency-proof",
    response={200: ConsistencyOut, **ERRORS},
    auth=None,
    summary="两个树头之间的一致性证明",
)
def consistency_proof(request: HttpRequest, params: Query[ConsistencyIn]):
    """Proof that the tree of ``second`` entries extends that of ``first`` (400 ``bad_tree_size``)."""
    return services.consistency_proof(first=params.first, second=params.second)


@router.get(
    "/audit/entries/{seq}/inclusion-proof",
    response={200: InclusionOut, **ERRORS},
    auth=session_only,
    summary="审计记录的包含证明（审计员）",
)
def inclusion_proof(request: HttpRequest, seq: int, params: Query[InclusionIn]):
    """For auditors (``audit.view``) of the entry's department; 404 alike for missing and others'."""
    scope = audit_scope_for(actor=request.auth)
    return services.inclusion_proof_for_auditor(scope=scope, seq=seq, tree_size=params.tree_size)
