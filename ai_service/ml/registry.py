"""Every trained model, loaded once at start-up (`ModelRegistry.load`), kept in `app.extensions`."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from .analyzer import TrainedAnalyzer
from .artifacts import ArtifactError, read_card, verify
from .config import MLSettings
from .encoder import SentenceEncoder
from .entities import EntityTagger
from .intent import IntentModel
from .intent_escalation import IntentEscalation
from .sentiment import SentimentModel

if TYPE_CHECKING:
    from .anomaly import AnomalyDetector
    from .recsys import Recommender

_T = TypeVar("_T")
EXTENSION_KEY = "auraos_ml"
log = logging.getLogger(__name__)


@dataclass(slots=True)
class ModelRegistry:
    settings: MLSettings
    analyzer: TrainedAnalyzer
    recommender: Recommender | None = None
    anomaly: AnomalyDetector | None = None
    load_seconds: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, settings: MLSettings | None = None) -> ModelRegistry:
        """Load every model (raises `ArtifactError` when a required artifact is missing)."""
        settings = settings or MLSettings()
        # BLAS threads (implicit/scipy/numpy) must be capped before numpy spins its pool up.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        timings: dict[str, float] = {}
        root = settings.models_dir
        check = settings.verify_checksums

        started = time.perf_counter()
        encoder_dir = root / "encoder"
        card = read_card(encoder_dir)
        if check:
            verify(encoder_dir, card)
        encoder = SentenceEncoder.from_dir(encoder_dir, threads=settings.threads)
        timings["encoder"] = time.perf_counter() - started
        started = time.perf_counter()
        escalation = (
            IntentEscalation.load(root / "intent_teacher", threads=settings.threads, check=check)
            if settings.intent_escalation
            else None
        )
        intent = IntentModel.load(
            root / "intent",
            encoder=encoder,
            check=check,
            threshold=settings.intent_threshold,
            escalation=escalation,
        )
        sentiment = SentimentModel.load(root / "sentiment", encoder=encoder, check=check)
        entities = EntityTagger.load(root / "ner", encoder=encoder, check=check)
        timings["heads"] = time.perf_counter() - started
        registry = cls(
            settings=settings,
            analyzer=TrainedAnalyzer(
                encoder=encoder,
                intent=intent,
                entities=entities,
                sentiment=sentiment,
            ),
            load_seconds=timings,
        )
        if settings.recommendations:
            registry.recommender = _optional("recommendations", lambda: _recsys(settings, encoder))
        if settings.anomaly:
            registry.anomaly = _optional("anomaly", lambda: _anomaly(settings))
        log.info("models loaded", extra={"loadSeconds": timings})
        return registry

    def warm_up(self) -> None:
        """One inference per model, so the first request pays no lazy initialisation."""
        self.analyzer.analyze_detailed(["hello, what's the weather in Paris tomorrow?"])


def _recsys(settings: MLSettings, encoder: SentenceEncoder) -> Recommender:
    from .recsys import Recommender  # noqa: PLC0415 - implicit/scipy only when enabled

    return Recommender.load(
        settings.models_dir / "recsys", encoder=encoder, check=settings.verify_checksums
    )


def _anomaly(settings: MLSettings) -> AnomalyDetector:
    from .anomaly import AnomalyDetector  # noqa: PLC0415

    return AnomalyDetector.load(
        settings.models_dir / "anomaly", threads=settings.threads, check=settings.verify_checksums
    )


def _optional(name: str, build: Callable[[], _T]) -> _T | None:
    try:
        return build()
    except ArtifactError:
        log.warning("%s model not installed; its endpoint answers 503", name)
        return None
