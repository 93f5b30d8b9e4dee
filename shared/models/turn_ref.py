"""`TurnRef`: the one way to name a chat turn across hops (trigger, envelope, worker, stores).

A turn lives at `users/{uid}/conversations/{cid}/messages/{turnId}`; every hop used to unpack and
re-pack those three ids. The reference carries them together, validated once, and owns the two
strings derived from them that are part of the contract: the document path and the idempotency
key of one attempt (`{turnPath}#{attempt}`: redeliveries of an attempt share it, a regeneration
gets a new one).
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from .. import paths
from ..errors import InvalidInput
from .base import Frozen
from .ids import ClientId, Uid

_TURN_PATH = re.compile(
    rf"^{paths.USERS}/(?P<uid>[^/]+)/{paths.CONVERSATIONS}/(?P<cid>[^/]+)"
    rf"/{paths.MESSAGES}/(?P<turn>[^/]+)$"
)


class TurnRef(Frozen):
    """One chat turn, by its owner, conversation and turn ids."""

    uid: Uid
    conversation_id: ClientId
    turn_id: ClientId

    @property
    def path(self) -> str:
        return paths.turn(self.uid, self.conversation_id, self.turn_id)

    @property
    def conversation_path(self) -> str:
        return paths.conversation(self.uid, self.conversation_id)

    def idempotency_key(self, attempt: int) -> str:
        """The key of one attempt's work: `{path}#{attempt}` (attempts count from 1; 0 names
        the turn before its first attempt, e.g. a refusal while it was being queued)."""
        if attempt < 0:
            raise InvalidInput("a turn's attempt cannot be negative", details={"attempt": attempt})
        return f"{self.path}#{attempt}"

    @classmethod
    def parse(cls, path: str) -> TurnRef:
        """The reference a turn's document path names; InvalidInput for any other path."""
        match = _TURN_PATH.match(path)
        if match is None:
            raise InvalidInput("not a chat turn's path", details={"path": path[:300]})
        try:
            return cls(uid=match["uid"], conversation_id=match["cid"], turn_id=match["turn"])
        except ValidationError as exc:
            raise InvalidInput("not a chat turn's path", details={"path": path[:300]}) from exc

    @classmethod
    def from_key(cls, key: str) -> tuple[TurnRef, int]:
        """(turn, attempt) from an idempotency key `idempotency_key` wrote."""
        path, _, attempt = key.rpartition("#")
        if not attempt.isdigit():
            raise InvalidInput("not a turn attempt's key", details={"key": key[:300]})
        return cls.parse(path), int(attempt)
