"""`sendMessage`: a server-side way to write a turn, for clients that prefer a callable."""

from __future__ import annotations

from google.cloud import firestore

from shared.models.callable_requests import SendMessageRequest
from shared.models.turn_ref import TurnRef

from ..domain import new_client_id
from ..repositories import turns


def send_message(*, db: firestore.Client, uid: str, request: SendMessageRequest) -> TurnRef:
    """Create the turn (the Firestore trigger queues it) and return it at once.

    The whole request was validated first; a new conversation and its first turn are one
    batch, so a refused call leaves nothing behind (no empty conversation). Conflict when the
    client's `turnId` names a turn with another prompt.
    """
    turn = TurnRef(
        uid=uid,
        conversation_id=request.conversation_id or new_client_id(),
        turn_id=request.turn_id or new_client_id(),
    )
    turns.create_turn(
        db=db, turn=turn, prompt=request.prompt, new_conversation=request.conversation_id is None
    )
    return turn
