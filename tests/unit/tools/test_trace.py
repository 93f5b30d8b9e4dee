"""tools.trace: spans from the local trace file, as a tree an operator can read."""

from __future__ import annotations

import io
import json
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from shared.tracing import (
    TURN_PATH_ATTRIBUTE,
    JsonLinesSpanExporter,
    context_from_traceparent,
    current_traceparent,
)
from tools.trace import main

TURN = "users/u1/conversations/c1/messages/t1"


def _write_a_turn_trace(path: Path) -> None:
    """Two services, one trace: a trigger span, then a worker span continued from its context."""
    trigger = TracerProvider()
    trigger.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path)))
    worker = TracerProvider()
    worker.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path)))
    with trigger.get_tracer("t").start_as_current_span(
        "functions.on_turn_created", attributes={TURN_PATH_ATTRIBUTE: TURN}
    ):
        traceparent = current_traceparent()
    assert traceparent is not None
    tracer = worker.get_tracer("w")
    with tracer.start_as_current_span(
        "ai_service.chat_turn", context=context_from_traceparent(traceparent)
    ):
        with tracer.start_as_current_span("turn.generate") as generate:
            generate.add_event("first_token")
            for _ in range(3):
                with tracer.start_as_current_span("turn.stream_write"):
                    pass
        with tracer.start_as_current_span("turn.complete"):
            pass


def test_the_tree_follows_the_context_across_processes_and_folds_repeats(tmp_path: Path) -> None:
    file = tmp_path / "traces.jsonl"
    _write_a_turn_trace(file)
    out = io.StringIO()

    assert main([TURN, "--file", str(file)], out=out) == 0

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("trace ")
    assert "1 root span(s)" in lines[0]
    names = [line.split()[0] for line in lines[1:]]
    assert names == [
        "functions.on_turn_created",
        "ai_service.chat_turn",
        "turn.generate",
        "turn.stream_write",
        "turn.complete",
    ]
    indents = [len(line) - len(line.lstrip()) for line in lines[1:]]
    assert indents == [0, 2, 4, 6, 4]
    assert "x3, max" in lines[4]  # three stream writes on one line
    assert "first_token at +" in lines[3]
    records = [json.loads(line) for line in file.read_text().splitlines()]
    assert len({r["traceId"] for r in records}) == 1


def test_a_missing_file_or_turn_is_reported(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main([TURN, "--file", str(tmp_path / "none.jsonl")], out=out) == 1
    assert "no trace file" in out.getvalue()
    file = tmp_path / "traces.jsonl"
    _write_a_turn_trace(file)
    out = io.StringIO()
    assert main(["users/u1/conversations/c1/messages/other", "--file", str(file)], out=out) == 1
    assert "no spans for" in out.getvalue()


def test_the_total_runs_to_the_last_span_not_the_end_of_the_root(tmp_path: Path) -> None:
    file = tmp_path / "traces.jsonl"
    _write_a_turn_trace(file)
    records = [json.loads(line) for line in file.read_text().splitlines()]
    origin = min(r["start"] for r in records)
    last = max(r["end"] for r in records)
    out = io.StringIO()
    main([TURN, "--file", str(file)], out=out)
    header = out.getvalue().splitlines()[0]
    assert f"{(last - origin) / 1e6:,.0f} ms" in header
