#!/usr/bin/env python3
"""Check Yiwang audit-log proofs without the platform's code: RFC 9162 with SM3, SM2 tree-head signatures.

Needs Python 3.11+, the ``cryptography`` package (SM3) and the ``openssl`` 3 command line (SM2).

    verify_audit_proof.py tree-head   HEAD.json                  [--public-key KEY.pem]
    verify_audit_proof.py inclusion   PROOF.json HEAD.json        [--public-key KEY.pem]
    verify_audit_proof.py consistency PROOF.json OLD.json NEW.json [--public-key KEY.pem]

HEAD.json is GET /api/v1/audit/tree-head; PROOF.json an inclusion proof (leaf, leaf_index, tree_size,
audit_path) or GET /api/v1/audit/consistency-proof. Pass --public-key with the platform's published key:
without it the key inside the tree head is used, which proves consistency but not who signed.
Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes

SM2_USER_ID = "1234567812345678"


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def node(left: bytes, right: bytes) -> bytes:
    return sm3(b"\x01" + left + right)


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2 (equal sizes: an empty proof and equal roots)."""
    if first == second:
        return not proof and first_root == second_root
    if not 0 < first < second or not proof:
        return False
    path = ([first_root] if first & (first - 1) == 0 else []) + list(proof)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


def signed_bytes(head: dict) -> bytes:
    """The RFC 8785 JSON the signature covers, rebuilt here (only integers and plain strings in it)."""
    fields = {key: head[key] for key in ("tree_size", "root_hash", "issued_at", "key_id")}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def verify_signature(head: dict, public_key_pem: str) -> bool:
    """openssl dgst -sm3 -verify KEY -signature SIG -sigopt distid:1234567812345678 SIGNED."""
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        (folder / "key.pem").write_text(public_key_pem)
        (folder / "head.sig").write_bytes(base64.b64decode(head["signature"], validate=True))
        (folder / "head.json").write_bytes(signed_bytes(head))
        result = subprocess.run(  # noqa: S603  (fixed program, our own temporary files)
            [  # noqa: S607  (the openssl found on PATH is the one the reader trusts)
                "openssl",
                "dgst",
                "-sm3",
                "-verify",
                str(folder / "key.pem"),
                "-signature",
                str(folder / "head.sig"),
                "-sigopt",
                f"distid:{SM2_USER_ID}",
                str(folder / "head.json"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    return result.returncode == 0 and "Verified OK" in result.stdout


def check(label: str, ok: bool) -> bool:
    print(f"{'OK  ' if ok else 'FAIL'} {label}")
    return ok


def check_head(head: dict, key_pem: str | None) -> bool:
    return check(
        f"tree head {head['tree_size']} signature (key {head['key_id']})",
        verify_signature(head, key_pem or head["public_key_pem"]),
    )


def check_inclusion(proof: dict, head: dict, key_pem: str | None) -> bool:
    root = bytes.fromhex(head["root_hash"])
    leaf = sm3(b"\x00" + proof["leaf"].encode("utf-8"))
    path = [bytes.fromhex(value) for value in proof["audit_path"]]
    results = [
        check_head(head, key_pem),
        check("proof is for the tree head's size", proof["tree_size"] == head["tree_size"]),
        check(
            f"entry {proof['leaf_index']} is in the tree of {head['tree_size']}",
            verify_inclusion(leaf, proof["leaf_index"], head["tree_size"], path, root),
        ),
    ]
    return all(results)


def check_consistency(proof: dict, old: dict, new: dict, key_pem: str | None) -> bool:
    results = [
        check_head(old, key_pem),
        check_head(new, key_pem),
        check(
            "proof is between the two heads",
            (proof["first"], proof["second"]) == (old["tree_size"], new["tree_size"]),
        ),
        check(
            f"tree of {new['tree_size']} extends tree of {old['tree_size']}",
            verify_consistency(
                old["tree_size"],
                new["tree_size"],
                bytes.fromhex(old["root_hash"]),
                bytes.fromhex(new["root_hash"]),
                [bytes.fromhex(value) for value in proof["proof"]],
            ),
        ),
    ]
    return all(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["tree-head", "inclusion", "consistency"])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--public-key", type=Path, help="the platform's published SM2 key (PEM)")
    args = parser.parse_args(argv)
    documents = [json.loads(path.read_text(encoding="utf-8")) for path in args.files]
    key_pem = args.public_key.read_text() if args.public_key else None
    expected = {"tree-head": 1, "inclusion": 2, "consistency": 3}[args.kind]
    if len(documents) != expected:
        parser.error(f"{args.kind} needs {expected} JSON file(s)")
    try:
        if args.kind == "tree-head":
            ok = check_head(documents[0], key_pem)
        elif args.kind == "inclusion":
            ok = check_inclusion(documents[0], documents[1], key_pem)
        else:
            ok = check_consistency(*documents, key_pem)
    except (KeyError, ValueError, TypeError) as error:
        ok = check(f"well-formed input ({error!r})", False)
    print("VERIFIED" if ok else "VERIFICATION FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
