"""verify_audit_log against an attacker with database access: edits, deletions, insertions, reordering.

The tampering is done directly in the database (on PostgreSQL with the append-only triggers switched off
for the session, as only a superuser could) and the check must name the first bad entry.
"""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from yiwang.audit import merkle, services
from yiwang.audit.models import AuditEntry, MerkleNode, TreeHead
from yiwang.audit.tree import Appender
from yiwang.audit.verification import verify_log

pytestmark = pytest.mark.django_db


@contextmanager
def tampering():
    """Direct database access by an attacker: on PostgreSQL, triggers off for this session."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = origin")


@pytest.fixture
def sealed_log() -> list[AuditEntry]:
    """Twenty entries sealed in three batches (three signed heads: 6, 13, 20)."""
    for batch in (6, 7, 7):
        for n in range(batch):
            services.record_event(action="test.event", object_type="test", object_id=str(n))
        services.seal_pending()
    return list(AuditEntry.objects.order_by("seq"))


def recomputed_leaf(entry: AuditEntry) -> str:
    entry.refresh_from_db()
    return merkle.leaf_hash(merkle.leaf_bytes({n: getattr(entry, n) for n in merkle.LEAF_FIELDS})).hex()


def first_problem():
    report = verify_log()
    assert not report.is_valid
    return report.problem


def test_an_untouched_log_verifies(sealed_log, capsys):
    call_command("verify_audit_log")
    assert "20 sealed entries, 3 signed tree heads" in capsys.readouterr().out


def test_an_edited_entry_is_named(sealed_log):
    with tampering():
        AuditEntry.objects.filter(pk=sealed_log[8].pk).update(purpose="无")
        AuditEntry.objects.filter(pk=sealed_log[15].pk).update(purpose="无")
    problem = first_problem()
    assert (problem.seq, problem.entry_id) == (8, sealed_log[8].pk)
    with pytest.raises(CommandError, match=f"seq=8 id={sealed_log[8].pk}"):
        call_command("verify_audit_log")


def test_an_edit_is_named_even_when_its_leaf_hash_was_rewritten(sealed_log):
    entry = sealed_log[4]
    with tampering():
        AuditEntry.objects.filter(pk=entry.pk).update(action="test.nothing_to_see")
        AuditEntry.objects.filter(pk=entry.pk).update(leaf_hash=recomputed_leaf(entry))
    problem = first_problem()
    assert (problem.seq, problem.entry_id) == (4, entry.pk)
    assert "叶哈希被一并改写" in problem.message


def test_a_deleted_entry_leaves_a_gap_that_is_named(sealed_log):
    with tampering():
        AuditEntry.objects.filter(pk=sealed_log[11].pk).delete()
    problem = first_problem()
    assert problem.seq == 11 and "缺失" in problem.message


def test_a_deleted_last_entry_is_named(sealed_log):
    with tampering():
        AuditEntry.objects.filter(pk=sealed_log[-1].pk).delete()
    assert first_problem().seq == 19


def test_an_inserted_entry_is_named_even_with_a_correct_leaf_hash(sealed_log):
    # the attacker shifts entries 7.. up by one and puts a forged entry at 7, with a matching leaf hash
    with tampering(), transaction.atomic():
        for entry in reversed(sealed_log[7:]):
            AuditEntry.objects.filter(pk=entry.pk).update(seq=entry.seq + 1)
        forged = services.record_event(action="test.forged", object_type="test", object_id="x")
        AuditEntry.objects.filter(pk=forged.pk).update(seq=7)
        AuditEntry.objects.filter(pk=forged.pk).update(leaf_hash=recomputed_leaf(forged))
    problem = first_problem()
    assert (problem.seq, problem.entry_id) == (7, forged.pk)


def test_an_entry_appended_behind_the_signed_heads_is_named(sealed_log):
    with tampering():
        forged = services.record_event(action="test.forged")
        AuditEntry.objects.filter(pk=forged.pk).update(seq=20)
    assert first_problem().seq == 20


def test_two_swapped_entries_are_named_at_the_first(sealed_log):
    first, second = sealed_log[2], sealed_log[9]
    with tampering(), transaction.atomic():
        AuditEntry.objects.filter(pk=first.pk).update(seq=-1)
        AuditEntry.objects.filter(pk=second.pk).update(seq=2)
        AuditEntry.objects.filter(pk=first.pk).update(seq=9)
    problem = first_problem()
    assert (problem.seq, problem.entry_id) == (2, second.pk)


def test_rewriting_every_leaf_and_node_is_still_caught_by_the_signed_heads(sealed_log):
    # the attacker edits entry 14 and recomputes its leaf hash and every stored node of the tree
    with tampering():
        AuditEntry.objects.filter(pk=sealed_log[14].pk).update(purpose="改写")
        AuditEntry.objects.filter(pk=sealed_log[14].pk).update(leaf_hash=recomputed_leaf(sealed_log[14]))
        MerkleNode.objects.all().delete()
        appender = Appender(stack=[])
        for entry in AuditEntry.objects.order_by("seq"):
            for level, index, digest in appender.append(entry.seq, bytes.fromhex(entry.leaf_hash)):
                MerkleNode.objects.create(level=level, index=index, hash=digest.hex())
    problem = first_problem()
    # the forged tree is self-consistent; only the signature over the head of 20 entries tells
    assert problem.seq == 13 and "根哈希" in problem.message


def test_a_forged_tree_head_fails_its_signature(sealed_log):
    with tampering():
        TreeHead.objects.filter(tree_size=13).update(root_hash="00" * 32)
    problem = first_problem()
    assert "签名" in problem.message


@pytest.mark.pg
def test_postgresql_refuses_update_and_delete_of_the_log(sealed_log):
    entry = sealed_log[0]
    statements = [
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(purpose="改"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(seq=None),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
        lambda: TreeHead.objects.update(root_hash="00" * 32),
        lambda: TreeHead.objects.all().delete(),
        lambda: MerkleNode.objects.filter(level=0).update(hash="00" * 32),
        lambda: MerkleNode.objects.all().delete(),
    ]
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            statement()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL yiwang.audit_allow_test_truncate = 'off'")
        cursor.execute("TRUNCATE audit_merklenode")
    # the sealer's one-time numbering of a new entry is the one change allowed
    services.record_event(action="test.after")
    assert services.seal_pending().sealed == 1
    call_command("verify_audit_log")


VERIFIER = Path(settings.BASE_DIR) / "tools" / "verify_audit_proof.py"


def run_verifier(tmp_path, kind: str, *documents: dict) -> subprocess.CompletedProcess:
    paths = []
    for number, document in enumerate(documents):
        path = tmp_path / f"{kind}-{number}.json"
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        paths.append(str(path))
    return subprocess.run(  # noqa: S603  (our own script, our own files)
        [sys.executable, str(VERIFIER), kind, *paths], capture_output=True, text=True, check=False
    )


def test_the_standalone_verifier_accepts_the_platforms_proofs_and_refuses_forged_ones(sealed_log, tmp_path):
    # given the published heads of 13 and 20 entries and proofs the platform serves
    old_head = services.latest_tree_head()
    for n in range(3):
        services.record_event(action="test.later", object_id=str(n))
    services.seal_pending()
    new_head = services.latest_tree_head()
    entry = AuditEntry.objects.get(seq=9)
    inclusion = services.inclusion_proof(entry=entry)
    consistency = services.consistency_proof(first=old_head["tree_size"], second=new_head["tree_size"])
    # then the verifier, which imports nothing of the platform, accepts them
    for kind, documents in [
        ("tree-head", [new_head]),
        ("inclusion", [inclusion, new_head]),
        ("consistency", [consistency, old_head, new_head]),
    ]:
        result = run_verifier(tmp_path, kind, *documents)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "VERIFIED" in result.stdout
    # and refuses an edited entry, a forged head and a proof against another head
    edited = {**inclusion, "leaf": inclusion["leaf"].replace("test.event", "test.evenT")}
    forged_head = {**new_head, "root_hash": old_head["root_hash"]}
    for kind, documents in [
        ("inclusion", [edited, new_head]),
        ("tree-head", [forged_head]),
        ("consistency", [consistency, new_head, old_head]),
    ]:
        result = run_verifier(tmp_path, kind, *documents)
        assert result.returncode == 1 and "VERIFICATION FAILED" in result.stdout
