"""Why was this turn slow? `python -m tools.trace TURN_PATH` prints its span tree.

    .venv/bin/python -m tools.trace users/UID/conversations/CID/messages/TURN_ID [--file F] [--all]

Reads the spans both services appended to the local stack's trace file (AURAOS_TRACE_FILE,
default .emulators/logs/traces.jsonl; see shared/tracing.py) and prints the newest trace that
touched the turn (`--all`: every one, e.g. each regeneration) as a tree: each span's start after
the trace's first span, its duration, its service and events (the model's first token). Repeated
siblings such as the stream writes are folded into one line with their count and total.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from shared.tracing import TURN_PATH_ATTRIBUTE

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILE = ROOT / ".emulators" / "logs" / "traces.jsonl"
_NS_PER_MS = 1_000_000


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    service: str
    start: int
    end: int
    attributes: dict[str, Any]
    events: list[dict[str, Any]]
    children: list[Span] = field(default_factory=list)

    @property
    def duration_ms(self) -> float:
        return (self.end - self.start) / _NS_PER_MS

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Span:
        return cls(
            trace_id=str(record["traceId"]),
            span_id=str(record["spanId"]),
            parent_id=record.get("parentId"),
            name=str(record["name"]),
            service=str(record.get("service") or "?"),
            start=int(record["start"]),
            end=int(record["end"]),
            attributes=dict(record.get("attributes") or {}),
            events=list(record.get("events") or []),
        )


def read_spans(path: Path) -> list[Span]:
    spans: list[Span] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                spans.append(Span.from_record(json.loads(line)))
    return spans


def traces_of_turn(spans: Iterable[Span], turn_path: str) -> list[list[Span]]:
    """Every trace with a span about `turn_path`, oldest first, each as its list of spans."""
    by_trace: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        by_trace[span.trace_id].append(span)
    wanted = [
        trace
        for trace in by_trace.values()
        if any(s.attributes.get(TURN_PATH_ATTRIBUTE) == turn_path for s in trace)
    ]
    return sorted(wanted, key=lambda trace: min(s.start for s in trace))


def build_tree(trace: list[Span]) -> list[Span]:
    """The trace's roots (normally one) with `children` filled in, each level in start order."""
    by_id = {span.span_id: span for span in trace}
    roots: list[Span] = []
    for span in sorted(trace, key=lambda s: s.start):
        parent = by_id.get(span.parent_id) if span.parent_id else None
        (parent.children if parent else roots).append(span)
    return roots


def _folded(children: list[Span]) -> Iterator[list[Span]]:
    """Consecutive siblings with one name and no children of their own come as one group."""
    group: list[Span] = []
    for child in children:
        if group and (child.name != group[0].name or child.children or group[0].children):
            yield group
            group = []
        group.append(child)
    if group:
        yield group


def _walk(spans: list[Span]) -> Iterator[Span]:
    for span in spans:
        yield span
        yield from _walk(span.children)


def render(roots: list[Span], out: TextIO) -> None:
    origin = min(span.start for span in roots)
    total = (max(span.end for span in _walk(roots)) - origin) / _NS_PER_MS  # to the last span
    out.write(f"trace {roots[0].trace_id}: {total:,.0f} ms, {len(roots)} root span(s)\n")

    def line(group: list[Span], depth: int) -> None:
        first = group[0]
        at = (first.start - origin) / _NS_PER_MS
        label = "  " * depth + first.name
        if len(group) == 1:
            detail = f"{first.duration_ms:8,.1f} ms"
        else:
            durations = [s.duration_ms for s in group]
            detail = f"{sum(durations):8,.1f} ms  x{len(group)}, max {max(durations):,.1f} ms"
        events = "".join(
            f"  {e['name']} at +{(int(e['time']) - origin) / _NS_PER_MS:,.0f} ms"
            for e in first.events
        )
        out.write(f"{label:<44} +{at:9,.1f} ms {detail}  [{first.service}]{events}\n")
        for child_group in _folded(first.children):
            line(child_group, depth + 1)

    for root_group in _folded(roots):
        line(root_group, 0)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(description="Print a turn's span tree from the local stack.")
    parser.add_argument("turn_path", help="users/UID/conversations/CID/messages/TURN_ID")
    default = Path(os.environ.get("AURAOS_TRACE_FILE") or DEFAULT_FILE)
    parser.add_argument("--file", type=Path, default=default, help=f"default: {default}")
    parser.add_argument("--all", action="store_true", help="every trace of the turn")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        out.write(f"no trace file at {args.file}: is the local stack running with tracing?\n")
        return 1
    traces = traces_of_turn(read_spans(args.file), args.turn_path)
    if not traces:
        out.write(f"no spans for {args.turn_path} in {args.file}\n")
        return 1
    for trace in traces if args.all else traces[-1:]:
        render(build_tree(trace), out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
