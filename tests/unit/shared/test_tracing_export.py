"""Where spans go (the JSON-lines file, Cloud Trace) and the current trace's ids."""

from __future__ import annotations

import importlib
import json
import logging
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from shared import tracing
from shared.tracing import (
    JsonLinesSpanExporter,
    TraceConfig,
    configure_tracing,
    context_from_traceparent,
    current_trace_id,
    current_traceparent,
)


@pytest.fixture
def provider() -> Iterator[TracerProvider]:
    """A provider of this test's own: the process's global one is left alone."""
    own = TracerProvider(resource=Resource.create({"service.name": "unit"}))
    yield own
    own.shutdown()


def _finished(provider: TracerProvider, name: str, **attributes: str) -> ReadableSpan:
    tracer = provider.get_tracer("unit")
    with tracer.start_as_current_span("parent"), tracer.start_as_current_span(name) as span:
        span.set_attributes(attributes)
        span.add_event("first token", {"n": 1})
    assert isinstance(span, ReadableSpan)
    return span


def test_each_span_is_appended_as_one_json_line(tmp_path: Path, provider: TracerProvider) -> None:
    file = tmp_path / "logs" / "traces.jsonl"  # the folder is made on the first export
    exporter = JsonLinesSpanExporter(file)
    first = _finished(provider, "ai_service.chat_turn", **{"auraos.turn.path": "users/u/c/m/t"})
    second = _finished(provider, "functions.on_turn_created")

    assert exporter.export([first]) is SpanExportResult.SUCCESS
    assert exporter.export([second]) is SpanExportResult.SUCCESS

    records = [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]
    assert [r["name"] for r in records] == ["ai_service.chat_turn", "functions.on_turn_created"]
    context = first.get_span_context()
    assert context is not None
    assert records[0]["traceId"] == f"{context.trace_id:032x}"
    assert records[0]["spanId"] == f"{context.span_id:016x}"
    assert records[0]["parentId"] is not None  # started inside "parent"
    assert records[0]["service"] == "unit"
    assert records[0]["attributes"] == {"auraos.turn.path": "users/u/c/m/t"}
    assert records[0]["events"][0]["name"] == "first token"
    assert records[0]["events"][0]["attributes"] == {"n": 1}
    assert records[0]["status"] == "UNSET"
    assert records[0]["end"] >= records[0]["start"]


def test_a_file_that_cannot_be_written_fails_the_export_with_a_warning(
    tmp_path: Path, provider: TracerProvider, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    exporter = JsonLinesSpanExporter(blocker / "traces.jsonl")

    with caplog.at_level(logging.WARNING, logger="shared.tracing"):
        result = exporter.export([_finished(provider, "lost")])

    assert result is SpanExportResult.FAILURE
    assert "could not write spans" in caplog.text
    exporter.shutdown()  # nothing to flush: returns without error


def test_outside_a_span_there_is_no_trace_id_and_no_traceparent() -> None:
    assert current_trace_id() is None
    assert current_traceparent() is None


def test_inside_a_span_the_ids_are_the_spans(provider: TracerProvider) -> None:
    with provider.get_tracer("unit").start_as_current_span("turn") as span:
        context = span.get_span_context()
        trace_id = current_trace_id()
        traceparent = current_traceparent()

    assert trace_id == f"{context.trace_id:032x}"
    assert traceparent is not None
    version, trace_hex, span_hex, flags = traceparent.split("-")
    assert (version, trace_hex, span_hex) == (
        "00",
        f"{context.trace_id:032x}",
        f"{context.span_id:016x}",
    )
    assert int(flags, 16) & 0x01  # sampled


def test_no_traceparent_starts_a_new_trace() -> None:
    context = context_from_traceparent(None)

    assert not trace.get_current_span(context).get_span_context().is_valid
    assert context_from_traceparent("") == context


class _FakeCloudTraceExporter(SpanExporter):
    made: ClassVar[list[str | None]] = []

    def __init__(self, project_id: str | None = None) -> None:
        self.made.append(project_id)

    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def test_gcp_sends_spans_to_cloud_trace_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    installed: list[trace.TracerProvider] = []
    modules: list[str] = []

    real_import_module = importlib.import_module

    def import_module(name: str) -> types.ModuleType:
        if name != "opentelemetry.exporter.cloud_trace":
            return real_import_module(name)
        modules.append(name)
        module = types.ModuleType(name)
        module.CloudTraceSpanExporter = _FakeCloudTraceExporter  # type: ignore[attr-defined]
        return module

    monkeypatch.setattr(tracing, "_CONFIGURED", {})
    monkeypatch.setattr(importlib, "import_module", import_module)
    monkeypatch.setattr(trace, "set_tracer_provider", installed.append)
    _FakeCloudTraceExporter.made.clear()
    config = TraceConfig(exporter="gcp", project_id="auraos-prod")

    configure_tracing(service="ai-service", config=config)
    configure_tracing(service="ai-service", config=config)  # a later call does nothing

    assert modules == ["opentelemetry.exporter.cloud_trace"]
    assert _FakeCloudTraceExporter.made == ["auraos-prod"]
    assert len(installed) == 1
    provider = installed[0]
    assert isinstance(provider, TracerProvider)
    assert provider.resource.attributes["service.name"] == "ai-service"
    assert tracing._CONFIGURED == {"service": "ai-service"}
    provider.shutdown()


def test_none_makes_spans_but_exports_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    installed: list[trace.TracerProvider] = []
    monkeypatch.setattr(tracing, "_CONFIGURED", {})
    monkeypatch.setattr(trace, "set_tracer_provider", installed.append)

    configure_tracing(service="functions", config=TraceConfig(exporter="none"))

    (provider,) = installed
    assert isinstance(provider, TracerProvider)
    span = provider.get_tracer("unit").start_span("quiet")
    assert span.get_span_context().is_valid
    span.end()
    provider.shutdown()
