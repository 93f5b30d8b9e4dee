"""HTTP routes of the trained models (described by ai_service/openapi.yaml)."""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from pathlib import Path
from typing import Annotated, TypeVar

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from shared.errors import InvalidInput

from .artifacts import read_card
from .registry import EXTENSION_KEY, ModelRegistry

ml_api = Blueprint("ml_api", __name__, url_prefix="/v1")
log = logging.getLogger(__name__)

MAX_TEXTS = 256
MAX_TEXT_CHARS = 5000
# /v1/embed serves search queries (one short text per call), not bulk indexing.
MAX_EMBED_TEXTS = 16
MAX_EMBED_CHARS = 500


class _Request(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


class AnalyzeRequest(_Request):
    texts: list[Annotated[str, Field(max_length=MAX_TEXT_CHARS)]] = Field(
        min_length=1, max_length=MAX_TEXTS
    )


class EmbedRequest(_Request):
    texts: list[Annotated[str, Field(min_length=1, max_length=MAX_EMBED_CHARS)]] = Field(
        min_length=1, max_length=MAX_EMBED_TEXTS
    )


class RecommendationRequest(_Request):
    user_id: str | None = Field(default=None, max_length=128)
    liked_items: list[int] = Field(default_factory=list, max_length=500)
    interests: list[str] = Field(default_factory=list, max_length=20)
    exclude: list[int] = Field(default_factory=list, max_length=1000)
    k: int = Field(default=10, ge=1, le=100)


class ActivityEvent(_Request):
    event_type: str = Field(min_length=1, max_length=100)
    client_time: datetime
    success: bool = True
    device_id: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=200)


class UserProfile(_Request):
    typical_daily_events: float | None = Field(default=None, ge=0)
    typical_hours: list[float] | None = Field(default=None, min_length=24, max_length=24)
    known_devices: list[str] = Field(default_factory=list, max_length=100)
    known_locations: list[str] = Field(default_factory=list, max_length=100)


class UserActivity(_Request):
    user_id: str = Field(min_length=1, max_length=128)
    events: list[ActivityEvent] = Field(max_length=20000)
    profile: UserProfile = Field(default_factory=UserProfile)


class AnomalyRequest(_Request):
    users: list[UserActivity] = Field(min_length=1, max_length=1000)


_M = TypeVar("_M", bound=_Request)


def _registry() -> ModelRegistry:
    found: ModelRegistry = current_app.extensions[EXTENSION_KEY]
    return found


def _error(status: int, code: str, message: str) -> ResponseReturnValue:
    return jsonify(error={"code": code, "message": message}), status


@ml_api.post("/analyze")
def analyze() -> ResponseReturnValue:
    parsed = _parse(AnalyzeRequest)
    details = _registry().analyzer.analyze_detailed(parsed.texts)
    return jsonify(results=[d.to_json_dict() for d in details])


@ml_api.post("/embed")
def embed() -> ResponseReturnValue:
    """The chat's prompt embedding of each text (the encoder the NLU pass stores on turns), so
    a search query lands in the same space as the turns it looks for."""
    parsed = _parse(EmbedRequest)
    registry = _registry()
    embeddings = registry.analyzer.embed(parsed.texts)
    return jsonify(
        embeddings=[list(vector) for vector in embeddings],
        model=_encoder_name(registry.settings.models_dir / "encoder"),
        dimensions=len(embeddings[0]),  # the request has at least one text
    )


@functools.cache
def _encoder_name(directory: Path) -> str:
    """The encoder artifact's name from its card (read once: the registry verified it)."""
    return str(read_card(directory).get("name", "encoder"))


@ml_api.post("/recommendations")
def recommendations() -> ResponseReturnValue:
    parsed = _parse(RecommendationRequest)
    recommender = _registry().recommender
    if recommender is None:
        return _error(503, "unavailable", "the recommendation model is not installed")
    result = recommender.recommend(
        user_id=parsed.user_id,
        liked_items=parsed.liked_items,
        interests=parsed.interests,
        exclude=parsed.exclude,
        k=parsed.k,
    )
    return jsonify(result.to_json_dict())


@ml_api.post("/anomaly/score")
def anomaly_score() -> ResponseReturnValue:
    parsed = _parse(AnomalyRequest)
    detector = _registry().anomaly
    if detector is None:
        return _error(503, "unavailable", "the anomaly model is not installed")
    try:
        scores = detector.score_users([user.model_dump(by_alias=False) for user in parsed.users])
    except ValueError as exc:
        return _error(400, "invalid_argument", str(exc))
    for s in scores:
        if s.alert:
            log.warning("activity anomaly", extra={"userId": s.user_id, "anomalyScore": s.score})
    return jsonify(threshold=detector.threshold, scores=[s.to_json_dict() for s in scores])


@ml_api.errorhandler(InvalidInput)
def bad_request(exc: InvalidInput) -> ResponseReturnValue:
    """The body does not match the request schema."""
    return _error(400, "invalid_argument", exc.message)


def _parse(model: type[_M]) -> _M:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise InvalidInput("the body must be a JSON object")
    try:
        return model.model_validate(payload)
    except (ValidationError, ValueError) as exc:
        raise InvalidInput(str(exc).splitlines()[0][:300]) from exc
