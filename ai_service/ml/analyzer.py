"""The trained analyzer: intent + entities + sentiment over one shared encoder pass per batch."""

from __future__ import annotations

from collections.abc import Sequence

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
        embeddings, words = self.encoder.encode_with_words(texts)
        intents = self.intent.predict_embeddings(texts, embeddings)
        sentiments = self.sentiment.predict_embeddings(texts, embeddings)
        entities = self.entities.predict_words(texts, words)
        return [
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

    def analyze(self, texts: Sequence[str]) -> list[Analysis]:
        return [detail.to_analysis() for detail in self.analyze_detailed(texts)]
