"""`sendMessage`: a server-side way to write a turn, for clients that prefer a callable."""

from __future__ import annotations

import secrets
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from shared import paths
from shared.errors import Conflict
from shared.models.base import Frozen
from shared.models.chat import ConversationId, Prompt, TurnId

from .requests import parse_request


class SendMessageRequest(Frozen):
    prompt: Prompt
    conversation_id: ConversationId | None = None
    turn_id: TurnId | None = None  # client-chosen: makes a retried call create one turn, not two


def _new_id() -> str:
    return secrets.token_urlsafe(15).replace("-", "x").replace("_", "y")


def send_message(*, db: firestore.Client, uid: str, data: Any) -> dict[str, str]:
    """Create the turn (the Firestore trigger queues it) and return its ids at once.

    The whole request is validated first; a new conversation and its first turn are one batch,
    so a refused call leaves nothing behind (no empty conversation).
    """
    request = parse_request(SendMessageRequest, data)
    cid = request.conversation_id or _new_id()
    turn_id = request.turn_id or _new_id()
    ref = db.document(paths.turn(uid, cid, turn_id))
    batch = db.batch()
    if request.conversation_id is None:
        conversation = db.document(paths.conversation(uid, cid))
        batch.set(conversation, {"createdAt": firestore.SERVER_TIMESTAMP}, merge=True)
    batch.create(ref, {"prompt": request.prompt, "createTime": firestore.SERVER_TIMESTAMP})
    try:
        batch.commit()
    except gexc.AlreadyExists:
        existing = ref.get().to_dict() or {}
        if existing.get("prompt") != request.prompt:
            raise Conflict("That turnId is already used by a different message.") from None
    return {"conversationId": cid, "turnId": turn_id}
