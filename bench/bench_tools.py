"""Tool turns as the PWA sees them, on a private copy of the local stack: latency, and proof
that no model answered a turn a tool answered.

    .venv/bin/python -m bench.bench_tools                 # >= 60 measured tool turns
    .venv/bin/python -m bench.bench_tools --turns 13 --out /tmp/tools.json   # one pass of the mix

The stack and the client path are bench_client's (`bench/client_path.py` runs this module inside
its private `firebase emulators:exec`; ai_service under gunicorn with the local model in its
chain, at DEBUG): every user signs up, sets its profile time zone (Europe/Lisbon) with its own
ID token, creates a conversation and writes each turn `{prompt, createTime}` (rules apply);
a realtime listener times the first reply text and the end (`bench_client.User.send`).

Each user plays `MIX` once, in rounds (every user's turn 1, then turn 2, ...): reminder, task,
list, note, search, event, calendar, time, arithmetic, a can't-do, a reminder without a time
(the question) and its answer, the reminders list. After each turn the bench reads the turn
back: `usage.provider` must be "skills" and `usage.model` the expected tool (or "cannot").
Independently of what the turn says, the model must not have run: the local model's log line
per call ("local generation done") is counted over the measured turns, and every turn's trace
(the run's own trace file) must hold a `turn.tools` span and no `turn.generate` span.

A control turn in the warm-up, which the model answers, shows both detectors see a model run.
Exit 1 when a turn was answered by a model, ran another tool, did not complete, the model ran,
or the control turn went unseen. Writes bench/results/tools.json. Firestore reads per turn are
not counted here (the services run in other processes); bench_chat.py counts a skill turn's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.bench_client import PROJECT, AiService, User, _dist, model_calls
from bench.client_path import FOLDER_ENV, run_in_private_stack
from bench.harness import ROOT, machine_info, percentile

TIME_ZONE = "Europe/Lisbon"
SKILLS = "skills"
FIRST_TEXT_TARGET_S = 0.3  # issue #16: tool turns' first text p50 <= 0.3 s
# (utterance, what usage.model must be: the tool's name, or the fixed answer's kind)
MIX: tuple[tuple[str, str], ...] = (
    ("Remind me to water the plants at 6pm", "create_reminder"),
    ("Add milk to my shopping list", "add_task"),
    ("What's on my shopping list?", "list_tasks"),
    ("Take a note: the wifi password is on the router", "add_note"),
    ("Search my notes for wifi", "search_notes"),
    ("Schedule a meeting with Ana tomorrow at 3pm", "create_event"),
    ("What's on my calendar tomorrow?", "list_events"),
    ("What time is it?", "get_time"),
    ("What's 12*(3+4)?", "calculate"),
    ("Book me a flight to Paris", "cannot"),
    ("Remind me to call mum", "create_reminder"),  # asks when
    ("in 20 minutes", "create_reminder"),  # the answer completes it
    ("What are my reminders?", "list_reminders"),
)
CONTROL = "Say hello in one short sentence."
WARM_UP = ("What time is it?", "Add bread to my shopping list", "Remind me to stretch at 6pm")


@dataclass
class ToolTurn:
    user: int
    step: int  # index into MIX
    prompt: str
    expected: str
    state: str | None
    first_text_s: float | None
    completion_s: float | None
    trigger_s: float | None
    queue_wait_s: float | None
    service_ms: int | None  # usage.latencyMs: ai_service from moderation to the reply
    provider: str | None
    model: str | None
    tool_calls: list[dict[str, Any]]
    reply: str
    path: str
    spans: list[str]  # span names of the turn's trace(s), filled in at the end

    @property
    def by_tool(self) -> bool:
        return self.provider == SKILLS and self.model == self.expected

    @property
    def generated(self) -> bool:
        return "turn.generate" in self.spans


class ToolUser(User):
    """bench_client's user, in a profile time zone, who reads each turn back once it ended."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        from shared import paths

        try:  # the owner's validated write, as the PWA keeps it to the device's zone
            self.db.document(paths.user(self.uid)).update({"timeZone": TIME_ZONE})
        except Exception:  # no profile document yet: write it as the server
            from google.cloud import firestore

            admin = firestore.Client(project=PROJECT)
            admin.document(paths.user(self.uid)).set({"timeZone": TIME_ZONE}, merge=True)

    def latest_turn(self) -> tuple[str, dict[str, Any]]:
        """The conversation's last turn: its path and data (one query, after the measurement)."""
        from google.cloud import firestore

        from shared import paths

        latest = list(
            self.db.collection(paths.messages(self.uid, self.cid))
            .order_by("createTime", direction=firestore.Query.DESCENDING)
            .limit(1)
            .stream()
        )
        if not latest:
            return "", {}
        return latest[0].reference.path, latest[0].to_dict() or {}

    def play(self, step: int) -> ToolTurn:
        prompt, expected = MIX[step]
        record = self.send(prompt, timeout_s=120)
        path, data = self.latest_turn()
        usage = data.get("usage") or {}
        return ToolTurn(
            user=self.index,
            step=step,
            prompt=prompt,
            expected=expected,
            state=record.state,
            first_text_s=record.first_text_s,
            completion_s=record.completion_s,
            trigger_s=record.trigger_s,
            queue_wait_s=record.queue_wait_s,
            service_ms=record.service_latency_ms,
            provider=usage.get("provider"),
            model=usage.get("model"),
            tool_calls=[
                {k: c.get(k) for k in ("name", "status")} for c in data.get("toolCalls") or []
            ],
            reply=str(data.get("response") or ""),
            path=path,
            spans=[],
        )


