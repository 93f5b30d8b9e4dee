"""From what the user says to memories, deterministically (the local path's `remember`).

Statements about the user ("I'm Sam", "I live in Porto", "my wife is called Ana", "I like
jazz") become short third-person facts with a slot; questions, hypotheticals, negations and
statements about other people do not. The same rules recognise a question a memory answers
("Where do I live?" -> slot "home") and what the user asks to forget.
"""

from __future__ import annotations

from shared.models.base import Frozen
from shared.models.memory import MemoryKind

# Retrieval: top RECALL_K memories whose cosine distance to the prompt is under MAX_DISTANCE.
RECALL_K = 3
MAX_DISTANCE = 0.75


class Candidate(Frozen):
    """A fact to remember: `text` in the third person ("Lives in Porto"), its `slot` (a newer
    fact on the same slot replaces the older), and the bare `value` ("Porto")."""

    text: str
    kind: MemoryKind
    slot: str | None = None
    value: str


def extract_memories(text: str) -> list[Candidate]:
    """The facts about the user stated in `text`; [] for questions, hypotheticals, etc."""
    del text
    return []


def asked_slot(text: str) -> str | None:
    """The slot a question asks about ("Where do I live?" -> "home"), or None."""
    del text
    return None


def forget_target(text: str) -> tuple[str | None, str | None] | None:
    """For "forget where I live" / "forget that I live in Porto": (slot, words) to match, or
    None when the text asks to forget nothing."""
    del text
    return None


def embedding_text(*, text: str, slot: str | None) -> str:
    """What is embedded for a memory, so that the questions it answers land near it."""
    del slot
    return text
