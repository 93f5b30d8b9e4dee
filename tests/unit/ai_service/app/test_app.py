"""The Flask app: health, readiness, push envelope validation, structured request logs."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from flask.testing import FlaskClient

from ai_service.app import create_app
from ai_service.config import Settings
from ai_service.generation.base import GenerationRequest, GenerationResult, OnDelta, ToolRunner
from shared.events import Envelope, UserDeletionRequested


class UnusedGenerator:
    """These tests never reach generation; any call is a bug."""

    def generate(
        self,
        request: GenerationRequest,
        on_delta: OnDelta,
        *,
        preferred_model: str | None,
        run_tool: ToolRunner | None = None,
    ) -> GenerationResult:
        raise AssertionError("generation must not run in these tests")

    def cost(self, result: GenerationResult) -> float:
        raise AssertionError("unreachable")

    def read_ahead(self, request: GenerationRequest, *, preferred_model: str | None) -> None:
        raise AssertionError("unreachable")


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    # The Firestore client is created but never used by these requests.
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")
    settings = Settings(project_id="demo-unit", ml_models=False, require_push_auth=False)
    app = create_app(settings, generator=UnusedGenerator())
    return app.test_client()


def _push(raw: bytes, message_id: str = "m-1") -> dict[str, object]:
    return {"message": {"messageId": message_id, "data": base64.b64encode(raw).decode()}}


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {
        "status": "ready",
        "project": "demo-unit",
        "analyzer": "BaselineAnalyzer",
    }


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        json.dumps({"message": {}}).encode(),
        json.dumps(_push(b'{"version": 1}')).encode(),
    ],
    ids=["garbage", "no-message-id", "invalid-envelope"],
)
def test_malformed_push_requests_get_400_with_a_reason(client: FlaskClient, body: bytes) -> None:
    response = client.post("/pubsub/push", data=body, content_type="application/json")

    assert response.status_code == 400
    payload = response.get_json()
    assert payload["error"] == "invalid-argument"
    assert payload["message"]


def test_a_valid_message_of_a_type_served_elsewhere_is_acknowledged(client: FlaskClient) -> None:
    envelope = Envelope(
        idempotency_key="delete:u",
        data=UserDeletionRequested(uid="u", requested_by="u"),
    )

    response = client.post("/pubsub/push", json=_push(envelope.encode()))

    assert response.status_code == 204


def test_every_request_logs_one_structured_line_with_its_trace(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ai_service.request")

    client.get("/healthz", headers={"X-Cloud-Trace-Context": "abc123/1;o=1"})

    lines = [r for r in caplog.records if r.name == "ai_service.request"]
    assert len(lines) == 1
    assert lines[0].getMessage() == "GET /healthz 200"
    assert lines[0].__dict__["trace"] == "abc123"
    assert lines[0].__dict__["httpRequest"]["status"] == 200


def test_settings_refuse_incomplete_push_auth() -> None:
    with pytest.raises(ValueError, match="AURAOS_PUSH_AUDIENCE"):
        Settings(project_id="p", require_push_auth=True)


def test_push_without_a_token_is_refused_when_push_auth_is_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1")
    settings = Settings(
        project_id="demo-unit",
        push_audience="https://ai.example.run.app/pubsub/push",
        push_service_account="push@demo-unit.iam.gserviceaccount.com",
        require_push_auth=True,
        ml_models=False,
    )
    client = create_app(settings, generator=UnusedGenerator()).test_client()

    response = client.post("/pubsub/push", json=_push(b"{}"))

    assert response.status_code == 401
    assert response.get_json() == {"error": "unauthenticated"}
