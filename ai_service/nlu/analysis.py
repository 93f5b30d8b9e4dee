"""The result of understanding one text, and the interface every analyzer implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from shared.models.base import Frozen
from shared.models.chat import Entity, Intent, Sentiment

FALLBACK_INTENT = "out_of_scope"


class Analysis(Frozen):
    intent: Intent
    entities: tuple[Entity, ...] = ()
    sentiment: Sentiment

    def to_turn_fields(self) -> dict[str, Any]:
        """The fields a chat turn stores (design.md's `intent`, `entities`, `sentiment`)."""
        return {
            "intent": self.intent.to_document(),
            "entities": [entity.to_document() for entity in self.entities],
            "sentiment": self.sentiment.to_document(),
        }


class Analyzer(Protocol):
    """Understands a batch of texts; loaded once per process."""

    def analyze(self, texts: Sequence[str]) -> list[Analysis]: ...
