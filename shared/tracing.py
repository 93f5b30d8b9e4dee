"""One trace per chat turn, across both services: OpenTelemetry with W3C trace context.

The turn trigger starts the trace (or continues the caller's), the `traceparent` travels in the
Pub/Sub envelope, and ai_service continues it. Each process calls `configure_tracing` once, at
its first traced call (no I/O at import); where the spans go is configuration:

    AURAOS_TRACE_EXPORTER  gcp  (Cloud Trace, batched: the default on Cloud Run and Cloud
                                 Functions, which set K_SERVICE)
                           file (one JSON object per span, appended to AURAOS_TRACE_FILE: the
                                 local stack; read it with `python -m tools.trace TURN_PATH`)
                           none (spans are made, nothing is exported: the default elsewhere)
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic import ValidationError, model_validator

from .errors import ConfigurationError
from .models.base import Frozen

log = logging.getLogger(__name__)

TRACER_NAME = "auraos"
TURN_PATH_ATTRIBUTE = "auraos.turn.path"
_PROPAGATOR = TraceContextTextMapPropagator()
_LOCK = threading.Lock()
_CONFIGURED: dict[str, str] = {}  # "service" once this process has its provider


class TraceConfig(Frozen):
    """Where this process's spans go (validated at start-up like the rest of the settings)."""

    exporter: Literal["none", "file", "gcp"] = "none"
    file: Path | None = None
    project_id: str | None = None

    @model_validator(mode="after")
    def _file_needs_a_path(self) -> TraceConfig:
        if self.exporter == "file" and self.file is None:
            raise ValueError("AURAOS_TRACE_EXPORTER=file needs AURAOS_TRACE_FILE")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TraceConfig:
        env = os.environ if environ is None else environ
        on_google_cloud = bool(env.get("K_SERVICE")) and env.get("FUNCTIONS_EMULATOR") != "true"
        default = "gcp" if on_google_cloud else "none"
        try:
            return cls(
                exporter=env.get("AURAOS_TRACE_EXPORTER") or default,  # type: ignore[arg-type]
                file=env.get("AURAOS_TRACE_FILE") or None,  # type: ignore[arg-type]
                project_id=env.get("AURAOS_PROJECT_ID") or env.get("GCLOUD_PROJECT") or None,
            )
        except ValidationError as error:
            raise ConfigurationError(f"invalid trace settings: {error}") from error


class JsonLinesSpanExporter(SpanExporter):
    """Appends each finished span as one JSON line; several processes may share the file."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(span_record(span), default=str) + "\n" for span in spans)
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("a", encoding="utf-8") as out:
                out.write(lines)
        except OSError:
            log.warning("could not write spans to %s", self._path, exc_info=True)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def span_record(span: ReadableSpan) -> dict[str, Any]:
    """The fields `tools.trace` needs, in plain JSON types (ids as W3C hex)."""
    context = span.get_span_context()
    parent = span.parent
    return {
        "traceId": f"{context.trace_id:032x}" if context else None,
        "spanId": f"{context.span_id:016x}" if context else None,
        "parentId": f"{parent.span_id:016x}" if parent else None,
        "name": span.name,
        "service": span.resource.attributes.get("service.name"),
        "start": span.start_time,
        "end": span.end_time,
        "attributes": dict(span.attributes or {}),
        "events": [
            {"name": e.name, "time": e.timestamp, "attributes": dict(e.attributes or {})}
            for e in span.events
        ],
        "status": span.status.status_code.name,
    }


def configure_tracing(*, service: str, config: TraceConfig | None = None) -> None:
    """Install this process's tracer provider once; later calls do nothing."""
    with _LOCK:
        if _CONFIGURED:
            return
        config = config or TraceConfig.from_env()
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        if config.exporter == "file" and config.file is not None:
            # Synchronous: a local run reads the file right after the turn, and writes are tiny.
            provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(config.file)))
        elif config.exporter == "gcp":
            # Imported here: only production needs the Cloud Trace client and its gRPC stack.
            cloud_trace = importlib.import_module("opentelemetry.exporter.cloud_trace")
            exporter = cloud_trace.CloudTraceSpanExporter(project_id=config.project_id)
            provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        _CONFIGURED["service"] = service


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, for a message that continues the trace."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def context_from_traceparent(traceparent: str | None) -> otel_context.Context:
    """The context a message's `traceparent` continues (an empty one starts a new trace)."""
    if not traceparent:
        return otel_context.Context()
    return _PROPAGATOR.extract({"traceparent": traceparent})


def current_trace_id() -> str | None:
    """The current trace id in hex (for Cloud Logging's trace field), or None outside a span."""
    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None
