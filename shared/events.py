"""Pub/Sub topics and the versioned messages that travel on them.

Every message is wrapped in an `Envelope` carrying a schema version and an idempotency key, so a
consumer can refuse what it does not understand and do nothing the second time a message arrives.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, TypeAdapter, ValidationError

from .errors import InvalidInput
from .models.base import Frozen, utc_now
from .models.turn_ref import TurnRef

IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Traceparent = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
]


class Topic(StrEnum):
    """Topic ids; `<topic>-dead-letter` receives what exhausted its delivery attempts."""

    CHAT_REQUESTED = "chat-requested"
    ANALYTICS_RECORDED = "analytics-recorded"
    USER_DELETION_REQUESTED = "user-deletion-requested"
    DEAD_LETTER = "auraos-dead-letter"


class ChatRequested(Frozen):
    """A turn is queued and needs a reply. The key is `{turnPath}#{attempt}`."""

    type: Literal["chat.requested"] = "chat.requested"
    uid: str
    conversation_id: str
    turn_id: str
    attempt: int = Field(ge=1)

    @classmethod
    def for_turn(cls, turn: TurnRef, *, attempt: int) -> ChatRequested:
        return cls(
            uid=turn.uid,
            conversation_id=turn.conversation_id,
            turn_id=turn.turn_id,
            attempt=attempt,
        )

    @property
    def turn(self) -> TurnRef:
        """The turn this asks about; InvalidInput when the ids cannot name one."""
        try:
            return TurnRef(uid=self.uid, conversation_id=self.conversation_id, turn_id=self.turn_id)
        except ValidationError as exc:
            raise InvalidInput("the message names no valid turn") from exc

    @property
    def idempotency_key(self) -> str:
        return self.turn.idempotency_key(self.attempt)


class AnalyticsRecorded(Frozen):
    """An analytics event was aggregated; ai_service scores it for anomalies and recommendations."""

    type: Literal["analytics.recorded"] = "analytics.recorded"
    uid: str
    event_id: str
    event_type: str
    data: dict[str, Any] = Field(default_factory=dict)
    client_time: datetime
    # The user's events that day including this one, so consumers can act at thresholds cheaply.
    day_count: int = Field(default=0, ge=0)


class UserDeletionRequested(Frozen):
    type: Literal["user.deletion_requested"] = "user.deletion_requested"
    uid: str
    requested_by: str


Message = Annotated[
    ChatRequested | AnalyticsRecorded | UserDeletionRequested, Field(discriminator="type")
]


class Envelope(Frozen):
    """What is published: `data` is the message; the key names the work, not the delivery."""

    version: Literal[1] = 1
    idempotency_key: IdempotencyKey
    published_at: datetime = Field(default_factory=utc_now)
    data: Message
    # W3C trace context of the publisher's span: the consumer continues the same trace.
    traceparent: Traceparent | None = None

    def encode(self) -> bytes:
        return json.dumps(self.to_json_dict(), separators=(",", ":")).encode()


_ENVELOPE = TypeAdapter(Envelope)


def decode_envelope(raw: bytes) -> Envelope:
    """Parse a published payload; InvalidInput (never retried) when it is not a valid envelope."""
    try:
        return _ENVELOPE.validate_json(raw)
    except ValidationError as exc:
        raise InvalidInput(
            f"invalid message envelope: {exc.error_count()} error(s)",
            details={
                "errors": exc.errors(include_url=False, include_context=False, include_input=False)
            },
        ) from exc


def decode_push_body(body: Any) -> tuple[str, int, Envelope]:
    """(messageId, deliveryAttempt, envelope) from a Pub/Sub push request body."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
        raise InvalidInput("push body must be a JSON object with a 'message' object")
    message = body["message"]
    message_id = message.get("messageId") or message.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        raise InvalidInput("push message has no messageId")
    try:
        raw = base64.b64decode(message.get("data", ""), validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise InvalidInput("push message data is not base64") from exc
    attempt = body.get("deliveryAttempt")
    return message_id, attempt if isinstance(attempt, int) else 1, decode_envelope(raw)