def span_names(trace_file: Path, paths: list[str]) -> list[list[str]]:
    """Per turn path, the span names of every trace about it in the run's trace file."""
    from tools.trace import read_spans, traces_of_turn

    spans = read_spans(trace_file) if trace_file.exists() else []
    return [sorted({s.name for t in traces_of_turn(spans, path) for s in t}) for path in paths]


def summarize(turns: list[ToolTurn], model_runs: int, elapsed_s: float) -> dict[str, Any]:
    first = [t.first_text_s for t in turns]
    by_kind: dict[str, Any] = {}
    for kind in dict.fromkeys(expected for _, expected in MIX):
        rows = [t for t in turns if t.expected == kind]
        by_kind[kind] = {
            "first_text": _dist([t.first_text_s for t in rows]),
            "completion": _dist([t.completion_s for t in rows]),
        }
    present = [f for f in first if f is not None]
    p50 = percentile(present, 50) if present else None
    traced = [t for t in turns if "turn.tools" in t.spans]
    return {
        "turns": len(turns),
        "elapsed_s": round(elapsed_s, 1),
        "not_completed": sum(t.state != "COMPLETED" for t in turns),
        "first_text": _dist(first),
        "completion": _dist([t.completion_s for t in turns]),
        "trigger": _dist([t.trigger_s for t in turns]),
        "queue_wait": _dist([t.queue_wait_s for t in turns]),
        "service_ms_p50": percentile([float(t.service_ms) for t in turns if t.service_ms], 50)
        if any(t.service_ms for t in turns)
        else None,
        "skills_share": round(sum(t.provider == SKILLS for t in turns) / len(turns), 4)
        if turns
        else None,
        "answered_by_model": sum(t.provider != SKILLS for t in turns),
        "wrong_tool": sum(t.provider == SKILLS and t.model != t.expected for t in turns),
        "model_runs_in_log": model_runs,
        "turns_traced": len(traced),
        "turns_with_generate_span": sum(t.generated for t in turns),
        "first_text_target_p50_s": FIRST_TEXT_TARGET_S,
        "first_text_target_met": p50 is not None and p50 <= FIRST_TEXT_TARGET_S,
        "by_kind": by_kind,
    }


def print_summary(s: dict[str, Any]) -> None:
    def cell(d: dict[str, Any]) -> str:
        return f"{d['p50_ms']} / {d['p95_ms']}"

    print(f"\n{'ms (p50 / p95)':<18}{'n':>4}{'first text':>16}{'completion':>16}")
    print(
        f"{'all tool turns':<18}{s['turns']:>4}{cell(s['first_text']):>16}"
        f"{cell(s['completion']):>16}"
    )
    for kind, row in s["by_kind"].items():
        print(
            f"{kind:<18}{row['first_text']['n']:>4}{cell(row['first_text']):>16}"
            f"{cell(row['completion']):>16}"
        )
    met = "met" if s["first_text_target_met"] else "NOT met"
    print(
        f"first text p50 <= {s['first_text_target_p50_s'] * 1000:.0f} ms: {met}; "
        f"usage.provider 'skills': {s['skills_share']:.1%} "
        f"({s['answered_by_model']} answered by a model, {s['wrong_tool']} by another tool); "
        f"local model runs in ai_service's log: {s['model_runs_in_log']}; "
        f"turn.generate spans: {s['turns_with_generate_span']} "
        f"({s['turns_traced']}/{s['turns']} turns traced); not completed {s['not_completed']}"
    )


def _print(t: ToolTurn) -> None:
    first = "-" if t.first_text_s is None else f"{t.first_text_s * 1000:.0f}"
    done = "-" if t.completion_s is None else f"{t.completion_s * 1000:.0f}"
    flag = "" if t.by_tool else f"  <- expected skills/{t.expected}"
    print(
        f"user {t.user} step {t.step:>2} {t.state} first {first:>5} ms done {done:>5} ms "
        f"{t.provider}/{t.model} {t.prompt[:34]!r}{flag}",
        flush=True,
    )


