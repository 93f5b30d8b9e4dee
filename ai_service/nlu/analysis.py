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
    # The text's sentence embedding from the same encoder pass (unit length), when the analyzer
    # has an encoder: memory retrieval and search reuse it instead of encoding again.
    embedding: tuple[float, ...] | None = None

    def to_turn_fields(self) -> dict[str, Any]:
        """The fields a chat turn stores (docs/design.md's `intent`, `entities`, `sentiment`)."""
        return {
            "intent": self.intent.to_document(),
            "entities": [entity.to_document() for entity in self.entities],
            "sentiment": self.sentiment.to_document(),
        }


class Analyzer(Protocol):
    """Understands a batch of texts; loaded once per process."""

    def analyze(self, texts: Sequence[str]) -> list[Analysis]: ...


class Embedder(Protocol):
    """Sentence embeddings (unit length) of the analyzer's encoder."""

    def embed(self, texts: Sequence[str]) -> list[tuple[float, ...]]: ...
