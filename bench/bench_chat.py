"""Benchmark the chat pipeline end to end on private emulators with the embedded local model.

    .venv/bin/python -m bench.bench_chat [--turns 100] [--warmup 2] [--out bench/results/chat.json]

One turn is what the product does, in-process: the client creates the turn document
({prompt, createTime: server time}, as the PWA does) -> the functions' `queue_turn` (validation,
rate limit, QUEUED, conversation bookkeeping, publish ChatRequested) -> the message is pulled from
the Pub/Sub emulator -> ai_service's `ChatPipeline.run` with that message and its idempotency key,
as the push handler runs it. A real-time listener on the turn (the PWA's view) timestamps the first
visible reply text and the terminal state. Measured turns alternate between a conversation
pre-seeded with 10 completed turns and one pre-seeded with 1,000.

Firestore and Pub/Sub emulators are started on free ports and stopped at the end; the Firebase
suite's ports are never used. Prints a table and writes the JSON summary (see bench/README.md).
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import shlex
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from bench.harness import (
    ROOT,
    OpCounter,
    install_counter,
    machine_info,
    percentile,
    private_emulators,
    self_check_counter,
)

if TYPE_CHECKING:
    from google.cloud import firestore

    from ai_service.config import Settings
    from ai_service.generation.base import (
        GenerationRequest,
        GenerationResult,
        OnDelta,
        ToolRunner,
    )
    from ai_service.nlu.analysis import Analyzer
    from ai_service.pipeline.chat import ChatPipeline, ReplyGenerator
    from shared.events import ChatRequested

PROJECT = "demo-bench"
UID = "bench-user"
SUBSCRIPTION = "bench-chat-requested"
HISTORY_LENGTHS = (10, 1000)
TERMINAL_STATES = frozenset({"COMPLETED", "BLOCKED", "ERROR"})
# Phases a Firestore operation is counted under (see harness.OpCounter).
CLIENT, QUEUE, PIPELINE = "client", "queue", "pipeline"

# Most prompts go to the model (kept to short answers); every fifth hits a deterministic skill.
PROMPTS = (
    "Give me one tip for sleeping better, in one sentence.",
    "Suggest a name for a grey cat. One line.",
    "What is {a} * ({b} + 4)?",
    "How do I say thank you in Spanish? Answer briefly.",
    "What is a playlist? One sentence.",
    "Name one healthy breakfast idea, briefly.",
    "What should I pack for a day at the beach? Keep it short.",
    "What time is it?",
    "Tell me a short fun fact about octopuses.",
    "What does a reminder app do? One sentence.",
)
# Pre-seeded history: short exchanges, like the replies the system prompt asks for.
HISTORY = (
    ("Hi Aura!", "Hello! How can I help you today?"),
    ("What is a good name for a goldfish?", "How about Bubbles? It's short and cheerful."),
    ("Give me a quick stretching tip.", "Stand up every hour and reach for the ceiling."),
    ("What is 15 + 27?", "15 + 27 = 42"),
    ("How do I boil an egg?", "Simmer it for about 9 minutes, then cool it in cold water."),
    ("Suggest a weekend hobby.", "Try sketching: all you need is a pencil and paper."),
    ("What is a podcast?", "A podcast is a series of audio episodes you can stream."),
    ("Recommend a fruit for breakfast.", "A banana is quick, filling and easy to carry."),
)


def prompt_for(index: int) -> str:
    return PROMPTS[index % len(PROMPTS)].format(a=12 + index, b=3 + index % 7)


# -- timing the model call ------------------------------------------------------------------------


class TimedGenerator:
    """The pipeline's ReplyGenerator, timed: wall time of `generate`, first delta, and the time the
    pipeline spends in its streaming callback (its throttled writes of the partial reply)."""

    def __init__(self, inner: ReplyGenerator) -> None:
        self._inner = inner
        self.reset()

    def reset(self) -> None:
        self.calls = 0
        self.started: float | None = None
        self.first_delta: float | None = None
        self.first_written: float | None = None
        self.ended: float | None = None
        self.callback_s = 0.0
        self.input_tokens = 0
        self.output_tokens = 0

    def generate(
        self,
        request: GenerationRequest,
        on_delta: OnDelta,
        *,
        preferred_model: str | None,
        run_tool: ToolRunner | None = None,
    ) -> GenerationResult:
        self.calls += 1
        self.started = time.perf_counter()

        def timed(piece: str) -> bool:
            arrived = time.perf_counter()
            if piece and self.first_delta is None:
                self.first_delta = arrived
            keep_going = on_delta(piece)
            done = time.perf_counter()
            self.callback_s += done - arrived
            if piece and self.first_written is None:
                self.first_written = done
            return keep_going

        try:
            result = self._inner.generate(
                request, timed, preferred_model=preferred_model, run_tool=run_tool
            )
        finally:
            self.ended = time.perf_counter()
        self.input_tokens = result.input_tokens
        self.output_tokens = result.output_tokens
        return result

    def cost(self, result: GenerationResult) -> float:
        return self._inner.cost(result)

    def read_ahead(self, request: GenerationRequest, *, preferred_model: str | None) -> None:
        self._inner.read_ahead(request, preferred_model=preferred_model)


# -- watching a turn as the PWA does --------------------------------------------------------------


class TurnWatcher:
    """A real-time listener on one turn: when its reply text first shows, and when it ends."""

    def __init__(self, ref: firestore.DocumentReference) -> None:
        self.first_response: float | None = None
        self.ended: float | None = None
        self.state: str | None = None
        self._ready = threading.Event()
        self._done = threading.Event()
        self._watch = ref.on_snapshot(self._on_snapshot)
        if not self._ready.wait(timeout=30):
            self.close()
            raise RuntimeError("the turn listener did not start")

    def _on_snapshot(self, docs: list[Any], _changes: Any, _read_time: Any) -> None:
        seen = time.perf_counter()
        for doc in docs:
            data = doc.to_dict() if doc.exists else None
            if not data:
                continue
            if data.get("response") and self.first_response is None:
                self.first_response = seen
            state = (data.get("status") or {}).get("state")
            if state in TERMINAL_STATES and self.ended is None:
                self.ended, self.state = seen, state
                self._done.set()
        self._ready.set()

    def wait(self, timeout_s: float) -> bool:
        return self._done.wait(timeout=timeout_s)

    def close(self) -> None:
        self._watch.unsubscribe()  # type: ignore[no-untyped-call]


# -- Pub/Sub --------------------------------------------------------------------------------------


class Delivery:
    """Pulls what the functions published to `chat-requested`, as the push subscription would."""

    def __init__(self, pubsub_host: str) -> None:
        from shared.events import Topic
        from tools.local_stack import ensure_topic

        self._base = f"http://{pubsub_host}/v1/projects/{PROJECT}"
        self._session = requests.Session()
        for topic in Topic:
            ensure_topic(
                session=self._session,
                base=f"http://{pubsub_host}",
                project=PROJECT,
                topic=topic.value,
            )
        body = {
            "topic": f"projects/{PROJECT}/topics/{Topic.CHAT_REQUESTED.value}",
            "ackDeadlineSeconds": 600,
        }
        response = self._session.put(f"{self._base}/subscriptions/{SUBSCRIPTION}", json=body)
        response.raise_for_status()

    def receive(self, timeout_s: float = 30) -> tuple[ChatRequested, str]:
        """The next ChatRequested and its idempotency key (acknowledged)."""
        from shared.events import ChatRequested, decode_envelope

        url = f"{self._base}/subscriptions/{SUBSCRIPTION}"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pulled = self._session.post(
                f"{url}:pull", json={"maxMessages": 1, "returnImmediately": True}, timeout=timeout_s
            )
            pulled.raise_for_status()
            received = pulled.json().get("receivedMessages") or []
            if not received:
                time.sleep(0.005)
                continue
            item = received[0]
            self._session.post(
                f"{url}:acknowledge", json={"ackIds": [item["ackId"]]}, timeout=10
            ).raise_for_status()
            envelope = decode_envelope(base64.b64decode(item["message"]["data"]))
            if not isinstance(envelope.data, ChatRequested):
                raise RuntimeError(f"unexpected message {envelope.data.type}")
            return envelope.data, envelope.idempotency_key
        raise RuntimeError("no ChatRequested was published")

    def close(self) -> None:
        self._session.close()


# -- seeding --------------------------------------------------------------------------------------


def seed_conversation(db: firestore.Client, *, cid: str, turns: int, now: datetime) -> None:
    """A conversation with `turns` completed turns, written like the pipeline writes them."""
    from ai_service.nlu.baseline import BaselineAnalyzer
    from ai_service.pipeline.context import extend_summary
    from shared import paths
    from shared.models.chat import TurnState, TurnStatus, Usage

    analyzer = BaselineAnalyzer()
    analysis = [a.to_turn_fields() for a in analyzer.analyze([p for p, _ in HISTORY])]
    messages = db.collection(paths.messages(UID, cid))
    start = now - timedelta(minutes=turns + 5)
    summary: str | None = None
    batch = db.batch()
    for i in range(turns):
        prompt, reply = HISTORY[i % len(HISTORY)]
        created = start + timedelta(minutes=i)
        status = TurnStatus(
            state=TurnState.COMPLETED,
            attempt=1,
            event_id=f"seed-{cid}-{i}#1",
            queued_at=created,
            start_time=created + timedelta(seconds=0.1),
            complete_time=created + timedelta(seconds=2),
        )
        usage = Usage(
            provider="local",
            model="qwen2.5-coder-0.5b-instruct-q4_k_m",
            input_tokens=180,
            output_tokens=14,
            latency_ms=1900,
        )
        batch.set(
            messages.document(f"seed{i:05d}"),
            {
                "prompt": prompt,
                "createTime": created,
                "response": reply,
                **analysis[i % len(HISTORY)],
                "status": status.to_document(),
                "usage": usage.to_document(),
            },
        )
        summary = extend_summary(summary, number=i + 1, prompt=prompt, reply=reply)
        if (i + 1) % 400 == 0:
            batch.commit()
            batch = db.batch()
    batch.set(
        db.document(paths.conversation(UID, cid)),
        {
            "title": HISTORY[0][0],
            "createdAt": start,
            "updatedAt": start + timedelta(minutes=turns),
            "summary": summary,
            "turnCount": turns,
            "usage": {"turns": turns, "inputTokens": 180 * turns, "outputTokens": 14 * turns},
        },
    )
    batch.commit()


# -- one turn -------------------------------------------------------------------------------------


@dataclass
class TurnRecord:
    index: int
    history: int
    kind: str  # "llm" or "skill"
    outcome: str
    state: str | None
    first_token_s: float | None  # create -> first reply text seen by the listener
    completion_s: float | None  # create -> terminal state seen by the listener
    generation_s: float  # wall time of the model call (0 for skills)
    overhead_s: float | None  # completion_s - generation_s
    first_token_inproc_s: float | None  # create -> first partial reply written (LLM turns)
    completion_inproc_s: float  # create -> pipeline.run returned (conversation updated too)
    overhead_inproc_s: float
    create_s: float
    queue_s: float
    delivery_s: float
    pre_generation_s: float  # delivered -> model called (claim, NLU, context) or run (skills)
    post_generation_s: float  # model done -> run returned (complete, conversation update)
    stream_callback_s: float  # inside generation: the pipeline's partial-reply writes
    model_first_token_s: float | None  # model call -> first delta (prompt processing)
    input_tokens: int
    output_tokens: int
    tokens_per_s: float | None
    reads: dict[str, int]
    writes: dict[str, int]
    prompt: str


@dataclass
class Bench:
    db: firestore.Client  # the client's (PWA's) view and the seeding
    functions_db: firestore.Client
    pipeline: ChatPipeline
    generator: TimedGenerator
    delivery: Delivery
    counter: OpCounter
    queue_turn: Callable[..., Any]
    clock: Callable[[], datetime]

    def turn(self, *, index: int, cid: str, history: int, prompt: str) -> TurnRecord:
        from google.cloud import firestore as fs

        from shared import paths
        from shared.models.turn_ref import TurnRef

        ref = self.db.collection(paths.messages(UID, cid)).document()
        watcher = TurnWatcher(ref)
        self.generator.reset()
        self.counter.take()
        try:
            t0 = time.perf_counter()
            with self.counter.under(CLIENT):
                ref.create({"prompt": prompt, "createTime": fs.SERVER_TIMESTAMP})
            created = time.perf_counter()
            with self.counter.under(QUEUE):
                self.queue_turn(
                    db=self.functions_db,
                    turn=TurnRef(uid=UID, conversation_id=cid, turn_id=ref.id),
                    now=self.clock(),
                )
            queued = time.perf_counter()
            message, key = self.delivery.receive()
            if message.turn_id != ref.id:
                raise RuntimeError(f"delivered {message.turn_id}, expected {ref.id}")
            delivered = time.perf_counter()
            with self.counter.under(PIPELINE):
                outcome = self.pipeline.run(message=message, event_id=key)
            finished = time.perf_counter()
            watcher.wait(timeout_s=60)
        finally:
            watcher.close()
        counts = self.counter.take()
        gen = self.generator
        llm = gen.calls > 0 and gen.started is not None and gen.ended is not None
        generation_s = (gen.ended - gen.started) if llm and gen.ended and gen.started else 0.0
        completion = watcher.ended - t0 if watcher.ended is not None else None
        first_seen = watcher.first_response - t0 if watcher.first_response is not None else None
        decode_s = (gen.ended - gen.first_delta) if llm and gen.ended and gen.first_delta else 0.0
        return TurnRecord(
            index=index,
            history=history,
            kind="llm" if llm else "skill",
            outcome=outcome.value,
            state=watcher.state,
            first_token_s=first_seen,
            completion_s=completion,
            generation_s=generation_s,
            overhead_s=None if completion is None else completion - generation_s,
            first_token_inproc_s=(gen.first_written - t0) if gen.first_written else None,
            completion_inproc_s=finished - t0,
            overhead_inproc_s=finished - t0 - generation_s,
            create_s=created - t0,
            queue_s=queued - created,
            delivery_s=delivered - queued,
            pre_generation_s=((gen.started if llm and gen.started else finished) - delivered),
            post_generation_s=(finished - gen.ended) if llm and gen.ended else 0.0,
            stream_callback_s=gen.callback_s,
            model_first_token_s=(
                gen.first_delta - gen.started if llm and gen.first_delta and gen.started else None
            ),
            input_tokens=gen.input_tokens,
            output_tokens=gen.output_tokens,
            tokens_per_s=(
                (gen.output_tokens - 1) / decode_s
                if decode_s > 0 and gen.output_tokens > 1
                else None
            ),
            reads={p: counts[(p, "reads")] for p in (CLIENT, QUEUE, PIPELINE)},
            writes={p: counts[(p, "writes")] for p in (CLIENT, QUEUE, PIPELINE)},
            prompt=prompt,
        )


# -- summary --------------------------------------------------------------------------------------


def _ms(values: Sequence[float | None], q: float) -> float | None:
    present = [v for v in values if v is not None]
    return round(percentile(present, q) * 1000, 1) if present else None


def _dist(values: Sequence[float | None]) -> dict[str, float | None]:
    return {"p50_ms": _ms(values, 50), "p95_ms": _ms(values, 95)}


def _ops(records: Sequence[TurnRecord]) -> dict[str, Any]:
    """Reads and writes per turn: mean per phase, and min/max of the backend total."""
    if not records:
        return {}
    out: dict[str, Any] = {"turns": len(records)}
    for phase in (QUEUE, PIPELINE, CLIENT):
        out[phase] = {
            "reads": round(sum(r.reads[phase] for r in records) / len(records), 2),
            "writes": round(sum(r.writes[phase] for r in records) / len(records), 2),
        }
    backend_reads = [r.reads[QUEUE] + r.reads[PIPELINE] for r in records]
    backend_writes = [r.writes[QUEUE] + r.writes[PIPELINE] for r in records]
    out["backend_total"] = {
        "reads_mean": round(sum(backend_reads) / len(records), 2),
        "reads_min": min(backend_reads),
        "reads_max": max(backend_reads),
        "writes_mean": round(sum(backend_writes) / len(records), 2),
        "writes_min": min(backend_writes),
        "writes_max": max(backend_writes),
    }
    return out


def summarize(records: list[TurnRecord]) -> dict[str, Any]:
    llm = [r for r in records if r.kind == "llm"]
    rates = [r.tokens_per_s for r in llm if r.tokens_per_s is not None]
    summary: dict[str, Any] = {
        "turns": len(records),
        "llm_turns": len(llm),
        "skill_turns": len(records) - len(llm),
        "not_completed": sum(1 for r in records if r.state != "COMPLETED"),
        "first_token": _dist([r.first_token_s for r in records]),
        "completion": _dist([r.completion_s for r in records]),
        "overhead": _dist([r.overhead_s for r in records]),
        "generation": _dist([r.generation_s for r in llm]),
        "tokens_per_s_p50": round(percentile(rates, 50), 2) if rates else None,
        "output_tokens_mean": (
            round(sum(r.output_tokens for r in llm) / len(llm), 1) if llm else None
        ),
        "llm_only": {
            "first_token": _dist([r.first_token_s for r in llm]),
            "completion": _dist([r.completion_s for r in llm]),
            "overhead": _dist([r.overhead_s for r in llm]),
            "model_first_token": _dist([r.model_first_token_s for r in llm]),
        },
        "in_process": {
            "first_token_written": _dist([r.first_token_inproc_s for r in llm]),
            "completion": _dist([r.completion_inproc_s for r in records]),
            "overhead": _dist([r.overhead_inproc_s for r in records]),
        },
        "overhead_breakdown_p50_ms": {
            "create": _ms([r.create_s for r in records], 50),
            "queue_turn": _ms([r.queue_s for r in records], 50),
            "pubsub_delivery": _ms([r.delivery_s for r in records], 50),
            "pre_generation": _ms([r.pre_generation_s for r in llm], 50),
            "post_generation": _ms([r.post_generation_s for r in llm], 50),
            "skill_pipeline": _ms([r.pre_generation_s for r in records if r.kind == "skill"], 50),
            "stream_writes_in_generation": _ms([r.stream_callback_s for r in llm], 50),
        },
        "firestore_per_turn": {},
    }
    for history in sorted({r.history for r in records}):
        at = [r for r in records if r.history == history]
        summary["firestore_per_turn"][f"history_{history}"] = {
            "all": _ops(at),
            "llm": _ops([r for r in at if r.kind == "llm"]),
            "skill": _ops([r for r in at if r.kind == "skill"]),
        }
    worst_reads = max((r.reads[QUEUE] + r.reads[PIPELINE] for r in records), default=0)
    overhead_p50 = summary["overhead"]["p50_ms"]
    summary["targets"] = {
        "overhead_p50_le_150ms": overhead_p50 is not None and overhead_p50 <= 150,
        "reads_per_turn_le_12": worst_reads <= 12,
        "reads_equal_at_both_lengths": len(
            {
                v["all"]["backend_total"]["reads_max"]
                for v in summary["firestore_per_turn"].values()
                if v["all"]
            }
        )
        <= 1,
    }
    return summary


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def print_table(summary: dict[str, Any]) -> None:
    rows = [
        ("first token (listener)", summary["first_token"]),
        ("completion (listener)", summary["completion"]),
        ("overhead = completion - generation", summary["overhead"]),
        ("generation (model call, LLM turns)", summary["generation"]),
        ("LLM turns: first token", summary["llm_only"]["first_token"]),
        ("LLM turns: completion", summary["llm_only"]["completion"]),
        ("LLM turns: overhead", summary["llm_only"]["overhead"]),
        ("LLM turns: model first token", summary["llm_only"]["model_first_token"]),
        ("in-process: first partial written", summary["in_process"]["first_token_written"]),
        ("in-process: run returned", summary["in_process"]["completion"]),
        ("in-process: overhead", summary["in_process"]["overhead"]),
    ]
    print(f"\n{'latency (ms)':<40}{'p50':>9}{'p95':>9}")
    for label, dist in rows:
        print(f"{label:<40}{_fmt(dist['p50_ms']):>9}{_fmt(dist['p95_ms']):>9}")
    print(
        f"turns {summary['turns']} (llm {summary['llm_turns']}, skill {summary['skill_turns']}, "
        f"not completed {summary['not_completed']}); tokens/s p50 {summary['tokens_per_s_p50']}, "
        f"output tokens mean {summary['output_tokens_mean']}"
    )
    print("overhead breakdown p50 (ms): " + json.dumps(summary["overhead_breakdown_p50_ms"]))
    print(
        f"\n{'firestore per turn':<28}{'queue r/w':>12}{'pipeline r/w':>14}{'total r (max)':>15}"
        f"{'total w':>9}"
    )
    for history, by_kind in summary["firestore_per_turn"].items():
        for kind in ("all", "llm", "skill"):
            ops = by_kind[kind]
            if not ops:
                continue
            total = ops["backend_total"]
            print(
                f"{history + ' ' + kind:<28}"
                f"{ops[QUEUE]['reads']:>6g}/{ops[QUEUE]['writes']:<5g}"
                f"{ops[PIPELINE]['reads']:>7g}/{ops[PIPELINE]['writes']:<6g}"
                f"{total['reads_mean']:>8g} ({total['reads_max']})"
                f"{total['writes_mean']:>9g}"
            )
    print("targets: " + json.dumps(summary["targets"]))


# -- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=100, help="measured turns (default 100)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured turns first (default 2)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "chat.json")
    parser.add_argument("--stream-interval", type=float, default=0.15)
    parser.add_argument(
        "--memory",
        action="store_true",
        help="the user consents to personalisation and has 10 memories: every LLM turn also "
        "runs memory (one vector query, and a slot read for questions a memory answers)",
    )
    args = parser.parse_args(argv)
    command = shlex.join(
        ["python", "-m", "bench.bench_chat", *(sys.argv[1:] if argv is None else argv)]
    )
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if str(ROOT / "functions") not in sys.path:
        sys.path.insert(0, str(ROOT / "functions"))
    machine = machine_info()
    logs = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    print(f"starting private emulators (logs in {logs})")
    with private_emulators(logs) as (fs_emulator, pubsub_emulator):
        os.environ.update(
            {
                "FIRESTORE_EMULATOR_HOST": fs_emulator.host,
                "PUBSUB_EMULATOR_HOST": pubsub_emulator.host,
                "GCLOUD_PROJECT": PROJECT,
                "GOOGLE_CLOUD_PROJECT": PROJECT,
                "AURAOS_CHAT_RATE_CAPACITY": "100000",
                "AURAOS_LLM_CHAIN": "local",
            }
        )
        print(f"firestore {fs_emulator.host}, pubsub {pubsub_emulator.host}")
        result = run(args, machine=machine, command=command)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def seed_user(db: Any, *, now: Any, personalization: bool) -> None:
    """An active account (queue_turn fails, or removes, turns of any other)."""
    from shared import paths

    profile: dict[str, Any] = {"createdAt": now, "updatedAt": now, "isActive": True, "role": "user"}
    if personalization:
        profile["consent"] = {"analytics": False, "personalization": True}
    db.document(paths.user(UID)).set(profile)


BENCH_MEMORIES = (
    "I'm Sam.",
    "I live in Porto.",
    "I work at a bakery.",
    "My wife is called Ana.",
    "My dog is called Rex.",
    "I love jazz music.",
    "I like hiking.",
    "I'm allergic to peanuts.",
    "My birthday is 3 May.",
    "I'm vegetarian.",
)


def seed_memories(db: Any, embedder: Any, *, now: Any) -> None:
    """What a user who told Aura about themselves has: memories with their vectors."""
    from ai_service.memory.service import MemoryService
    from ai_service.stores.memory import MemoryStore

    memory = MemoryService(store=MemoryStore(db), embedder=embedder)
    learned = [
        stored
        for statement in BENCH_MEMORIES
        for stored in memory.learn(uid=UID, text=statement, source_turn="bench", now=now)
    ]
    print(f"seeded {len(learned)} memories")


def _analyzer(settings: Settings) -> Analyzer:
    """The analyzer create_app would serve: the trained models, or the keyword baseline."""
    from ai_service.ml.registry import ModelRegistry
    from ai_service.nlu.baseline import BaselineAnalyzer

    if not settings.ml_models:
        return BaselineAnalyzer()
    registry = ModelRegistry.load()
    registry.warm_up()
    return registry.analyzer


def build_pipeline(
    args: argparse.Namespace, *, settings: Settings, generator: Any, analyzer: Analyzer
) -> ChatPipeline:
    """The pipeline as create_app builds it; with --memory, a user with memories."""
    from ai_service.clients import firestore_client as ai_firestore_client
    from ai_service.ml.analyzer import TrainedAnalyzer
    from ai_service.pipeline.chat import ChatPipeline, PipelineSettings
    from ai_service.stores.assistant import AssistantStore
    from ai_service.stores.memory import MemoryStore
    from ai_service.tools.service import ToolTurns
    from shared.models.base import utc_now

    db = ai_firestore_client(PROJECT)
    embedder = analyzer if isinstance(analyzer, TrainedAnalyzer) else None
    if args.memory:
        if embedder is None:
            raise SystemExit("--memory needs the trained models (AURAOS_ML_MODELS=true)")
        seed_memories(db, embedder, now=utc_now())
    return ChatPipeline(
        db=db,
        analyzer=analyzer,
        generator=generator,
        settings=PipelineSettings(
            lease=timedelta(seconds=settings.turn_lease_s),
            stream_interval_s=args.stream_interval,
            history_turns=settings.history_turns,
        ),
        clock=utc_now,
        tools=ToolTurns(store=AssistantStore(db), embedder=embedder),
        memory=MemoryStore(db),
        embedder=embedder,
    )


def run(args: argparse.Namespace, *, machine: dict[str, Any], command: str) -> dict[str, Any]:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore as fs

    from ai_service.config import Settings
    from ai_service.generation.factory import build_generator
    from auraos_functions.clients import firestore_client as functions_firestore_client
    from auraos_functions.services.chat import queue_turn
    from shared.models.base import utc_now

    counter = OpCounter()
    undo = install_counter(counter)
    try:
        db = fs.Client(project=PROJECT, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
        self_check_counter(db, counter, "bench")
        print("op counter self-check passed")
        delivery = Delivery(os.environ["PUBSUB_EMULATOR_HOST"])
        now = utc_now()
        seed_user(db, now=now, personalization=args.memory)
        for history in HISTORY_LENGTHS:
            started = time.perf_counter()
            seed_conversation(db, cid=f"history-{history}", turns=history, now=now)
            print(f"seeded {history} turns in {time.perf_counter() - started:.1f}s")
        seed_conversation(db, cid="warmup", turns=10, now=now)
        settings = Settings(project_id=PROJECT, require_push_auth=False)
        started = time.perf_counter()
        generator = TimedGenerator(build_generator(settings))
        load_s = time.perf_counter() - started
        print(f"model {settings.llm_local_model} ready in {load_s:.1f}s")
        analyzer = _analyzer(settings)
        pipeline = build_pipeline(args, settings=settings, generator=generator, analyzer=analyzer)
        bench = Bench(
            db=db,
            functions_db=functions_firestore_client(),
            pipeline=pipeline,
            generator=generator,
            delivery=delivery,
            counter=counter,
            queue_turn=queue_turn,
            clock=utc_now,
        )
        for i in range(args.warmup):
            bench.turn(index=-1 - i, cid="warmup", history=10, prompt=prompt_for(i))
        records: list[TurnRecord] = []
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        for i in range(args.turns):
            history = HISTORY_LENGTHS[i % len(HISTORY_LENGTHS)]
            record = bench.turn(
                index=i, cid=f"history-{history}", history=history, prompt=prompt_for(i // 2)
            )
            records.append(record)
            print(
                f"[{i + 1}/{args.turns}] h={history:<4} {record.kind:<5} {record.state} "
                f"first {_fmt(_s_to_ms(record.first_token_s))} ms "
                f"done {_fmt(_s_to_ms(record.completion_s))} ms "
                f"gen {record.generation_s * 1000:.0f} ms "
                f"overhead {_fmt(_s_to_ms(record.overhead_s))} ms "
                f"r {record.reads[QUEUE]}+{record.reads[PIPELINE]} "
                f"w {record.writes[QUEUE]}+{record.writes[PIPELINE]}"
            )
        elapsed = time.perf_counter() - started
        delivery.close()
    finally:
        undo()
    summary = summarize(records)
    print_table(summary)
    machine.update(
        {
            "load_avg_1m_before_turns": round(load_before, 2),
            "load_avg_1m_after_turns": round(os.getloadavg()[0], 2),
            "xllamacpp": metadata.version("xllamacpp"),
            "google-cloud-firestore": metadata.version("google-cloud-firestore"),
        }
    )
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "model": settings.llm_local_model,
        "model_threads": settings.llm_local_threads,
        "model_parallel": settings.llm_local_parallel,
        "model_load_s": round(load_s, 2),
        "max_output_tokens": 200,
        "stream_interval_s": args.stream_interval,
        "history_turns_in_context": Settings.model_fields["history_turns"].default,
        "history_lengths": list(HISTORY_LENGTHS),
        "warmup_turns": args.warmup,
        "elapsed_s": round(elapsed, 1),
        "definitions": {
            "first_token": "turn created (client write starts) -> first non-empty `response` "
            "seen by an on_snapshot listener on the turn; for skills, the final reply",
            "completion": "turn created -> COMPLETED (terminal) seen by the listener",
            "generation": "wall time of the router's generate() call (prompt processing + "
            "decoding, streamed); 0 for skill turns",
            "overhead": "completion - generation: create, queue_turn (transaction + publish), "
            "Pub/Sub pull, claim, NLU, context load, completion write, listener latency",
            "reads_writes": "billable Firestore ops counted at the GAPIC layer in the bench "
            "process: queue = functions' queue_turn, pipeline = ai_service's run, client = the "
            "PWA's create; listener reads are not counted",
        },
        "summary": summary,
        "machine": machine,
        "turns": [_rounded(asdict(r)) for r in records],
    }


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}


def _s_to_ms(value: float | None) -> float | None:
    return None if value is None else value * 1000


if __name__ == "__main__":
    raise SystemExit(main())
