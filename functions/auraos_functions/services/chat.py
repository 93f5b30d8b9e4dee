"""The functions' side of the chat pipeline: queue turns, publish work, fail what is dead."""

from __future__ import annotations

import logging
from datetime import datetime

from google.cloud import firestore

from shared import paths
from shared.events import ChatRequested, Envelope, Topic
from shared.models.chat import TurnError

from ..publisher import publish
from ..repositories import turns

log = logging.getLogger(__name__)


def chat_idempotency_key(*, uid: str, cid: str, turn_id: str, attempt: int) -> str:
    """One key per (turn, attempt): redeliveries share it, a regeneration gets a new one."""
    return f"{paths.turn(uid, cid, turn_id)}#{attempt}"


def queue_turn(
    *, db: firestore.Client, uid: str, cid: str, turn_id: str, now: datetime
) -> turns.QueueResult:
    """Queue a new turn and hand it to ai_service; safe to call again for the same turn."""
    result = turns.queue_new_turn(db=db, uid=uid, cid=cid, turn_id=turn_id, now=now)
    if result.publish:
        message = ChatRequested(
            uid=uid, conversation_id=cid, turn_id=turn_id, attempt=result.attempt
        )
        key = chat_idempotency_key(uid=uid, cid=cid, turn_id=turn_id, attempt=result.attempt)
        publish(topic=Topic.CHAT_REQUESTED, envelope=Envelope(idempotency_key=key, data=message))
    log.info(
        "turn queued",
        extra={"uid": uid, "turnId": turn_id, "state": result.state, "published": result.publish},
    )
    return result


def fail_dead_lettered_turn(*, db: firestore.Client, message: ChatRequested, now: datetime) -> bool:
    """A chat request that exhausted its deliveries: tell the user instead of leaving it queued."""
    return turns.fail_turn(
        db=db,
        uid=message.uid,
        cid=message.conversation_id,
        turn_id=message.turn_id,
        error=TurnError(
            code="unavailable",
            message="The assistant could not answer this message. Please try again.",
        ),
        now=now,
    )
