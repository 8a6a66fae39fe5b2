"""The Merkle tree against a naive recursive RFC 9162 implementation, and the fixed leaf encoding."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from yiwang.audit import merkle
from yiwang.audit.models import AuditEntry
from yiwang.core.crypto import sm3_digest


def naive_mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return sm3_digest(b"")
    if len(leaves) == 1:
        return sm3_digest(b"\x00" + leaves[0])
    k = merkle.largest_power_of_two_below(len(leaves))
    return sm3_digest(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:]))


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) <= 1:
        return []
    k = merkle.largest_power_of_two_below(len(leaves))
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_mth(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_mth(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [naive_mth(leaves)]
    k = merkle.largest_power_of_two_below(n)
    if m <= k:
        return [*naive_subproof(m, leaves[:k], complete), naive_mth(leaves[k:])]
    return [*naive_subproof(m - k, leaves[k:], False), naive_mth(leaves[:k])]


def stored_range_hash(leaves: list[bytes]):
    """What the database does: answer a range from the complete subtrees, never from all leaves."""

    def range_hash(start: int, end: int) -> bytes:
        nodes = {}
        for level, index in merkle.subtree_nodes(start, end):
            size = 1 << level
            nodes[(level, index)] = naive_mth(leaves[index * size : (index + 1) * size])
        return merkle.combine(start, end, nodes)

    return range_hash


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@given(leaves=leaf_lists)
def test_root_from_the_stored_subtrees_matches_the_recursive_definition(leaves):
    stack_root = merkle.root_of(
        [stored_range_hash(leaves)(start, end) for start, end in merkle.decomposition(len(leaves))]
    )
    assert stack_root == naive_mth(leaves) == stored_range_hash(leaves)(0, len(leaves))


@given(data=st.data(), leaves=leaf_lists)
def test_inclusion_proofs_match_the_rfc_and_verify(data, leaves):
    index = data.draw(st.integers(min_value=0, max_value=len(leaves) - 1))
    path = merkle.prove(merkle.inclusion_ranges(index, len(leaves)), stored_range_hash(leaves))
    assert path == naive_path(index, leaves)
    root = naive_mth(leaves)
    leaf = merkle.leaf_hash(leaves[index])
    assert merkle.verify_inclusion(leaf=leaf, index=index, size=len(leaves), path=path, root=root)
    # a wrong leaf, index or root does not verify
    assert not merkle.verify_inclusion(
        leaf=merkle.leaf_hash(leaves[index] + b"x"), index=index, size=len(leaves), path=path, root=root
    )
    other = (index + 1) % len(leaves)
    if leaves[other] != leaves[index]:
        assert not merkle.verify_inclusion(leaf=leaf, index=other, size=len(leaves), path=path, root=root)
    assert not merkle.verify_inclusion(leaf=leaf, index=index, size=len(leaves), path=path, root=b"\0" * 32)


@given(data=st.data(), leaves=leaf_lists)
def test_consistency_proofs_match_the_rfc_and_verify(data, leaves):
    second = len(leaves)
    first = data.draw(st.integers(min_value=1, max_value=second))
    proof = merkle.prove(merkle.consistency_ranges(first, second), stored_range_hash(leaves))
    assert proof == naive_subproof(first, leaves, True)
    first_root, second_root = naive_mth(leaves[:first]), naive_mth(leaves)
    assert merkle.verify_consistency(
        first=first, second=second, first_root=first_root, second_root=second_root, proof=proof
    )
    # a rewritten early leaf breaks consistency with the old root
    forged = [leaves[0] + b"!", *leaves[1:]]
    assert not merkle.verify_consistency(
        first=first, second=second, first_root=first_root, second_root=naive_mth(forged), proof=proof
    )


def test_rfc_edge_cases_fail_closed():
    assert not merkle.verify_inclusion(leaf=b"a" * 32, index=1, size=1, path=[], root=b"a" * 32)
    assert not merkle.verify_consistency(first=0, second=3, first_root=b"", second_root=b"", proof=[])
    assert not merkle.verify_consistency(first=2, second=3, first_root=b"", second_root=b"", proof=[])
    assert merkle.root_of([]) == sm3_digest(b"")


def test_the_leaf_commits_to_every_recorded_column_except_id_and_leaf_hash():
    columns = {field.attname for field in AuditEntry._meta.concrete_fields}
    assert set(merkle.LEAF_FIELDS) == columns - {"id", "leaf_hash"}


def test_leaf_bytes_are_canonical_json_with_utc_microseconds():
    values = dict.fromkeys(merkle.LEAF_FIELDS, "")
    values.update(seq=7, fields=["name"], details={"b": 1, "a": "é"})
    values["occurred_at"] = dt.datetime(2026, 1, 2, 11, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    encoded = merkle.leaf_bytes(values)
    assert b'"occurred_at":"2026-01-02T03:04:05.000006Z"' in encoded
    assert b'"details":{"a":"\xc3\xa9","b":1}' in encoded
    assert b'"seq":7' in encoded


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@given(details=json_values, text=st.text())
def test_the_fast_leaf_encoding_is_rfc_8785(details, text):
    import rfc8785

    values = dict.fromkeys(merkle.LEAF_FIELDS, text)
    values.update(seq=3, details=details, fields=[text, "name"])
    values["occurred_at"] = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    document = {name: values[name] for name in merkle.LEAF_FIELDS}
    document["occurred_at"] = "2026-01-02T00:00:00.000000Z"
    try:
        expected = rfc8785.dumps(document)
    except rfc8785.CanonicalizationError:
        return  # e.g. integers beyond 2**53: not something an entry can hold
    assert merkle.leaf_bytes(values) == expected
