"""Webhook signatures: SM2 over the RFC 8785 body verifies for any payload, with Python and with OpenSSL."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.core.signing import default_backend
from yiwang.notifications import constants
from yiwang.notifications.models import OutboxEvent, WebhookKey
from yiwang.notifications.selectors import get_webhook_public_key
from yiwang.notifications.services import deliver_due, enqueue_event
from yiwang.notifications.signing import body_of, sign_body, verify_body

from .factories import WebhookEndpointFactory, recording_transport

_new_key = default_backend().create_key(label="webhooks-test")
KEY = WebhookKey(
    key_id="test",
    public_key=_new_key.public_key.hex(),
    backend=default_backend().id,
    sealed_private_key=_new_key.sealed_private_key,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None)
@given(
    payload=st.dictionaries(st.text(max_size=10), json_values, max_size=5),
    topic=st.text(min_size=1, max_size=30),
)
def test_signature_verifies_over_any_payload_and_not_over_another(payload, topic):
    event = OutboxEvent(
        event_id=uuid.uuid4(),
        topic=topic,
        payload=payload,
        occurred_at=dt.datetime(2026, 12, 6, tzinfo=dt.UTC),
    )
    body = body_of(event)
    signature = sign_body(body, key=KEY)
    assert verify_body(body, signature=signature, public_key_hex=KEY.public_key)
    # the receiver parses the very fields it deduplicates by
    assert json.loads(body)["event_id"] == str(event.event_id)
    tampered = body_of(
        OutboxEvent(event_id=uuid.uuid4(), topic=topic, payload=payload, occurred_at=event.occurred_at)
    )
    assert not verify_body(tampered, signature=signature, public_key_hex=KEY.public_key)


def _openssl_verify(tmp_path, *, body: bytes, signature: str, pem: str) -> subprocess.CompletedProcess:
    """The exact command of docs/notifications.md."""
    (tmp_path / "body.json").write_bytes(body)
    (tmp_path / "body.sig").write_bytes(base64.b64decode(signature))
    (tmp_path / "webhook-key.pem").write_text(pem)
    command = [
        "openssl", "dgst", "-sm3", "-verify", "webhook-key.pem", "-signature", "body.sig",
        "-sigopt", "distid:1234567812345678", "body.json",
    ]  # fmt: skip
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)  # noqa: S603


@pytest.mark.django_db
def test_a_delivered_webhook_verifies_with_openssl_and_a_tampered_one_fails(settings, tmp_path):
    # given a delivered event, as the receiver got it
    transport = recording_transport(settings)
    endpoint = WebhookEndpointFactory()
    enqueue_event(
        topic="registers.person_died", payload={"person": "已故", "date": "2026-12-01"}, endpoints=[endpoint]
    )
    deliver_due()
    request = transport.requests[0]
    headers = request["headers"]
    key = get_webhook_public_key()
    assert headers[constants.HEADER_SIGNATURE_KEY] == key["key_id"]
    # when OpenSSL checks the body against the platform's public key, it verifies
    result = _openssl_verify(
        tmp_path,
        body=request["body"],
        signature=headers[constants.HEADER_SIGNATURE],
        pem=key["public_key_pem"],
    )
    assert result.returncode == 0, result.stderr
    assert "Verified OK" in result.stdout
    # and a body with one changed character does not
    tampered = request["body"].replace(b"2026-12-01", b"2026-12-02")
    result = _openssl_verify(
        tmp_path, body=tampered, signature=headers[constants.HEADER_SIGNATURE], pem=key["public_key_pem"]
    )
    assert result.returncode != 0
    assert "Verification failure" in result.stdout + result.stderr
