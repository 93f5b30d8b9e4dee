"""Learning, recalling and forgetting what the user tells Aura, over the memory store.

Only for a user who turned personalisation on: the pipeline does not build a MemoryService
for anyone else, so nothing is stored or used without that consent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.models.memory import Memory, MemoryKind, memory_id

from ..nlu.analysis import Embedder
from ..stores.memory import MemoryStore, StoredMemory
from .extract import (
    MAX_DISTANCE,
    RECALL_K,
    Candidate,
    asked_slot,
    embedding_text,
    extract_memories,
    slot_matches,
)

log = logging.getLogger(__name__)

# Third person as stored -> second person as said back ("Lives in Porto" -> "you live in Porto").
_SECOND_PERSON: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), replacement)
    for pattern, replacement in (
        (r"^is called\b", "your name is"),
        (r"^name is\b", "your name is"),
        (r"^is\b", "you are"),
        (r"^has\b", "you have"),
        (r"^was\b", "you were"),
        (r"^(\w+?)ies\b", r"you \1y"),  # "studies" -> "you study"
        (r"^(\w+?)(ch|sh|ss|x)es\b", r"you \1\2"),  # "watches" -> "you watch"
        (r"^(\w+?)s\b", r"you \1"),  # "lives" -> "you live", "likes" -> "you like"
        (r"^(\w+)'s\b", r"your \1's"),
        (
            r"^(wife|husband|partner|son|daughter|mum|mom|dad|father|mother|brother|sister|"
            r"dog|cat|boss|friend|birthday|favourite|favorite)\b",
            r"your \1",
        ),
    )
)


def second_person(text: str) -> str:
    """A stored fact as said to the user: "Lives in Porto" -> "you live in Porto"."""
    text = text[:1].lower() + text[1:]
    for pattern, replacement in _SECOND_PERSON:
        said, count = pattern.subn(replacement, text, count=1)
        if count:
            return said
    return text


@dataclass(frozen=True, slots=True)
class Answer:
    """A reply from memory alone, and the memories it used."""

    text: str
    memories: tuple[StoredMemory, ...] = ()


UNKNOWN = "I don't know that yet. Tell me and I'll remember it."


def acknowledge(learned: Sequence[StoredMemory]) -> str:
    facts = " and that ".join(second_person(stored.memory.text) for stored in learned)
    return f"Got it. I'll remember that {facts}."


class MemoryService:
    def __init__(self, *, store: MemoryStore, embedder: Embedder) -> None:
        self._store = store
        self._embedder = embedder

    def learn(self, *, uid: str, text: str, source_turn: str, now: datetime) -> list[StoredMemory]:
        """Store the facts `text` states about the user (a newer one replaces its slot's)."""
        candidates = extract_memories(text)
        return self._put(uid=uid, candidates=candidates, source_turn=source_turn, now=now)

    def remember(
        self,
        *,
        uid: str,
        text: str,
        kind: MemoryKind,
        slot: str | None,
        source_turn: str,
        now: datetime,
    ) -> StoredMemory:
        """Store one fact a provider's `remember` tool gave."""
        candidate = Candidate(text=text, kind=kind, slot=slot, value=text)
        return self._put(uid=uid, candidates=[candidate], source_turn=source_turn, now=now)[0]

    def _put(
        self, *, uid: str, candidates: Sequence[Candidate], source_turn: str, now: datetime
    ) -> list[StoredMemory]:
        if not candidates:
            return []
        vectors = self._embedder.embed(
            [embedding_text(text=c.text, slot=c.slot) for c in candidates]
        )
        stored = [
            self._store.put(
                uid=uid,
                memory_id=memory_id(slot=candidate.slot, text=candidate.text),
                memory=Memory(
                    text=candidate.text,
                    kind=candidate.kind,
                    slot=candidate.slot,
                    source_turn=source_turn,
                    created_at=now,
                    updated_at=now,
                ),
                embedding=vector,
            )
            for candidate, vector in zip(candidates, vectors, strict=True)
        ]
        log.info("memories stored", extra={"count": len(stored)})
        return stored

    def get(self, *, uid: str, memory_id: str) -> StoredMemory | None:
        return self._store.get(uid=uid, memory_id=memory_id)

    def answer(self, *, uid: str, text: str) -> Answer | None:
        """A question a memory answers exactly ("Where do I live?"), answered from it; one
        document read. None when the text asks no such question."""
        slot = asked_slot(text)
        if slot is None:
            return None
        found = self._store.get(uid=uid, memory_id=memory_id(slot=slot, text=""))
        memories: tuple[StoredMemory, ...] = (found,) if found is not None else ()
        if not memories:  # a family ("likes" -> "likes:jazz") or a near value ("jazz music")
            family, _, value = slot.partition(":")
            memories = tuple(
                m
                for m in self._store.all(uid=uid)
                if slot_matches(slot, m.memory.slot)
                or (
                    value
                    and (m.memory.slot or "").startswith(f"{family}:")
                    and value in (m.memory.slot or "")
                )
            )
        if not memories:
            return Answer(text=UNKNOWN)  # never let the model guess where the user lives
        facts = "; ".join(second_person(m.memory.text) for m in memories[:10])
        return Answer(text=f"{_capitalised(facts)}.", memories=memories)

    def recall(self, *, uid: str, vector: Sequence[float]) -> list[StoredMemory]:
        """What the user told Aura that bears on a prompt (its embedding): one vector query."""
        return self._store.nearest(
            uid=uid, vector=vector, limit=RECALL_K, max_distance=MAX_DISTANCE
        )

    def to_forget(self, *, uid: str, slot: str | None, words: str | None) -> list[StoredMemory]:
        """The memories "forget ..." names: its slot's, else those whose text has the words."""
        if slot is not None:
            found = self._store.get(uid=uid, memory_id=memory_id(slot=slot, text=""))
            if found is not None:
                return [found]
        if not words:
            return []
        wanted = words.lower()
        return [m for m in self._store.all(uid=uid) if wanted in m.memory.text.lower()]

    def forget(self, *, uid: str, memory_ids: Sequence[str]) -> None:
        for each in memory_ids:
            self._store.delete(uid=uid, memory_id=each)

    def mark_used(self, *, uid: str, memory_ids: Sequence[str], now: datetime) -> None:
        self._store.mark_used(uid=uid, memory_ids=memory_ids, at=now)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