def inner(args: argparse.Namespace, command: str) -> int:
    from tools.local_stack import bootstrap_pubsub

    os.environ.setdefault("AURAOS_PROJECT_ID", PROJECT)
    folder = Path(os.environ[FOLDER_ENV])
    trace_file = Path(os.environ["AURAOS_TRACE_FILE"])
    port = int(os.environ["AURAOS_BENCH_AI_PORT"])
    ai_log = folder / "ai_service.log"
    ai_env = {
        "AURAOS_PROJECT_ID": PROJECT,
        "AURAOS_LLM_CHAIN": "local",  # a model is there to answer: it must not be asked
        "AURAOS_LOG_LEVEL": "DEBUG",  # the local model logs each call
        **dict(item.split("=", 1) for item in args.ai_env),
    }
    machine = machine_info()
    service = AiService(port=port, env=ai_env, log=ai_log)
    print(f"ai_service ready in {service.ready_s:.1f} s; env {ai_env}", flush=True)
    turns: list[ToolTurn] = []
    try:
        bootstrap_pubsub(push_endpoint=f"http://127.0.0.1:{port}/pubsub/push", project=PROJECT)
        warm = ToolUser(-1)  # the first trigger run imports the functions: not measured
        for prompt in WARM_UP:
            warm.send(prompt, timeout_s=300)
        # A control turn the model answers: the two detectors below must see it.
        runs_before = len(model_calls(ai_log))
        warm.send(CONTROL, timeout_s=300)
        control_path, control_data = warm.latest_turn()
        control_usage = control_data.get("usage") or {}
        control_runs = len(model_calls(ai_log)) - runs_before
        runs_before = len(model_calls(ai_log))
        users = [ToolUser(i) for i in range(math.ceil(args.turns / len(MIX)))]
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        for step in range(len(MIX)):
            for user in users:
                turn = user.play(step)
                turns.append(turn)
                _print(turn)
        elapsed = time.perf_counter() - started
        load_after = os.getloadavg()[0]
    finally:
        service.stop()
    model_runs = len(model_calls(ai_log)) - runs_before
    names = span_names(trace_file, [control_path, *(t.path for t in turns)])
    for turn, spans in zip(turns, names[1:], strict=True):
        turn.spans = spans
    summary = summarize(turns, model_runs, elapsed)
    control = {
        "prompt": CONTROL,
        "usage": f"{control_usage.get('provider')}/{control_usage.get('model')}",
        "model_runs_in_log": control_runs,
        "generate_span": "turn.generate" in names[0],
    }
    control["detected"] = control_runs == 1 and bool(control["generate_span"])
    summary["control_llm_turn"] = control
    print_summary(summary)
    print(f"control LLM turn (warm-up, not measured): {json.dumps(control)}")
    machine.update(
        {
            "load_avg_1m_before_turns": round(load_before, 2),
            "load_avg_1m_after_turns": round(load_after, 2),
        }
    )
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "users": len(users),
        "time_zone": TIME_ZONE,
        "mix": [{"prompt": p, "expected": e} for p, e in MIX],
        "ai_service_env": ai_env,
        "definitions": {
            "first_text": "client starts writing the turn (user-scoped client, rules apply) -> "
            "first non-empty `response` seen by its realtime listener",
            "completion": "-> terminal state seen by the listener",
            "queue_wait": "status.queuedAt -> status.startTime (Pub/Sub push, claim)",
            "model_runs_in_log": "'local generation done' lines in ai_service's log during the "
            "measured turns",
            "turns_with_generate_span": "turns whose trace holds a turn.generate span",
        },
        "summary": summary,
        "machine": machine,
        "turns": [
            {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(t).items()}
            for t in turns
        ],
    }
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    clean = (
        control["detected"]
        and summary["not_completed"] == 0
        and summary["answered_by_model"] == 0
        and summary["wrong_tool"] == 0
        and model_runs == 0
        and summary["turns_with_generate_span"] == 0
    )
    return 0 if clean else 1


def main(argv: list[str] | None = None) -> int:
    raw = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--turns", type=int, default=60, help=f"at least this many (users x {len(MIX)})"
    )
    parser.add_argument(
        "--ai-env", action="append", default=[], metavar="NAME=VALUE", help="ai_service setting"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "tools.json")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(raw)
    if not args.inner:
        # The run's own trace file (env.sh keeps one that is set), not the local stack's.
        trace = ROOT / ".emulators" / "logs" / f"bench-tools-traces-{os.getpid()}.jsonl"
        trace.parent.mkdir(parents=True, exist_ok=True)
        trace.write_text("", encoding="utf-8")
        env = {"AURAOS_TRACE_EXPORTER": "file", "AURAOS_TRACE_FILE": str(trace)}
        return run_in_private_stack("bench.bench_tools", raw, env=env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    visible = [a for a in raw if a != "--inner"]
    return inner(args, shlex.join(["python", "-m", "bench.bench_tools", *visible]))


if __name__ == "__main__":
    raise SystemExit(main())
