"""The trained analyzer: intent + entities + sentiment over one shared encoder pass per batch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from shared.models.base import Frozen
from shared.models.chat import Entity, Intent

from ..nlu.analysis import Analysis
from .encoder import SentenceEncoder
from .entities import EntityTagger
from .intent import IntentModel
from .sentiment import SentimentDetail, SentimentModel


class DomainIntent(Frozen):
    name: str
    confidence: float = Field(ge=0.0, le=1.0)


class AnalysisDetail(Frozen):
    """One text's /v1/analyze result (camelCase in JSON)."""

    intent: Intent
    domain_intent: DomainIntent
    entities: tuple[Entity, ...]
    sentiment: SentimentDetail

    def to_analysis(self) -> Analysis:
        return Analysis(
            intent=self.intent, entities=self.entities, sentiment=self.sentiment.to_sentiment()
        )


class TrainedAnalyzer:
    """Implements `nlu.analysis.Analyzer`; the chat pipeline and /v1/analyze share it."""

    name = "trained"

    def __init__(
        self,
        *,
        encoder: SentenceEncoder,
        intent: IntentModel,
        entities: EntityTagger,
        sentiment: SentimentModel,
    ) -> None:
        self.encoder = encoder
        self.intent = intent
        self.entities = entities
        self.sentiment = sentiment

    def analyze_detailed(self, texts: Sequence[str]) -> list[AnalysisDetail]:
        if not texts:
            return []
        return self._analyze(texts)[0]

    def _analyze(self, texts: Sequence[str]) -> tuple[list[AnalysisDetail], NDArray[np.float32]]:
        embeddings, words = self.encoder.encode_with_words(texts)
        intents = self.intent.predict_embeddings(texts, embeddings)
        sentiments = self.sentiment.predict_embeddings(texts, embeddings)
        entities = self.entities.predict_words(texts, words)
        details = [
            AnalysisDetail(
                intent=i.intent,
                domain_intent=DomainIntent(
                    name=i.domain_intent, confidence=round(min(1.0, i.domain_confidence), 4)
                ),
                entities=e,
                sentiment=s,
            )
            for i, e, s in zip(intents, entities, sentiments, strict=True)
        ]
        return details, embeddings

    def analyze(self, texts: Sequence[str]) -> list[Analysis]:
        if not texts:
            return []
        details, embeddings = self._analyze(texts)
        return [
            detail.to_analysis().model_copy(update={"embedding": _vector(embedding)})
            for detail, embedding in zip(details, embeddings, strict=True)
        ]

    def embed(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        """Implements `nlu.analysis.Embedder`."""
        return [_vector(row) for row in self.encoder.encode(texts)] if texts else []


def _vector(row: NDArray[np.float32]) -> tuple[float, ...]:
    return tuple(round(float(value), 6) for value in row)
