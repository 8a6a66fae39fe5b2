#!/usr/bin/env python3
"""A tiny webhook receiver for trying the platform's change notices: prints, verifies and deduplicates.

Standard library only; the SM2 signature is checked with the OpenSSL command line (OpenSSL 3), exactly as
docs/notifications.md shows. Examples:

    # the platform's webhook public key, once
    python manage.py webhook_public_key > webhook-key.pem

    # receive on http://127.0.0.1:8765/hooks (the demo subscription of demo-rsj-benefits points here)
    python tools/webhook_receiver.py --key webhook-key.pem

    # pretend to be down for the first 5 requests (503), to watch the retries with backoff
    python tools/webhook_receiver.py --key webhook-key.pem --down-for 5

Each delivery is printed once per event id; a repeated event id (at-least-once delivery, a replay) is
answered 204 and reported as a duplicate, not processed again. A body whose signature does not verify
is answered 400 (the platform will retry, then dead-letter it). ``--store received.jsonl`` appends each
first copy to a file.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

DISTINGUISHING_ID = "1234567812345678"


def verify_signature(body: bytes, signature_b64: str, key_pem_path: str) -> bool:
    """Whether ``signature_b64`` (the Yiwang-Signature header) is the platform's SM2 signature of ``body``."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except ValueError:
        return False
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "body.json").write_bytes(body)
        (Path(folder) / "body.sig").write_bytes(signature)
        command = [
            "openssl",
            "dgst",
            "-sm3",
            "-verify",
            str(Path(key_pem_path).resolve()),
            "-signature",
            "body.sig",
            "-sigopt",
            f"distid:{DISTINGUISHING_ID}",
            "body.json",
        ]
        result = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)  # noqa: S603
    return result.returncode == 0 and "Verified OK" in result.stdout


class WebhookReceiver(ThreadingHTTPServer):
    """Keeps the first copy of every event (by the signed event id) and counts every copy received."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        key_pem_path: str | None = None,
        down_for: int = 0,
        store: str | None = None,
        out: TextIO = sys.stdout,
    ) -> None:
        self.key_pem_path = key_pem_path
        self.down_for = down_for
        self.store = store
        self.out = out
        self.events: dict[str, dict[str, Any]] = {}  # event id -> the body, first copy
        self.copies: Counter[str] = Counter()
        self.requests = 0
        self.rejected = 0
        self.lock = threading.Lock()
        super().__init__(address, _Handler)

    def take(self, body: bytes, signature: str) -> int:
        """Handle one POST; the HTTP status to answer."""
        with self.lock:
            self.requests += 1
            if self.requests <= self.down_for:
                self._print(f"503 (pretending to be down, {self.requests}/{self.down_for})")
                return 503
        if self.key_pem_path and not verify_signature(body, signature, self.key_pem_path):
            with self.lock:
                self.rejected += 1
            self._print("400 signature does not verify: rejected")
            return 400
        try:
            event = json.loads(body)
            event_id = str(event["event_id"])
        except (ValueError, KeyError, TypeError):
            self._print("400 not an event")
            return 400
        with self.lock:
            self.copies[event_id] += 1
            duplicate = event_id in self.events
            if not duplicate:
                self.events[event_id] = event
        if duplicate:
            self._print(f"204 {event_id} duplicate (copy {self.copies[event_id]}), ignored")
            return 204
        self._record(event)
        return 204

    def _record(self, event: dict[str, Any]) -> None:
        payload = event.get("payload", {})
        checked = "verified" if self.key_pem_path else "signature not checked"
        items = json.dumps(payload.get("items", {}), ensure_ascii=False)
        self._print(
            f"204 {event['event_id']} {event.get('topic')} {payload.get('kind', '')} "
            f"{payload.get('resource', '')} key={payload.get('key', '')} items={items} "
            f"({checked}, occurred {event.get('occurred_at')})"
        )
        if self.store:
            with open(self.store, "a", encoding="utf-8") as file:
                file.write(json.dumps(event, ensure_ascii=False) + "\n")

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)


class _Handler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        status = self.server.take(body, self.headers.get("Yiwang-Signature", ""))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # the receiver prints its own lines
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--key", help="the platform's webhook public key (PEM); without it nothing is verified"
    )
    parser.add_argument("--down-for", type=int, default=0, help="answer 503 to the first N requests")
    parser.add_argument("--store", help="append each first copy of an event to this JSON-lines file")
    arguments = parser.parse_args(argv)
    receiver = WebhookReceiver(
        (arguments.host, arguments.port),
        key_pem_path=arguments.key,
        down_for=arguments.down_for,
        store=arguments.store,
    )
    print(f"listening on http://{arguments.host}:{arguments.port}/ (any path); Ctrl-C to stop", flush=True)
    try:
        receiver.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.server_close()


if __name__ == "__main__":
    main()
