"""The sealer: consecutive sequence numbers, stored subtrees, signed tree heads, one sealer at a time."""

from __future__ import annotations

import base64
import threading

import pytest
from django.core.management import call_command
from django.db import connections

from yiwang.audit import merkle, services
from yiwang.audit.models import AuditEntry, AuditKey, MerkleNode, TreeHead
from yiwang.audit.proofs import consistency_proof, get_latest_tree_head
from yiwang.audit.sealing import seal_all
from yiwang.audit.tree import root_at, verify_tree_head
from yiwang.core.crypto import verify
from yiwang.core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def record(count: int, *, start: int = 0) -> list[AuditEntry]:
    return [
        services.record_event(action=f"test.event_{start + n}", object_type="test", object_id=str(start + n))
        for n in range(count)
    ]


def test_sealing_numbers_entries_in_order_and_signs_a_verifiable_tree_head():
    # given eleven unsealed entries
    entries = record(11)
    # when the sealer runs
    result = services.seal_pending()
    # then they are numbered 0..10 in insertion order, and the signed head covers all of them
    assert result.sealed == 11 and result.tree_size == 11
    seqs = list(AuditEntry.objects.order_by("id").values_list("seq", flat=True))
    assert seqs == list(range(11))
    head = TreeHead.objects.get()
    assert verify_tree_head(head)
    leaves = [
        merkle.leaf_bytes({name: getattr(entry, name) for name in merkle.LEAF_FIELDS})
        for entry in AuditEntry.objects.order_by("seq")
    ]
    assert head.root_hash == _naive_root(leaves).hex() == root_at(11).hex()
    assert entries[0].pk == AuditEntry.objects.get(seq=0).pk


def _naive_root(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return merkle.leaf_hash(leaves[0])
    k = merkle.largest_power_of_two_below(len(leaves))
    return merkle.node_hash(_naive_root(leaves[:k]), _naive_root(leaves[k:]))


def test_each_batch_extends_the_tree_and_old_heads_stay_consistent():
    record(5)
    services.seal_pending()
    record(9, start=5)
    services.seal_pending(limit=4)  # a batch limit leaves the rest for the next run
    services.seal_pending()
    assert list(TreeHead.objects.order_by("tree_size").values_list("tree_size", flat=True)) == [5, 9, 14]
    # every stored complete subtree is there once: 14 leaves + 7 + 3 + 1 nodes above them
    assert MerkleNode.objects.count() == 14 + 7 + 3 + 1
    proof = consistency_proof(first=5, second=14)
    heads = {head.tree_size: head for head in TreeHead.objects.all()}
    assert merkle.verify_consistency(
        first=5,
        second=14,
        first_root=bytes.fromhex(heads[5].root_hash),
        second_root=bytes.fromhex(heads[14].root_hash),
        proof=[bytes.fromhex(node) for node in proof["proof"]],
    )


def test_nothing_pending_signs_nothing_and_the_platform_key_is_made_once():
    assert services.seal_pending().sealed == 0 and not TreeHead.objects.exists()
    record(2)
    services.seal_pending()
    record(1, start=2)
    services.seal_pending()
    assert AuditKey.objects.count() == 1


def test_the_published_tree_head_verifies_with_its_public_key_alone():
    record(3)
    services.seal_pending()
    head = get_latest_tree_head()
    assert verify(
        public_key=bytes.fromhex(head["public_key"]),
        message=head["signed"].encode(),
        signature=base64.b64decode(head["signature"]),
    )
    assert set(head) >= {"tree_size", "root_hash", "issued_at", "key_id", "public_key", "signature"}


def test_an_inclusion_proof_verifies_against_the_tree_head():
    entries = record(6)
    services.seal_pending()
    entry = AuditEntry.objects.get(pk=entries[3].pk)
    proof = services.inclusion_proof(entry=entry)
    assert merkle.verify_inclusion(
        leaf=merkle.leaf_hash(proof["leaf"].encode()),
        index=proof["leaf_index"],
        size=proof["tree_size"],
        path=[bytes.fromhex(node) for node in proof["audit_path"]],
        root=bytes.fromhex(TreeHead.objects.get().root_hash),
    )


def test_bad_sizes_are_refused_with_a_stable_code():
    record(2)
    services.seal_pending()
    for first, second in [(0, 2), (2, 1), (1, 3)]:
        with pytest.raises(InvalidInput) as raised:
            consistency_proof(first=first, second=second)
        assert raised.value.code == "bad_tree_size"
    unsealed = record(1, start=2)[0]
    with pytest.raises(InvalidInput) as raised:
        services.inclusion_proof(entry=unsealed)
    assert raised.value.code == "entry_not_sealed"


def test_the_command_seals_everything_pending(capsys):
    record(4)
    call_command("seal_audit_log")
    assert "sealed 4" in capsys.readouterr().out
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()


def test_the_task_seals_and_does_not_reschedule_on_a_queue_that_cannot_defer():
    from yiwang.audit.tasks import seal_audit_log

    record(2)
    result = seal_audit_log.enqueue()  # the immediate backend runs it now
    assert result.return_value == {"sealed": 2, "scheduled": False}


@pytest.mark.pg
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_sealers_at_once_never_assign_a_number_twice():
    record(400)
    barrier = threading.Barrier(2)
    results = []

    def sealer():
        try:
            barrier.wait()
            results.append(seal_all(batch=50))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sealer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seal_all()  # whatever a busy sealer left
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(400))
    sizes = list(TreeHead.objects.order_by("tree_size").values_list("tree_size", flat=True))
    assert len(sizes) == len(set(sizes)) and sizes[-1] == 400
    call_command("verify_audit_log")


