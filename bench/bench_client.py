"""Benchmark chat turns as the PWA sees them, through a private copy of the real emulator stack.

    .venv/bin/python -m bench.bench_client                       # 6 users x 8 turns, in rounds
    .venv/bin/python -m bench.bench_client --users 20 --turns 5 --concurrent   # the load run

The stack is what `make run` starts, on free ports: `firebase emulators:exec` (Auth, Firestore,
Pub/Sub, Functions with the real `on_turn_created` trigger) from a config written under
`.emulators/bench-client-<pid>/` (project `demo-bench`, never firebase.json's ports, so a running
stack or test run is not disturbed), and ai_service under gunicorn on its own port with Pub/Sub
push subscriptions to it. Every user signs up in the Auth emulator, creates a conversation and
writes each turn `{prompt, createTime}` with its ID token (security rules apply); a realtime
listener on the turn times the first reply text and the terminal state.

Turns are sent in rounds: every user's turn 1 (a conversation's first turn: "fresh"), then every
user's turn 2 ("continuing"), ... so consecutive model calls always come from different
conversations. `--concurrent` runs the users at once instead (each waits for its reply before
its next turn): capacity and first text under load. `--think S` makes each user pause S seconds
after a reply, as a person reads it and types (the model reads ahead while idle). Writes
bench/results/client*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench.bench_chat import PROMPTS
from bench.harness import ROOT, free_port, machine_info, percentile

PROJECT = "demo-bench"
TERMINAL_STATES = frozenset({"COMPLETED", "BLOCKED", "ERROR"})
SKILL_PROVIDERS = frozenset({"skills", "moderation"})
EMULATORS = ("auth", "firestore", "pubsub", "functions", "hub", "logging", "eventarc", "tasks")
SESSION_ENV = "AURAOS_EMULATOR_SESSION"


def prompt_for(user: int, turn: int) -> str:
    """The same prompt table as bench_chat (every fifth a skill), shifted per user."""
    index = user * 3 + turn
    return PROMPTS[index % len(PROMPTS)].format(a=12 + index, b=3 + index % 7)


# -- the private stack (outer process) ------------------------------------------------------------


def write_config(folder: Path) -> dict[str, int]:
    """firebase.json without Hosting, on free ports; the functions folder linked in, since
    firebase-tools resolves every path inside the config's own folder."""
    config = json.loads((ROOT / "firebase.json").read_text(encoding="utf-8"))
    config.pop("hosting", None)
    for function in config["functions"]:
        function.pop("predeploy", None)
    ports = {name: free_port() for name in EMULATORS}
    emulators = config["emulators"]
    emulators.pop("hosting", None)
    for name, port in ports.items():
        emulators[name] = {"host": "127.0.0.1", "port": port}
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("firestore.rules", "firestore.indexes.json"):
        shutil.copyfile(ROOT / name, folder / name)
    link = folder / "functions"
    if not link.exists():
        link.symlink_to(ROOT / "functions", target_is_directory=True)
    (folder / "firebase.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return ports


def _session_pids(tag: str) -> list[int]:
    found = []
    needle = f"{SESSION_ENV}={tag}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def reap(tag: str) -> None:
    """Stop what firebase-tools leaves behind (its Python functions runtime: firebase-tools#11069),
    found by this run's own session tag and nothing else."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = _session_pids(tag)
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, sig)
        for _ in range(10):
            if not _session_pids(tag):
                return
            time.sleep(0.3)


def outer(argv: list[str]) -> int:
    folder = ROOT / ".emulators" / f"bench-client-{os.getpid()}"
    ports = write_config(folder)
    tag = f"bench-client.{os.getpid()}.{time.time_ns()}"
    ai_port = free_port()
    inner_cmd = shlex.join(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "bench.bench_client", "--inner", *argv]
    )
    # firebase-tools gives the script only its own stdout (the log file): write to ours instead.
    me = os.getpid()
    script = (
        f"cd {shlex.quote(str(ROOT))} && exec >>/proc/{me}/fd/1 2>>/proc/{me}/fd/2 && {inner_cmd}"
    )
    firebase = shlex.join(
        [
            str(ROOT / "node_modules" / ".bin" / "firebase"),
            "--config",
            str(folder / "firebase.json"),
            "emulators:exec",
            "--project",
            PROJECT,
            "--only",
            "auth,firestore,pubsub,functions",
            script,
        ]
    )
    env = {
        **os.environ,
        SESSION_ENV: tag,
        "AURAOS_BENCH_AI_PORT": str(ai_port),
        "AURAOS_BENCH_STACK_PORTS": json.dumps(ports),
    }
    log = folder / "emulators.log"
    print(f"private stack: {ports}, ai_service :{ai_port} (log {log})", flush=True)
    # env.sh: Java, the SDK's emulators, credentials the functions can load.
    shell = (
        f"cd {shlex.quote(str(ROOT))} && . emulators/env.sh && auraos_emulator_adc_env && "
        f"export AURAOS_PROJECT_ID={PROJECT} && bash emulators/sync_shared.sh && "
        f"cd {shlex.quote(str(folder))} && exec {firebase}"
    )
    rc = 1

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)  # runs the cleanup below

    signal.signal(signal.SIGTERM, stop)
    proc: subprocess.Popen[bytes] | None = None
    try:
        with log.open("w", encoding="utf-8") as sink:
            proc = subprocess.Popen(
                ["bash", "-c", shell], env=env, stdout=sink, stderr=subprocess.STDOUT
            )
            rc = proc.wait()
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
        reap(tag)  # ai_service, the emulators and their leftovers all carry the tag
    if rc != 0:
        print(f"exit {rc}; the last lines of {log}:", file=sys.stderr)
        print("\n".join(log.read_text(encoding="utf-8").splitlines()[-40:]), file=sys.stderr)
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return rc


# -- ai_service on its own port (inner process, inside emulators:exec) ----------------------------


class AiService:
    """gunicorn with ai_service, as emulators/ai_service.sh starts it, on a private port."""

    def __init__(self, *, port: int, env: dict[str, str], log: Path) -> None:
        self.port = port
        self._log = log.open("w", encoding="utf-8")
        self._proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "ai_service/gunicorn.conf.py"],
            cwd=ROOT,
            env={
                **os.environ,
                "AURAOS_REQUIRE_PUSH_AUTH": "false",  # the emulator's pushes carry no token
                **env,
                "HOST": "127.0.0.1",
                "PORT": str(port),
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started = time.perf_counter()
        while time.perf_counter() - started < 300:
            if self._proc.poll() is not None:
                raise RuntimeError(f"ai_service exited; see {log}")
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"ai_service not ready; see {log}")
        self.ready_s = time.perf_counter() - started

    def stop(self) -> None:
        try:
            os.killpg(self._proc.pid, signal.SIGTERM)
            self._proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._log.close()


# -- one user, one turn ---------------------------------------------------------------------------


@dataclass
class TurnRecord:
    user: int
    turn: int  # 1-based within the conversation
    fresh: bool  # the conversation's first turn
    kind: str  # "llm" or "skill" (from usage.provider)
    state: str | None
    first_text_s: float | None  # client create starts -> first non-empty response seen
    completion_s: float | None  # -> terminal state seen
    trigger_s: float | None  # createTime -> status.queuedAt (Functions trigger)
    queue_wait_s: float | None  # queuedAt -> startTime (Pub/Sub push, waiting, claim)
    service_latency_ms: int | None  # usage.latencyMs (ai_service's own measure)
    input_tokens: int | None
    output_tokens: int | None
    model: str | None
    prompt: str
    reply: str
    model_cached_tokens: int | None = None  # from ai_service's log (rounds mode: calls in order)
    model_prompt_ms: float | None = None
    attempt: int = 1  # status.attempt at the end: > 1 when the turn was re-queued
    queued_ahead: int | None = None  # status.queuedAhead as the listener saw the turn QUEUED


class User:
    """A signed-up user with a user-scoped client (rules apply) and one conversation."""

    def __init__(self, index: int) -> None:
        from google.cloud import firestore

        from shared import paths
        from tools.emulator_auth import sign_up
        from tools.user_firestore import user_client

        self.index = index
        signed = sign_up(f"bench{index}-{uuid.uuid4().hex[:6]}@bench.dev", "bench-password")
        self.uid = signed.uid
        self.db = user_client(project=PROJECT, id_token=signed.id_token)
        self.cid = uuid.uuid4().hex[:20]
        self.db.document(paths.conversation(self.uid, self.cid)).create(
            {"createdAt": firestore.SERVER_TIMESTAMP}
        )
        self.turns = 0

    def send(self, prompt: str, timeout_s: float = 600) -> TurnRecord:
        from google.cloud import firestore

        from shared import paths

        self.turns += 1
        ref = self.db.document(paths.turn(self.uid, self.cid, uuid.uuid4().hex))
        seen: dict[str, Any] = {}
        done = threading.Event()
        t0 = time.perf_counter()

        def on_snapshot(docs: list[Any], _changes: object, _read_time: object) -> None:
            now = time.perf_counter()
            for doc in docs:
                data = doc.to_dict() if doc.exists else None
                if not data:
                    continue
                if data.get("response") and "first" not in seen:
                    seen["first"] = now
                status = data.get("status") or {}
                for key in ("queuedAt", "startTime", "queuedAhead"):  # a claim drops some
                    if status.get(key) is not None:
                        seen.setdefault(key, status[key])
                state = status.get("state")
                if state in TERMINAL_STATES and "end" not in seen:
                    seen["end"], seen["data"] = now, data
                    done.set()

        ref.create({"prompt": prompt, "createTime": firestore.SERVER_TIMESTAMP})
        watch = ref.on_snapshot(on_snapshot)
        try:
            done.wait(timeout_s)
        finally:
            watch.unsubscribe()
        data: dict[str, Any] = seen.get("data") or {}
        status = data.get("status") or {}
        usage = data.get("usage") or {}
        created = data.get("createTime")
        queued = status.get("queuedAt") or seen.get("queuedAt")
        started = status.get("startTime") or seen.get("startTime")
        return TurnRecord(
            user=self.index,
            turn=self.turns,
            fresh=self.turns == 1,
            kind="skill" if usage.get("provider") in SKILL_PROVIDERS else "llm",
            state=status.get("state"),
            first_text_s=seen["first"] - t0 if "first" in seen else None,
            completion_s=seen["end"] - t0 if "end" in seen else None,
            trigger_s=(queued - created).total_seconds() if created and queued else None,
            queue_wait_s=(started - queued).total_seconds() if queued and started else None,
            service_latency_ms=usage.get("latencyMs"),
            input_tokens=usage.get("inputTokens"),
            output_tokens=usage.get("outputTokens"),
            model=usage.get("model"),
            prompt=prompt,
            reply=str(data.get("response") or ""),
            attempt=int(status.get("attempt") or 1),
            queued_ahead=seen.get("queuedAhead"),
        )


# -- summary --------------------------------------------------------------------------------------


def _dist(values: Sequence[float | None]) -> dict[str, float | int | None]:
    present = [v for v in values if v is not None]
    if not present:
        return {"n": 0, "p50_ms": None, "p95_ms": None}
    return {
        "n": len(present),
        "p50_ms": round(percentile(present, 50) * 1000),
        "p95_ms": round(percentile(present, 95) * 1000),
    }


def summarize(records: list[TurnRecord], elapsed_s: float) -> dict[str, Any]:
    llm = [r for r in records if r.kind == "llm"]
    skill = [r for r in records if r.kind == "skill"]
    groups = {
        "llm_fresh": [r for r in llm if r.fresh],
        "llm_continuing": [r for r in llm if not r.fresh],
        "llm_all": llm,
        "skill": skill,
    }
    out: dict[str, Any] = {
        "turns": len(records),
        "llm_turns": len(llm),
        "skill_turns": len(skill),
        "not_completed": sum(1 for r in records if r.state != "COMPLETED"),
        # never reached a terminal state the user can read
        "lost": sum(1 for r in records if r.state not in TERMINAL_STATES),
        "requeued": sum(1 for r in records if r.attempt > 1),
        "elapsed_s": round(elapsed_s, 1),
        "llm_turns_per_min": round(len(llm) / elapsed_s * 60, 1) if elapsed_s > 0 else None,
    }
    # What the PWA showed while each turn waited; a turn claimed before its listener saw it
    # QUEUED has no count.
    ahead = [float(r.queued_ahead) for r in records if r.queued_ahead is not None]
    out["queued_ahead"] = {
        "turns_seen_queued": len(ahead),
        "p50": percentile(ahead, 50) if ahead else None,
        "p95": percentile(ahead, 95) if ahead else None,
        "max": max(ahead, default=None),
    }
    for name, rows in groups.items():
        out[name] = {
            "first_text": _dist([r.first_text_s for r in rows]),
            "completion": _dist([r.completion_s for r in rows]),
            "trigger": _dist([r.trigger_s for r in rows]),
            "queue_wait": _dist([r.queue_wait_s for r in rows]),
        }
    return out


def print_table(summary: dict[str, Any]) -> None:
    print(
        f"\n{'ms (p50 / p95)':<18}{'n':>4}{'first text':>16}{'completion':>16}"
        f"{'trigger':>14}{'queue wait':>16}"
    )
    for name in ("llm_fresh", "llm_continuing", "llm_all", "skill"):
        row = summary[name]

        def cell(d: dict[str, Any], width: int) -> str:
            return f"{d['p50_ms'] or '-'} / {d['p95_ms'] or '-'}".rjust(width)

        print(
            f"{name:<18}{row['first_text']['n']:>4}{cell(row['first_text'], 16)}"
            f"{cell(row['completion'], 16)}{cell(row['trigger'], 14)}{cell(row['queue_wait'], 16)}"
        )
    print(
        f"turns {summary['turns']} (llm {summary['llm_turns']}, skill {summary['skill_turns']}, "
        f"not completed {summary['not_completed']}, lost {summary['lost']}, "
        f"re-queued {summary['requeued']}) in {summary['elapsed_s']} s: "
        f"{summary['llm_turns_per_min']} LLM turns/min"
    )


def model_calls(log: Path) -> list[dict[str, Any]]:
    """The local model's own account of each call, from ai_service's JSON log, in order."""
    calls = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if "local generation done" not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        calls.append(
            {k: entry.get(k) for k in ("inputTokens", "cachedTokens", "promptMs", "ttftMs")}
        )
    return calls


def cache_summary(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """How much of each prompt the runtime took from its cache, and what reading the rest cost."""
    fresh = [
        c["inputTokens"] - c["cachedTokens"] for c in calls if c.get("cachedTokens") is not None
    ]
    read_ms = [float(c["promptMs"]) / 1000 for c in calls if c.get("promptMs") is not None]
    if not fresh:
        return {"calls": len(calls)}
    total = sum(c["inputTokens"] for c in calls if c.get("cachedTokens") is not None)
    return {
        "calls": len(calls),
        "cached_share": round(1 - sum(fresh) / total, 3) if total else None,
        "uncached_tokens_p50": percentile([float(f) for f in fresh], 50),
        "uncached_tokens_p95": percentile([float(f) for f in fresh], 95),
        "calls_over_60_uncached": sum(1 for f in fresh if f > 60),
        "prompt_read": _dist(read_ms),
    }


# -- inner: the measurement -----------------------------------------------------------------------


def run_turns(
    users: list[User],
    *,
    turns: int,
    concurrent: bool,
    records: list[TurnRecord],
    think_s: float = 0.0,
) -> None:
    """Rounds (every user's turn t, then t + 1) or all users at once, each waiting for its reply
    and then `think_s` (reading it and typing the next message) before its next turn."""
    if not concurrent:
        for t in range(turns):
            for user in users:
                record = user.send(prompt_for(user.index, t))
                records.append(record)
                _print(record)
                time.sleep(think_s)
        return
    lock = threading.Lock()

    def run_user(user: User) -> None:
        for t in range(turns):
            record = user.send(prompt_for(user.index, t))
            with lock:
                records.append(record)
                _print(record)
            time.sleep(think_s)

    threads = [threading.Thread(target=run_user, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def inner(args: argparse.Namespace, command: str) -> int:
    from tools.local_stack import bootstrap_pubsub

    os.environ.setdefault("AURAOS_PROJECT_ID", PROJECT)
    port = int(os.environ["AURAOS_BENCH_AI_PORT"])
    logs = ROOT / ".emulators" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    ai_log = logs / f"ai_service-bench-{port}.log"
    ai_env = {
        "AURAOS_PROJECT_ID": PROJECT,
        "AURAOS_LLM_CHAIN": "local",
        "AURAOS_LOG_LEVEL": "DEBUG",  # the local model logs each call's cached prompt tokens
        **dict(item.split("=", 1) for item in args.ai_env),
    }
    machine = machine_info()
    service = AiService(port=port, env=ai_env, log=ai_log)
    print(f"ai_service ready in {service.ready_s:.1f} s; env {ai_env}", flush=True)
    records: list[TurnRecord] = []
    try:
        bootstrap_pubsub(push_endpoint=f"http://127.0.0.1:{port}/pubsub/push", project=PROJECT)
        warm = User(-1)  # the first trigger run imports the functions: not measured
        warm.send("What time is it?")
        warm.send("Say hello in one short sentence.")
        users = [User(i) for i in range(args.users)]
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        run_turns(
            users,
            turns=args.turns,
            concurrent=args.concurrent,
            records=records,
            think_s=args.think,
        )
        elapsed = time.perf_counter() - started
        load_after = os.getloadavg()[0]
    finally:
        service.stop()
    summary = summarize(records, elapsed)
    calls = model_calls(ai_log)[1:]  # the first is the warm-up user's
    summary["model_prompt_cache"] = cache_summary(calls)
    llm_records = [r for r in records if r.kind == "llm"]
    # A turn generated twice (a duplicate delivery or a racing worker) is a model call more
    # than the LLM turns the users saw.
    summary["duplicated_generations"] = max(0, len(calls) - len(llm_records))
    if not args.concurrent and len(llm_records) == len(calls):
        for record, call in zip(llm_records, calls, strict=True):
            record.model_cached_tokens = call.get("cachedTokens")
            record.model_prompt_ms = call.get("promptMs")
    print_table(summary)
    print("model prompt cache: " + json.dumps(summary["model_prompt_cache"]))
    print(f"queued ahead (as each turn was queued): {json.dumps(summary['queued_ahead'])}")
    print(f"duplicated generations: {summary['duplicated_generations']}")
    machine.update(
        {
            "load_avg_1m_before_turns": round(load_before, 2),
            "load_avg_1m_after_turns": round(load_after, 2),
        }
    )
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "mode": "concurrent" if args.concurrent else "rounds",
        "users": args.users,
        "turns_per_user": args.turns,
        "think_s": args.think,
        "ai_service_env": ai_env,
        "ai_service_ready_s": round(service.ready_s, 2),
        "stack_ports": json.loads(os.environ.get("AURAOS_BENCH_STACK_PORTS", "{}")),
        "definitions": {
            "first_text": "client starts writing the turn (user-scoped client, rules apply) -> "
            "first non-empty `response` seen by its realtime listener (a skill's whole reply)",
            "completion": "-> terminal state seen by the listener",
            "trigger": "turn createTime -> status.queuedAt, both server clocks (the Functions "
            "emulator's on_turn_created)",
            "queue_wait": "status.queuedAt -> status.startTime (Pub/Sub push to ai_service, any "
            "wait for a request thread, the claim)",
        },
        "summary": summary,
        "machine": machine,
        "turns": [_rounded(asdict(r)) for r in records],
    }
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0 if summary["not_completed"] == 0 else 1


def _print(r: TurnRecord) -> None:
    first = "-" if r.first_text_s is None else f"{r.first_text_s * 1000:.0f}"
    done = "-" if r.completion_s is None else f"{r.completion_s * 1000:.0f}"
    wait = "-" if r.queue_wait_s is None else f"{r.queue_wait_s * 1000:.0f}"
    print(
        f"user {r.user:>2} turn {r.turn} {r.kind:<5} {r.state} first {first} ms done {done} ms "
        f"queue-wait {wait} ms tokens {r.input_tokens}/{r.output_tokens} {r.prompt[:30]!r}",
        flush=True,
    )


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}


def main(argv: list[str] | None = None) -> int:
    raw = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=6)
    parser.add_argument("--turns", type=int, default=8, help="turns per user (default 8)")
    parser.add_argument("--concurrent", action="store_true", help="all users at once (load)")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="pause after each reply before the next turn, as a person reads and types (default 0)",
    )
    parser.add_argument(
        "--ai-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for ai_service, e.g. AURAOS_LLM_LOCAL_PARALLEL=4",
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(raw)
    if args.out is None:
        name = "client-load.json" if args.concurrent else "client.json"
        args.out = ROOT / "bench" / "results" / name
    if not args.inner:
        return outer(raw)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    visible = [a for a in raw if a != "--inner"]
    return inner(args, shlex.join(["python", "-m", "bench.bench_client", *visible]))


if __name__ == "__main__":
    raise SystemExit(main())
