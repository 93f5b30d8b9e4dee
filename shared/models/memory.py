"""What Aura remembers about its user across conversations (`users/{uid}/memories/{id}`).

The server writes memories (from what the user said, or a provider's `remember` tool); the
owner reads and deletes them. A memory about a `slot` (where the user lives, their name, their
wife's name...) has the id `slot_id(slot)`, so a newer fact on the same slot replaces the old
one instead of contradicting it; other memories are keyed by their normalised text.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints

from .base import Document

MEMORY_TEXT_MAX = 200
EMBEDDING_DIMENSIONS = 384  # the shared MiniLM encoder's


class MemoryKind(StrEnum):
    FACT = "fact"
    PREFERENCE = "preference"
    PERSON = "person"
    DATE = "date"


class Memory(Document):
    """A short third-person fact ("Lives in Porto"). The vector `embedding` is stored beside
    these fields by the store (a Firestore Vector), not modelled here."""

    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MEMORY_TEXT_MAX)
    ]
    kind: MemoryKind = MemoryKind.FACT
    # What the fact is about, e.g. "home", "name", "work", "birthday", "person:wife".
    slot: Annotated[str, StringConstraints(max_length=80)] | None = None
    source_turn: str | None = None
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None = None
    pinned: bool = False


def memory_id(*, slot: str | None, text: str) -> str:
    """The document id of a memory: one per slot, else one per (normalised) text."""
    key = f"slot:{slot}" if slot else "text:" + re.sub(r"\W+", " ", text.lower()).strip()
    return hashlib.sha256(key.encode()).hexdigest()[:20]
