"""GDPR entry points: export my data, delete my account, and the deletion worker."""

from __future__ import annotations

import base64
import logging
from typing import Any

from firebase_functions import https_fn, pubsub_fn, scheduler_fn
from firebase_functions.core import CloudEvent

from shared.events import Topic, UserDeletionRequested, decode_envelope
from shared.models.base import utc_now
from shared.models.users import DeletionState

from ..clients import firebase_app, firestore_client
from ..services import privacy
from .boundary import background_trigger, callable_function, caller_uid

log = logging.getLogger(__name__)


@callable_function
def exportMyData(request: https_fn.CallableRequest[Any]) -> dict[str, Any]:
    export = privacy.export_user_data(db=firestore_client(), uid=caller_uid(request), now=utc_now())
    return export.to_response()


@callable_function
def deleteMyAccount(request: https_fn.CallableRequest[Any]) -> dict[str, str]:
    state = privacy.request_account_deletion(
        db=firestore_client(), app=firebase_app(), uid=caller_uid(request), now=utc_now()
    )
    return {"status": "deleted" if state is DeletionState.DONE else "pending"}


@pubsub_fn.on_message_published(topic=Topic.USER_DELETION_REQUESTED.value, retry=True)
@background_trigger
def on_user_deletion_requested(
    event: CloudEvent[pubsub_fn.MessagePublishedData[Any]],
) -> None:
    """Runs or resumes the deletion; a transient failure makes Pub/Sub retry it."""
    envelope = decode_envelope(base64.b64decode(event.data.message.data))
    if not isinstance(envelope.data, UserDeletionRequested):
        log.error("unexpected message on the deletion topic", extra={"type": envelope.data.type})
        return
    privacy.delete_user_data(
        db=firestore_client(), app=firebase_app(), uid=envelope.data.uid, now=utc_now
    )


@scheduler_fn.on_schedule(schedule="every 5 minutes")
@background_trigger
def resume_deletions(_event: scheduler_fn.ScheduledEvent) -> None:
    privacy.resume_stale_deletions(db=firestore_client(), now=utc_now())
