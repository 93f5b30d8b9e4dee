"""Sentiment: VADER plus logistic-regression heads on the shared encoder, stacked.

* `model`: P(positive) - P(negative) from a head on the encoder embedding alone.
* the ensemble: a head over [embedding, VADER's neg/neu/pos/compound]; its label is the answer and
  its P(positive) - P(negative) is `score`.
Trained on GoEmotions mapped to positive / negative / neutral (ai_service/training/sentiment.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from shared.models.base import Frozen
from shared.models.chat import Sentiment, SentimentLabel

from .artifacts import float32_arrays, open_artifact
from .encoder import SentenceEncoder
from .probabilities import softmax

LABELS: tuple[SentimentLabel, ...] = (
    SentimentLabel.NEGATIVE,
    SentimentLabel.NEUTRAL,
    SentimentLabel.POSITIVE,
)


class SentimentDetail(Frozen):
    """What /v1/analyze returns: the ensemble's label and score plus each part's score."""

    label: SentimentLabel
    score: float = Field(ge=-1.0, le=1.0)
    vader: float = Field(ge=-1.0, le=1.0)
    model: float = Field(ge=-1.0, le=1.0)

    def to_sentiment(self) -> Sentiment:
        return Sentiment(label=self.label, score=self.score)


def vader_features(analyzer: Any, texts: Sequence[str]) -> NDArray[np.float32]:
    """(n, 4): VADER's neg, neu, pos, compound."""
    rows = []
    for text in texts:
        s = analyzer.polarity_scores(text)
        rows.append((s["neg"], s["neu"], s["pos"], s["compound"]))
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), 4)


def vader_label(compound: float) -> SentimentLabel:
    """VADER's own published thresholds (±0.05)."""
    if compound >= 0.05:
        return SentimentLabel.POSITIVE
    if compound <= -0.05:
        return SentimentLabel.NEGATIVE
    return SentimentLabel.NEUTRAL


class SentimentModel:
    """Loads once; `predict` scores a batch (embeddings may be passed in to share the encoder)."""

    def __init__(
        self,
        *,
        encoder: SentenceEncoder,
        model_coef: NDArray[np.float32],
        model_intercept: NDArray[np.float32],
        ensemble_coef: NDArray[np.float32],
        ensemble_intercept: NDArray[np.float32],
        vader_weight: float,
        version: str = "dev",
    ) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: PLC0415

        self.encoder = encoder
        self._vader = SentimentIntensityAnalyzer()
        self._model = (model_coef, model_intercept)
        self._ensemble = (ensemble_coef, ensemble_intercept)
        self.vader_weight = vader_weight
        self.version = version

    @classmethod
    def load(
        cls, directory: Path, *, encoder: SentenceEncoder, check: bool = True
    ) -> SentimentModel:
        card, config = open_artifact(directory, check=check)
        arrays = float32_arrays(directory / "heads.npz")
        return cls(
            encoder=encoder,
            model_coef=arrays["model_coef"],
            model_intercept=arrays["model_intercept"],
            ensemble_coef=arrays["ensemble_coef"],
            ensemble_intercept=arrays["ensemble_intercept"],
            vader_weight=float(config["vader_weight"]),
            version=str(card.get("version", "dev")),
        )

    def vader(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return vader_features(self._vader, texts)

    def probabilities(
        self, embeddings: NDArray[np.float32], vader: NDArray[np.float32]
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """(head-only, ensemble) probabilities over LABELS."""
        model = softmax(embeddings @ self._model[0].T + self._model[1])
        features = np.hstack([embeddings, self.vader_weight * vader])
        ensemble = softmax(features @ self._ensemble[0].T + self._ensemble[1])
        return model, ensemble

    def predict(self, texts: Sequence[str]) -> list[SentimentDetail]:
        return self.predict_embeddings(texts, self.encoder.encode(texts))

    def predict_embeddings(
        self, texts: Sequence[str], embeddings: NDArray[np.float32]
    ) -> list[SentimentDetail]:
        vader = self.vader(texts)
        model, ensemble = self.probabilities(embeddings, vader)
        return [
            SentimentDetail(
                label=LABELS[int(ensemble[i].argmax())],
                score=_polarity(ensemble[i]),
                vader=round(float(vader[i, 3]), 4),
                model=_polarity(model[i]),
            )
            for i in range(len(texts))
        ]


def _polarity(probs: NDArray[np.float32]) -> float:
    return round(min(1.0, max(-1.0, float(probs[2] - probs[0]))), 4)
