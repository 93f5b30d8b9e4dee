"""ai_service down for 60 s on the running stack: turns written meanwhile are neither lost nor
answered twice. The Pub/Sub emulator's pushes to the stopped service fail and the message goes
to the dead-letter topic; `on_dead_letter` hands a never-claimed turn back to the sweeper, which
re-publishes it each minute until the service is back (README: "When ai_service is down")."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.cloud import firestore

from shared import paths
from tools.emulator_auth import SignedInUser
from tools.local_stack import PROJECT_ID
from tools.user_firestore import user_client

from ..conftest import AI_SERVICE
from .test_chat_flow import TERMINAL

ROOT = Path(__file__).resolve().parents[3]
PORT = os.environ.get("AURAOS_AI_PORT", "8081")
PID_FILE = ROOT / ".emulators" / f"ai_service-{PORT}.pid"
REPORT = ROOT / ".emulators" / "logs" / "outage.json"
OUTAGE_S = 60
# After the service is back: the next sweep (every minute) re-publishes what was dead-lettered,
# then the answers themselves (the local model's included) on a loaded machine.
RECOVERY_BOUND_S = 150

PROMPTS = (
    "what is 12 * 7?",
    "Remind me to stretch at 6pm",
    "Add oat milk to my shopping list",
    "What time is it?",
    "Take a note: the outage test wrote this",
    "Hello! Suggest a name for a goldfish.",
)


def _ready() -> bool:
    try:
        return requests.get(f"{AI_SERVICE}/readyz", timeout=2).ok
    except requests.RequestException:
        return False


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop_stack_ai_service() -> None:
    """SIGTERM the gunicorn group ai_service.sh started (its pid file), as before_stop.sh does."""
    pid = int(PID_FILE.read_text().strip())
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _group_alive(pid):
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)  # whatever did not exit on TERM
    PID_FILE.unlink(missing_ok=True)
    assert not _ready(), "ai_service still answers after it was stopped"


def _start_stack_ai_service() -> None:
    """Start it the way the stack does (ai_service.sh: same port, pid file, log, subscriptions)."""
    subprocess.run(["bash", "emulators/ai_service.sh"], cwd=ROOT, check=True, timeout=240)
    assert _ready()


@pytest.fixture
def ai_service_down() -> Iterator[Callable[[], None]]:
    """The stack's ai_service stopped; yields what starts it again. Whatever the test does, the
    service is running again afterwards, for the tests that follow."""
    assert _ready(), "the stack's ai_service is not running"
    _stop_stack_ai_service()
    try:
        yield _start_stack_ai_service
    finally:
        if not _ready():
            _start_stack_ai_service()


class Follow:
    """Every state a turn's realtime listener delivers, and when it ended."""

    def __init__(self) -> None:
        self.states: list[str] = []
        self.final: dict[str, Any] = {}
        self.ended_at: float | None = None
        self.done = threading.Event()

    def __call__(self, docs: list[Any], _changes: object, _read_time: object) -> None:
        for doc in docs:
            data = doc.to_dict() or {}
            state = (data.get("status") or {}).get("state")
            if state and (not self.states or self.states[-1] != state):
                self.states.append(state)
            self.final = data
            if state in TERMINAL and not self.done.is_set():
                self.ended_at = time.monotonic()
                self.done.set()


def test_turns_written_while_ai_service_is_down_for_60_s_are_answered_once(
    db: firestore.Client,
    new_user: Callable[..., SignedInUser],
    ai_service_down: Callable[[], None],
) -> None:
    down_at = time.monotonic()
    users = [new_user(), new_user()]
    follows: dict[str, Follow] = {}
    watches = []
    for index, prompt in enumerate(PROMPTS):
        user = users[index % 2]
        path = paths.turn(user.uid, "outage", f"t{index}")
        client = user_client(project=PROJECT_ID, id_token=user.id_token)
        client.document(path).create({"prompt": prompt, "createTime": firestore.SERVER_TIMESTAMP})
        follows[path] = Follow()
        watches.append(client.document(path).on_snapshot(follows[path]))
        if index == len(PROMPTS) // 2:
            time.sleep(OUTAGE_S / 2)  # half written at the start of the outage, half midway
    try:
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))
        early = {p: f.states[-1] for p, f in follows.items() if f.done.is_set()}
        ai_service_down()
        back_at = time.monotonic()
        for follow in follows.values():
            follow.done.wait(max(0.0, RECOVERY_BOUND_S - (time.monotonic() - back_at)))
    finally:
        for watch in watches:
            watch.unsubscribe()

    ended = {p: f for p, f in follows.items() if f.ended_at is not None}
    recovery_s = max((f.ended_at or back_at) - back_at for f in follows.values())
    REPORT.write_text(
        json.dumps(
            {
                "turns": len(follows),
                "completed": sum(f.states[-1:] == ["COMPLETED"] for f in follows.values()),
                "recovery_s": round(recovery_s, 1),
                "states": {p: f.states for p, f in follows.items()},
            },
            indent=1,
        )
    )
    assert not early, f"turns ended while the service was down: {early}"
    stranded = {p: f.states for p, f in follows.items() if p not in ended}
    assert not stranded, f"not ended {RECOVERY_BOUND_S} s after the service came back: {stranded}"
    not_completed = {p: (f.states, f.final.get("status")) for p, f in ended.items()
                     if f.final["status"]["state"] != "COMPLETED"}  # fmt: skip
    assert not not_completed, not_completed
    # Answered once: the first attempt, never regenerated, each tool's document written once.
    for path, follow in follows.items():
        assert follow.final["status"]["attempt"] == 1, (path, follow.final["status"])
        assert not follow.final.get("attempts"), path
        assert follow.final["response"].strip(), path
    reminders = list(db.collection(f"{paths.user(users[1].uid)}/{paths.REMINDERS}").stream())
    assert len(reminders) == 1, [r.to_dict() for r in reminders]
