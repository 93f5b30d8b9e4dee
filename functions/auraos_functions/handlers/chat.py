"""Chat entry points: turn triggers, the sendMessage callable, the sweeper, the dead-letter sink."""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import timedelta
from typing import Any

from firebase_functions import firestore_fn, https_fn, pubsub_fn, scheduler_fn
from firebase_functions.core import Change, CloudEvent
from google.cloud.firestore_v1 import DocumentReference, DocumentSnapshot

from shared.errors import InvalidInput
from shared.events import ChatRequested, Topic, decode_envelope
from shared.models.base import utc_now
from shared.models.chat import TurnState

from ..clients import firestore_client
from ..config import settings
from ..services import chat, messages
from .boundary import callable_function, caller_uid, turn_span

log = logging.getLogger(__name__)
TURN_DOCUMENT = "users/{uid}/conversations/{cid}/messages/{turnId}"
Snapshot = DocumentSnapshot[DocumentReference]


@firestore_fn.on_document_created(document=TURN_DOCUMENT)
def on_turn_created(event: firestore_fn.Event[Snapshot | None]) -> None:
    params = event.params
    uid, cid, turn_id = params["uid"], params["cid"], params["turnId"]
    with turn_span("functions.on_turn_created", uid=uid, cid=cid, turn_id=turn_id):
        chat.queue_turn(db=firestore_client(), uid=uid, cid=cid, turn_id=turn_id, now=utc_now())


@firestore_fn.on_document_updated(document=TURN_DOCUMENT)
def on_turn_updated(event: firestore_fn.Event[Change[Snapshot | None]]) -> None:
    """Only the owner's RETRY and STOP matter here; other updates are the pipeline's own."""
    after = (event.data.after.to_dict() if event.data.after else None) or {}
    before = (event.data.before.to_dict() if event.data.before else None) or {}
    state = (after.get("status") or {}).get("state")
    if state not in (TurnState.RETRY.value, TurnState.STOP.value):
        return
    if (before.get("status") or {}).get("state") == state:
        return
    params = event.params
    uid, cid, turn_id = params["uid"], params["cid"], params["turnId"]
    action = chat.retry_turn if state == TurnState.RETRY.value else chat.stop_turn
    with turn_span(f"functions.on_turn_updated.{state.lower()}", uid=uid, cid=cid, turn_id=turn_id):
        action(db=firestore_client(), uid=uid, cid=cid, turn_id=turn_id, now=utc_now())


@callable_function
def sendMessage(request: https_fn.CallableRequest[Any]) -> dict[str, str]:
    """Create a turn for the caller (the same pipeline as a direct write); returns its ids."""
    return messages.send_message(db=firestore_client(), uid=caller_uid(request), data=request.data)


@scheduler_fn.on_schedule(schedule="every 1 minutes")
def sweep_turns(_event: scheduler_fn.ScheduledEvent) -> None:
    config = settings()
    chat.sweep_turns(
        db=firestore_client(),
        now=utc_now(),
        max_attempts=config.max_turn_attempts,
        stale_after=timedelta(seconds=config.turn_lease_s),
    )


@pubsub_fn.on_message_published(topic=Topic.DEAD_LETTER.value)
def on_dead_letter(event: CloudEvent[pubsub_fn.MessagePublishedData[Any]]) -> None:
    """Pub/Sub gave up on a message: make the failure visible instead of losing it silently."""
    try:
        envelope = decode_envelope(base64.b64decode(event.data.message.data))
    except (InvalidInput, binascii.Error):
        log.error("undecodable dead letter", extra={"messageId": event.data.message.message_id})
        return
    if isinstance(envelope.data, ChatRequested):
        chat.fail_dead_lettered_turn(db=firestore_client(), message=envelope.data, now=utc_now())
    else:
        log.error(
            "dead letter", extra={"key": envelope.idempotency_key, "type": envelope.data.type}
        )