def test_the_public_api_serves_the_tree_head_and_consistency_proofs(client):
    assert client.get("/api/v1/audit/tree-head").json()["error"]["code"] == "no_tree_head"
    record(3)
    services.seal_pending()
    record(4, start=3)
    services.seal_pending()
    head = client.get("/api/v1/audit/tree-head").json()
    assert head["tree_size"] == 7 and head["root_hash"] == TreeHead.objects.get(tree_size=7).root_hash
    proof = client.get("/api/v1/audit/consistency-proof", {"first": 3, "second": 7}).json()
    assert merkle.verify_consistency(
        first=3,
        second=7,
        first_root=bytes.fromhex(proof["first_root_hash"]),
        second_root=bytes.fromhex(head["root_hash"]),
        proof=[bytes.fromhex(node) for node in proof["proof"]],
    )
    for query, code in [
        ({"first": 0, "second": 7}, "invalid_input"),
        ({"first": 3, "second": 8}, "bad_tree_size"),
    ]:
        response = client.get("/api/v1/audit/consistency-proof", query)
        assert response.status_code == 400 and response.json()["error"]["code"] == code


def test_only_an_auditor_of_the_entrys_department_gets_its_inclusion_proof_over_the_api(client):
    from yiwang.audit.tests.tracker_world import build_world
    from yiwang.conftest import login_with_second_factor

    world = build_world()
    services.seal_pending()
    url = f"/api/v1/audit/entries/{AuditEntry.objects.get(pk=world.citizen_entry.pk).seq}/inclusion-proof"
    assert client.get(url).status_code == 401
    for someone in (world.other_auditor, world.clerk, world.citizen):
        login_with_second_factor(client, someone)
        assert client.get(url).status_code == 404
    login_with_second_factor(client, world.auditor)
    proof = client.get(url).json()
    assert merkle.verify_inclusion(
        leaf=merkle.leaf_hash(proof["leaf"].encode()),
        index=proof["leaf_index"],
        size=proof["tree_size"],
        path=[bytes.fromhex(node) for node in proof["audit_path"]],
        root=bytes.fromhex(proof["root_hash"]),
    )
    assert client.get("/api/v1/audit/entries/999/inclusion-proof").status_code == 404
