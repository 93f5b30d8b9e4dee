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
from pydantic import ValidationError

from shared.errors import InvalidInput
from shared.events import ChatRequested, Topic, decode_envelope
from shared.models.base import utc_now
from shared.models.callable_requests import SendMessageRequest
from shared.models.turn_ref import TurnRef

from ..clients import firestore_client
from ..config import settings
from ..domain import owner_request
from ..repositories.turns import turn_state
from ..services import chat, messages
from ..services.requests import parse_request
from .boundary import background_trigger, callable_function, caller_uid, turn_span

log = logging.getLogger(__name__)
TURN_DOCUMENT = "users/{uid}/conversations/{cid}/messages/{turnId}"
Snapshot = DocumentSnapshot[DocumentReference]


def _turn(params: dict[str, str]) -> TurnRef:
    """The turn a trigger fired for; InvalidInput (dropped) for ids no turn may have."""
    try:
        return TurnRef(uid=params["uid"], conversation_id=params["cid"], turn_id=params["turnId"])
    except ValidationError as invalid:
        raise InvalidInput("not a chat turn's ids", details={"params": params}) from invalid


@firestore_fn.on_document_created(document=TURN_DOCUMENT)
@background_trigger
def on_turn_created(event: firestore_fn.Event[Snapshot | None]) -> None:
    turn = _turn(event.params)
    with turn_span("functions.on_turn_created", turn=turn):
        chat.queue_turn(db=firestore_client(), turn=turn, now=utc_now())


@firestore_fn.on_document_updated(document=TURN_DOCUMENT)
@background_trigger
def on_turn_updated(event: firestore_fn.Event[Change[Snapshot | None]]) -> None:
    """Only the owner's RETRY and STOP matter here; other updates are the pipeline's own."""
    request = owner_request(
        before=turn_state(event.data.before), after=turn_state(event.data.after)
    )
    if request is None:
        return
    turn = _turn(event.params)
    with turn_span(f"functions.on_turn_updated.{request.value.lower()}", turn=turn):
        chat.answer_owner(db=firestore_client(), turn=turn, request=request, now=utc_now())


@callable_function
def sendMessage(request: https_fn.CallableRequest[Any]) -> dict[str, str]:
    """Create a turn for the caller (the same pipeline as a direct write); returns its ids."""
    turn = messages.send_message(
        db=firestore_client(),
        uid=caller_uid(request),
        request=parse_request(SendMessageRequest, request.data),
    )
    return {"conversationId": turn.conversation_id, "turnId": turn.turn_id}


@scheduler_fn.on_schedule(schedule="every 1 minutes")
@background_trigger
def sweep_turns(_event: scheduler_fn.ScheduledEvent) -> None:
    config = settings()
    chat.sweep_turns(
        db=firestore_client(),
        now=utc_now(),
        max_attempts=config.max_turn_attempts,
        stale_after=timedelta(seconds=config.turn_lease_s),
    )


@pubsub_fn.on_message_published(topic=Topic.DEAD_LETTER.value)
@background_trigger
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
