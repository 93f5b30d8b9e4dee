"""One trace per turn, from the Firestore trigger to the last write, across both services.

The local stack exports spans to one JSON-lines file (AURAOS_TRACE_FILE, set by exec.sh); an
operator reads a turn's tree with `python -m tools.trace TURN_PATH`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from google.cloud import firestore

from shared import paths
from shared.tracing import TURN_PATH_ATTRIBUTE
from tools.emulator_auth import SignedInUser
from tools.trace import Span, build_tree, read_spans, traces_of_turn

from ..helpers import wait_for
from .test_chat_flow import write_turn_and_watch

ROOT = Path(__file__).resolve().parents[3]


def _trace_file() -> Path:
    return Path(os.environ["AURAOS_TRACE_FILE"])


def _spans_of(turn_path: str) -> list[Span] | None:
    """The turn's one trace once ai_service's span for it has ended (None until then)."""
    traces = traces_of_turn(read_spans(_trace_file()), turn_path)
    if traces and any(s.name == "ai_service.chat_turn" for s in traces[-1]):
        return traces[-1]
    return None


def test_a_turn_is_one_connected_trace_from_the_trigger_to_completion(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    watcher = write_turn_and_watch(user, "c1", "t-trace", "Say hello to my cat in one sentence.")
    assert watcher.final["status"]["state"] == "COMPLETED"
    turn_path = paths.turn(user.uid, "c1", "t-trace")

    spans = wait_for(lambda: _spans_of(turn_path), timeout_s=30, what="the turn's spans")

    assert len(traces_of_turn(read_spans(_trace_file()), turn_path)) == 1
    [root] = build_tree(spans)  # connected: every span's parent is in the trace, one root
    assert root.name == "functions.on_turn_created"
    assert root.service == "auraos-functions"
    assert root.attributes[TURN_PATH_ATTRIBUTE] == turn_path
    by_name = {span.name: span for span in spans}
    worker = by_name["ai_service.chat_turn"]
    # The envelope carried the trigger's context: ai_service's span is the trigger's child.
    assert worker.parent_id == root.span_id
    assert worker.service == "auraos-ai-service"
    assert worker.attributes["auraos.outcome"] == "completed"
    assert "pubsub.publish" in by_name
    stages = [child.name for child in worker.children]
    for stage in ("turn.claim", "turn.moderation", "turn.nlu", "turn.generate", "turn.complete"):
        assert stage in stages, stages
    generate = by_name["turn.generate"]
    assert generate.parent_id == worker.span_id
    assert [event["name"] for event in generate.events] == ["first_token"]
    assert by_name["turn.context"].parent_id == worker.span_id
    assert any(child.name == "turn.stream_write" for child in generate.children)
    assert all(s.start <= s.end for s in spans)
    assert worker.start >= root.start


def test_the_trace_command_prints_the_turns_span_tree(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    watcher = write_turn_and_watch(user, "c1", "t-cmd", "what is 7 * 6")
    assert watcher.final["status"]["state"] == "COMPLETED"
    turn_path = paths.turn(user.uid, "c1", "t-cmd")
    wait_for(lambda: _spans_of(turn_path), timeout_s=30, what="the turn's spans")

    printed = subprocess.run(
        [sys.executable, "-m", "tools.trace", turn_path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout

    lines = printed.splitlines()
    assert lines[0].startswith("trace ")
    assert lines[1].startswith("functions.on_turn_created")
    assert "[auraos-functions]" in lines[1]
    assert any(line.startswith("  ai_service.chat_turn") for line in lines)
    assert any(line.strip().startswith("turn.nlu") for line in lines)
    assert " ms" in lines[1]


def test_an_unknown_turn_says_so(db: firestore.Client) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tools.trace", "users/u/conversations/c/messages/none"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "no spans for users/u/conversations/c/messages/none" in done.stdout
