"""The ML routes (/v1/analyze, /embed, /recommendations, /anomaly/score) against openapi.yaml."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient

from ai_service.ml.analyzer import TrainedAnalyzer
from ai_service.ml.registry import EXTENSION_KEY, ModelRegistry
from ai_service.ml.routes import ml_api
from ai_service.nlu.analysis import Analysis, Analyzer

SPEC_PATH = Path(__file__).resolve().parents[4] / "ai_service" / "openapi.yaml"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


def validate(spec: dict[str, Any], schema_name: str, instance: Any) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(instance)


@pytest.fixture(scope="module")
def client(registry: ModelRegistry) -> FlaskClient:
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = registry
    app.register_blueprint(ml_api)
    return app.test_client()


def test_spec_is_valid_openapi_shape(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    assert {"/v1/analyze", "/v1/embed", "/v1/recommendations", "/v1/anomaly/score"} <= set(
        spec["paths"]
    )
    for name, schema in spec["components"]["schemas"].items():
        assert name
        jsonschema.Draft202012Validator.check_schema(schema)


def test_analyze_matches_the_spec(client: FlaskClient, spec: dict[str, Any]) -> None:
    body = {"texts": ["hi! remind me to email bob@example.com tomorrow at 9am", "I hate rain", ""]}
    validate(spec, "AnalyzeRequest", body)
    response = client.post("/v1/analyze", json=body)
    assert response.status_code == 200
    payload = response.get_json()
    validate(spec, "AnalyzeResponse", payload)
    first, second, _ = payload["results"]
    assert first["intent"]["name"] == "reminder"
    assert {"type": "email", "text": "bob@example.com"}.items() <= next(
        e for e in first["entities"] if e["type"] == "email"
    ).items()
    assert second["sentiment"]["label"] == "negative"


def test_analyze_is_the_in_process_analyzer(client: FlaskClient, registry: ModelRegistry) -> None:
    analyzer: Analyzer = registry.analyzer  # the chat pipeline's protocol
    texts = ["what's the weather in Rome", "thanks a lot!"]
    in_process = analyzer.analyze(texts)
    assert all(isinstance(a, Analysis) for a in in_process)
    assert isinstance(registry.analyzer, TrainedAnalyzer)
    served = client.post("/v1/analyze", json={"texts": texts}).get_json()["results"]
    for analysis, result in zip(in_process, served, strict=True):
        assert analysis.intent.name == result["intent"]["name"]
        assert analysis.sentiment.label.value == result["sentiment"]["label"]
        assert len(analysis.entities) == len(result["entities"])
    assert [a.intent.name for a in in_process] == ["weather", "thanks"]


@pytest.mark.parametrize(
    "body",
    [{}, {"texts": []}, {"texts": "hi"}, {"texts": ["x"], "extra": 1}, {"texts": ["x" * 5001]}],
)
def test_analyze_rejects_bad_bodies(client: FlaskClient, spec: dict[str, Any], body: Any) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate(spec, "AnalyzeRequest", body)
    response = client.post("/v1/analyze", json=body)
    assert response.status_code == 400
    validate(spec, "Error", response.get_json())


def test_embed_matches_the_spec(
    client: FlaskClient, spec: dict[str, Any], registry: ModelRegistry
) -> None:
    body = {"texts": ["hiking in the Alps", "a chocolate cake recipe"]}
    validate(spec, "EmbedRequest", body)
    response = client.post("/v1/embed", json=body)
    assert response.status_code == 200
    payload = response.get_json()
    validate(spec, "EmbedResponse", payload)
    assert payload["dimensions"] == 384
    assert payload["model"] == "auraos-encoder"
    assert len(payload["embeddings"]) == 2
    for vector in payload["embeddings"]:
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, abs_tol=1e-3)


def test_embed_is_the_prompt_embedding_stored_on_turns(
    client: FlaskClient, registry: ModelRegistry
) -> None:
    """The chat pipeline stores `analyze(...).embedding` on a turn; a search query must be
    embedded by the same encoder, or the cosine distances between them mean nothing."""
    prompt = "fixing a flat bike tyre"
    served = client.post("/v1/embed", json={"texts": [prompt]}).get_json()["embeddings"][0]
    stored = registry.analyzer.analyze([prompt])[0].embedding
    assert stored is not None
    assert served == pytest.approx(list(stored), abs=1e-6)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"texts": []},
        {"texts": "hi"},
        {"texts": [""]},
        {"texts": ["x" * 501]},
        {"texts": ["x"] * 17},
        {"texts": [1]},
        {"texts": ["x"], "model": "other"},
    ],
)
def test_embed_rejects_bad_bodies(client: FlaskClient, spec: dict[str, Any], body: Any) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate(spec, "EmbedRequest", body)
    response = client.post("/v1/embed", json=body)
    assert response.status_code == 400
    payload = response.get_json()
    validate(spec, "Error", payload)
    assert payload["error"]["code"] == "invalid_argument"


def test_embed_rejects_a_body_that_is_not_json(client: FlaskClient, spec: dict[str, Any]) -> None:
    response = client.post("/v1/embed", data="texts=hi", content_type="text/plain")
    assert response.status_code == 400
    validate(spec, "Error", response.get_json())


@pytest.mark.parametrize(
    ("body", "strategy"),
    [
        ({}, "popular"),
        ({"likedItems": [2, 3], "k": 5}, "similar_items"),
        ({"interests": ["science fiction", "space"]}, "interests"),
    ],
)
def test_recommendations_match_the_spec(
    client: FlaskClient, spec: dict[str, Any], body: dict[str, Any], strategy: str
) -> None:
    validate(spec, "RecommendationRequest", body)
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == 200
    payload = response.get_json()
    validate(spec, "RecommendationResponse", payload)
    assert payload["strategy"] == strategy
    assert len(payload["items"]) == body.get("k", 10)


def test_anomaly_score_matches_the_spec(client: FlaskClient, spec: dict[str, Any]) -> None:
    quiet = [
        {"eventType": "app_open", "clientTime": f"2026-01-05T{h:02d}:10:00+00:00", "deviceId": "d1"}
        for h in (9, 12, 15, 18)
    ]
    stuffing = quiet + [
        {
            "eventType": "login",
            "clientTime": f"2026-01-05T03:{m:02d}:00+00:00",
            "success": False,
            "deviceId": "evil",
            "location": "elsewhere",
        }
        for m in range(60)
    ]
    profile = {"typicalDailyEvents": 5, "knownDevices": ["d1"], "knownLocations": ["home"]}
    body = {
        "users": [
            {"userId": "a", "events": quiet, "profile": profile},
            {"userId": "b", "events": stuffing, "profile": profile},
        ]
    }
    validate(spec, "AnomalyRequest", body)
    response = client.post("/v1/anomaly/score", json=body)
    assert response.status_code == 200
    payload = response.get_json()
    validate(spec, "AnomalyResponse", payload)
    a, b = payload["scores"]
    assert (a["userId"], b["userId"]) == ("a", "b")
    assert not a["alert"]
    assert b["alert"]
    assert b["score"] > a["score"]


def test_anomaly_rejects_bad_time(client: FlaskClient) -> None:
    body = {"users": [{"userId": "a", "events": [{"eventType": "x", "clientTime": "yesterday"}]}]}
    assert client.post("/v1/anomaly/score", json=body).status_code == 400


def test_analyze_answers_an_unsure_text_with_the_teachers_reading(
    client: FlaskClient, registry: ModelRegistry
) -> None:
    intent = registry.analyzer.intent
    assert intent.escalation is not None
    text = "i lost my wallet"  # the student's best intent is in the band: 0.49
    teacher = intent.escalation.probabilities([text])[0]
    student = intent.probabilities(intent.encoder.encode([text]))[0]
    response = client.post("/v1/analyze", json={"texts": [text]})
    assert response.status_code == 200
    domain = response.get_json()["results"][0]["domainIntent"]
    assert domain["name"] == intent.labels[int(teacher.argmax())]
    assert domain["confidence"] == pytest.approx(float(teacher.max()), abs=1e-4)
    assert abs(domain["confidence"] - float(student.max())) > 0.05
