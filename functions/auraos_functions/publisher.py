"""Publishes versioned envelopes to the topics named in `shared.events`."""

from __future__ import annotations

import logging

from shared.events import Envelope, Topic
from shared.tracing import tracer

from .clients import publisher
from .config import settings

log = logging.getLogger(__name__)


def publish(*, topic: Topic, envelope: Envelope) -> str:
    """Publish and wait for the server's ack; returns the message id."""
    client = publisher()
    path = client.topic_path(settings().project_id, topic.value)
    with tracer().start_as_current_span(
        "pubsub.publish", attributes={"messaging.destination.name": topic.value}
    ):
        future = client.publish(
            path,
            envelope.encode(),
            idempotencyKey=envelope.idempotency_key,
            type=envelope.data.type,
        )
        message_id: str = future.result(timeout=settings().publish_timeout_s)
    log.info(
        "published",
        extra={"topic": topic.value, "messageId": message_id, "key": envelope.idempotency_key},
    )
    return message_id
