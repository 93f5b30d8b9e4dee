"""The Firebase developer's own commands work on this repo after `make setup`.

`. emulators/env.sh && npx firebase emulators:start`, then `make ai-service` and `make chat` in
other terminals; and `npx firebase emulators:exec 'emulators/with_ai_service.sh CMD'`. Each test
starts its own emulators on firebase.json's ports (run after the integration suite's have
stopped: `make habits`), and stops everything it started, including what firebase-tools leaks.
"""

from __future__ import annotations

import fcntl
import os
import re
import shlex
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / ".emulators" / "logs"
QUESTION = "what is 6 * 7?"
ANSWER = "6 * 7 = 42"
AI_SERVICE = "http://127.0.0.1:8081"


def _shell(line: str, *, session: str, log: Path) -> subprocess.Popen[bytes]:
    """`line` in a login-like bash at the repo root, as a developer would type it."""
    with log.open("wb") as out:
        return subprocess.Popen(
            ["bash", "-c", line],
            cwd=ROOT,
            env={**os.environ, "AURAOS_EMULATOR_SESSION": session},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as in a terminal; then SIGKILL what is left of its process group."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _reap(session: str) -> None:
    """Stop what still carries the session's tag (firebase-tools leaks the functions runtime)."""
    subprocess.run(
        ["bash", "-c", ". emulators/env.sh && auraos_session_reap"],
        cwd=ROOT,
        env={**os.environ, "AURAOS_EMULATOR_SESSION": session},
        check=False,
        timeout=60,
    )


def _wait_for_text(
    log: Path, text: str, process: subprocess.Popen[bytes], timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            pytest.fail(
                f"exited ({process.returncode}) before {text!r}:\n{log.read_text()[-3000:]}"
            )
        time.sleep(0.5)
    pytest.fail(f"no {text!r} within {timeout_s} s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def session() -> Iterator[str]:
    """A tag for what the test starts, holding the emulator ports' lock (as exec.sh does)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    tag = f"habits.{uuid.uuid4().hex}"
    lock_path = Path(os.environ.get("AURAOS_PORTS_LOCK", "/tmp/auraos-emulator-ports.lock"))
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another stack on the same ports: wait for it
        try:
            yield tag
        finally:
            _reap(tag)


def test_emulators_start_then_make_ai_service_then_make_chat(session: str) -> None:
    emulators_log = LOGS / "habits-emulators-start.log"
    ai_log = LOGS / "habits-make-ai-service.log"
    emulators = _shell(
        ". emulators/env.sh && exec npx firebase emulators:start",
        session=session,
        log=emulators_log,
    )
    ai_service = None
    try:
        _wait_for_text(emulators_log, "All emulators ready", emulators, timeout_s=240)
        ai_service = _shell("exec make ai-service", session=session, log=ai_log)
        _wait_for_text(ai_log, "Ctrl-C stops it", ai_service, timeout_s=180)
        assert requests.get(f"{AI_SERVICE}/readyz", timeout=5).ok

        chat = subprocess.run(
            ["make", "--no-print-directory", "chat", f"ARGS=-m {shlex.quote(QUESTION)}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert chat.returncode == 0, chat.stdout + chat.stderr
        assert f"aura> {ANSWER}" in chat.stdout
        assert "Signed in as demo@auraos.dev" in chat.stdout
    finally:
        if ai_service is not None:
            _stop(ai_service)
        _stop(emulators)
    # Ctrl-C stopped it cleanly (make itself ends by the signal, as it does in a terminal).
    assert ai_service.returncode in (0, -signal.SIGINT), ai_log.read_text()[-2000:]
    assert "Shutting down: Master" in (LOGS / "ai_service-8081.log").read_text()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{AI_SERVICE}/readyz", timeout=5)
    # The probe noise the emulator used to print at every start-up is gone.
    assert "Invalid request, unable to process" not in emulators_log.read_text(errors="replace")


def test_emulators_exec_runs_a_command_with_ai_service_attached(session: str) -> None:
    log = LOGS / "habits-emulators-exec.log"
    chat = f".venv/bin/python -m tools.chat_cli -m {shlex.quote(QUESTION)}"
    line = ". emulators/env.sh && exec npx firebase emulators:exec " + shlex.quote(
        f"emulators/with_ai_service.sh {chat}"
    )
    process = _shell(line, session=session, log=log)
    try:
        process.wait(timeout=360)
    finally:
        _stop(process)
    output = log.read_text(errors="replace")
    assert process.returncode == 0, output[-3000:]
    # emulators:exec prints the functions' log lines into the same stream, mid-reply at times.
    assert re.search(r"aura> .*?6 \* 7 = 42\n  \(COMPLETED, intent arithmetic", output, re.S)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{AI_SERVICE}/readyz", timeout=5)  # stopped with the command
