"""Stop latency as the user sees it: the owner's STOP write -> STOPPED seen by their listener.

    bash emulators/exec.sh ".venv/bin/python -m bench.bench_stop --turns 20"

Runs against the emulator stack exec.sh starts (Functions trigger, Pub/Sub push, ai_service with
the local model). Each turn asks for a long story through the client SDK path (rules apply); once
the listener has shown some reply text, the owner sets `status.state = "STOP"`; the time until
the same listener delivers `STOPPED` is the stop latency. It also checks that the reply no
longer changes after STOPPED (no token written after the stop). Writes bench/results/stop.json.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore

from bench.harness import ROOT, machine_info, percentile
from shared import paths
from tools.emulator_auth import sign_up
from tools.local_stack import PROJECT_ID
from tools.user_firestore import user_client

RESULTS = ROOT / "bench" / "results" / "stop.json"
PROMPT = "Write a long story about a dragon who learns to bake bread, at least ten sentences."
TURNS_PER_USER = 10  # below the chat rate limit (20 a minute)
AFTER_STOP_S = 1.0  # how long the listener keeps watching once STOPPED arrived


@dataclass
class StopRecord:
    turn: int
    latency_s: float | None
    final_state: str | None
    partial_chars: int
    changed_after_stop: bool


class Watch:
    """A listener's view of one turn: when text first showed, when STOPPED arrived, and after."""

    def __init__(self) -> None:
        self.first_text = threading.Event()
        self.stopped = threading.Event()
        self.stopped_at: float | None = None
        self.stopped_response: str | None = None
        self.last: dict[str, Any] = {}
        self.changed_after_stop = False

    def __call__(self, docs: list[Any], _changes: object, _read_time: object) -> None:
        for doc in docs:
            data = doc.to_dict() or {}
            state = (data.get("status") or {}).get("state")
            if self.stopped.is_set() and data.get("response") != self.stopped_response:
                self.changed_after_stop = True
            self.last = data
            if data.get("response"):
                self.first_text.set()
            if state == "STOPPED" and not self.stopped.is_set():
                self.stopped_at = time.monotonic()
                self.stopped_response = data.get("response")
                self.stopped.set()


def one_turn(db: Any, uid: str, cid: str, number: int) -> StopRecord:
    ref = db.document(paths.turn(uid, cid, uuid.uuid4().hex[:20]))
    watch = Watch()
    ref.create({"prompt": PROMPT, "createTime": firestore.SERVER_TIMESTAMP})
    listener = ref.on_snapshot(watch)
    try:
        if not watch.first_text.wait(180):
            return StopRecord(number, None, (watch.last.get("status") or {}).get("state"), 0, False)
        asked = time.monotonic()
        ref.update({"status.state": "STOP"})
        watch.stopped.wait(60)
        time.sleep(AFTER_STOP_S)
    finally:
        listener.unsubscribe()
    latency = None if watch.stopped_at is None else watch.stopped_at - asked
    return StopRecord(
        turn=number,
        latency_s=latency,
        final_state=(watch.last.get("status") or {}).get("state"),
        partial_chars=len(watch.stopped_response or ""),
        changed_after_stop=watch.changed_after_stop,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args(argv)
    records: list[StopRecord] = []
    db: Any = None
    uid = cid = ""
    for number in range(args.turns):
        if number % TURNS_PER_USER == 0:
            user = sign_up(f"stop-{uuid.uuid4().hex[:10]}@example.com", "secret-pass-1")
            db = user_client(project=PROJECT_ID, id_token=user.id_token)
            uid, cid = user.uid, uuid.uuid4().hex[:20]
            db.document(paths.conversation(uid, cid)).create(
                {"createdAt": firestore.SERVER_TIMESTAMP}
            )
        record = one_turn(db, uid, cid, number)
        records.append(record)
        shown = "-" if record.latency_s is None else f"{record.latency_s * 1000:.0f} ms"
        print(
            f"turn {number:2d}: stop -> STOPPED {shown:>8}, {record.final_state}, "
            f"{record.partial_chars} chars kept, changed after: {record.changed_after_stop}"
        )
    latencies = [r.latency_s for r in records if r.latency_s is not None]
    command = f".venv/bin/python -m bench.bench_stop --turns {args.turns}"
    summary = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": f'bash emulators/exec.sh "{command}"',
        "turns": len(records),
        "stopped": sum(r.final_state == "STOPPED" for r in records),
        "changed_after_stop": sum(r.changed_after_stop for r in records),
        "stop_latency_s": {
            "p50": round(percentile(latencies, 50), 3) if latencies else None,
            "p95": round(percentile(latencies, 95), 3) if latencies else None,
            "max": round(max(latencies), 3) if latencies else None,
        },
        "machine": machine_info(),
        "records": [asdict(r) for r in records],
    }
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "records"}, indent=2))
    return 0 if summary["stopped"] == len(records) and not summary["changed_after_stop"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
