"""Envelopes: versioned, keyed, and refused with InvalidInput when malformed."""

import base64
import json

import pytest

from shared.errors import InvalidInput
from shared.events import ChatRequested, Envelope, decode_envelope, decode_push_body


def _envelope() -> Envelope:
    return Envelope(
        idempotency_key="users/u/conversations/c/messages/t#1",
        data=ChatRequested(uid="u", conversation_id="c", turn_id="t", attempt=1),
    )


def _push_body(raw: bytes, **extra: object) -> dict[str, object]:
    message = {"data": base64.b64encode(raw).decode(), "messageId": "42"}
    return {"message": message, "subscription": "projects/p/subscriptions/s", **extra}


def test_envelope_round_trips_through_bytes() -> None:
    envelope = _envelope()
    decoded = decode_envelope(envelope.encode())
    assert decoded == envelope
    assert json.loads(envelope.encode())["data"]["conversationId"] == "c"


def test_push_body_yields_message_id_attempt_and_envelope() -> None:
    message_id, attempt, envelope = decode_push_body(
        _push_body(_envelope().encode(), deliveryAttempt=3)
    )
    assert (message_id, attempt) == ("42", 3)
    assert isinstance(envelope.data, ChatRequested)


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"{}",
        json.dumps(
            {"version": 2, "idempotencyKey": "k", "data": {"type": "chat.requested"}}
        ).encode(),
        json.dumps({"version": 1, "idempotencyKey": "", "data": {}}).encode(),
        json.dumps(
            {"version": 1, "idempotencyKey": "k", "data": {"type": "unknown.type", "uid": "u"}}
        ).encode(),
        json.dumps(
            {
                "version": 1,
                "idempotencyKey": "k",
                "data": {
                    "type": "chat.requested",
                    "uid": "u",
                    "conversationId": "c",
                    "turnId": "t",
                    "attempt": 0,
                },
            }
        ).encode(),
    ],
    ids=["garbage", "empty", "future-version", "empty-key", "unknown-type", "attempt-zero"],
)
def test_malformed_envelopes_are_invalid_input(raw: bytes) -> None:
    with pytest.raises(InvalidInput):
        decode_envelope(raw)


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"message": "x"},
        {"message": {"data": "aGk="}},
        {"message": {"messageId": "1", "data": "!!not base64!!"}},
    ],
    ids=["none", "list", "message-not-object", "no-message-id", "bad-base64"],
)
def test_malformed_push_bodies_are_invalid_input(body: object) -> None:
    with pytest.raises(InvalidInput):
        decode_push_body(body)
