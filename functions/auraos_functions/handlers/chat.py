"""Chat triggers: a turn written by the PWA is queued; a dead-lettered request fails visibly."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from firebase_functions import firestore_fn, pubsub_fn
from firebase_functions.core import CloudEvent
from google.cloud.firestore_v1 import DocumentReference, DocumentSnapshot

from shared.errors import InvalidInput
from shared.events import ChatRequested, Topic, decode_envelope
from shared.models.base import utc_now

from ..clients import firestore_client
from ..services import chat

log = logging.getLogger(__name__)


@firestore_fn.on_document_created(document="users/{uid}/conversations/{cid}/messages/{turnId}")
def on_turn_created(event: firestore_fn.Event[DocumentSnapshot[DocumentReference] | None]) -> None:
    params = event.params
    chat.queue_turn(
        db=firestore_client(),
        uid=params["uid"],
        cid=params["cid"],
        turn_id=params["turnId"],
        now=utc_now(),
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
