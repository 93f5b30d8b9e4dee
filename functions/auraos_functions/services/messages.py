"""`sendMessage`: a server-side way to write a turn, for clients that prefer a callable."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from pydantic import StringConstraints

from shared import paths
from shared.errors import Conflict
from shared.models.base import Frozen
from shared.models.chat import TURN_ID_PATTERN, Prompt

from .requests import parse_request

_Id = Annotated[str, StringConstraints(pattern=TURN_ID_PATTERN)]


class SendMessageRequest(Frozen):
    prompt: Prompt
    conversation_id: _Id | None = None
    turn_id: _Id | None = None  # client-chosen: makes a retried call create one turn, not two


def _new_id() -> str:
    return secrets.token_urlsafe(15).replace("-", "x").replace("_", "y")


def send_message(*, db: firestore.Client, uid: str, data: Any) -> dict[str, str]:
    """Create the turn (the Firestore trigger queues it) and return its ids at once."""
    request = parse_request(SendMessageRequest, data)
    cid = request.conversation_id or _new_id()
    turn_id = request.turn_id or _new_id()
    conversation = db.document(paths.conversation(uid, cid))
    if request.conversation_id is None:
        conversation.set({"createdAt": firestore.SERVER_TIMESTAMP}, merge=True)
    ref = db.document(paths.turn(uid, cid, turn_id))
    try:
        ref.create({"prompt": request.prompt, "createTime": firestore.SERVER_TIMESTAMP})
    except gexc.AlreadyExists:
        existing = ref.get().to_dict() or {}
        if existing.get("prompt") != request.prompt:
            raise Conflict("That turnId is already used by a different message.") from None
    return {"conversationId": cid, "turnId": turn_id}
