"""Trace settings are validated at start-up; the envelope carries W3C trace context."""

from __future__ import annotations

import pytest

from shared.errors import ConfigurationError
from shared.events import ChatRequested, Envelope, decode_envelope
from shared.tracing import TraceConfig

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_trace_settings_come_from_the_environment() -> None:
    assert TraceConfig.from_env({}).exporter == "none"
    # Cloud Run and Cloud Functions set K_SERVICE: production exports to Cloud Trace by default.
    assert TraceConfig.from_env({"K_SERVICE": "ai-service"}).exporter == "gcp"
    emulated = {"K_SERVICE": "f", "FUNCTIONS_EMULATOR": "true"}
    assert TraceConfig.from_env(emulated).exporter == "none"
    config = TraceConfig.from_env(
        {"AURAOS_TRACE_EXPORTER": "file", "AURAOS_TRACE_FILE": "/t.jsonl"}
    )
    assert config.exporter == "file"
    assert str(config.file) == "/t.jsonl"


@pytest.mark.parametrize(
    "env",
    [{"AURAOS_TRACE_EXPORTER": "file"}, {"AURAOS_TRACE_EXPORTER": "zipkin"}],
    ids=["file-without-path", "unknown-exporter"],
)
def test_bad_trace_settings_fail_at_start_up(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="invalid trace settings"):
        TraceConfig.from_env(env)


def test_the_envelope_carries_the_publishers_trace_context() -> None:
    message = ChatRequested(uid="u", conversation_id="c", turn_id="t", attempt=1)
    envelope = Envelope(idempotency_key="k", data=message, traceparent=TRACEPARENT)
    assert decode_envelope(envelope.encode()).traceparent == TRACEPARENT
    assert decode_envelope(Envelope(idempotency_key="k", data=message).encode()).traceparent is None


def test_a_malformed_traceparent_is_refused() -> None:
    message = ChatRequested(uid="u", conversation_id="c", turn_id="t", attempt=1)
    with pytest.raises(ValueError, match="traceparent"):
        Envelope(idempotency_key="k", data=message, traceparent="00-XYZ-1-01")
