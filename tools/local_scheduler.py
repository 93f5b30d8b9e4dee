"""Cloud Scheduler for the local stack: fires every scheduled function at its own cadence.

    .venv/bin/python -m tools.local_scheduler [--once] [--only NAME]

The Functions emulator never fires `scheduler_fn.on_schedule` functions, and refuses a publish to
their schedule topic ("Unsupported trigger signature: http"), so on the local stack the turn
sweeper and the deletion resumer would never run. This process imports the functions' entry
point (functions/main.py; importing it does no I/O), finds each scheduled function and its
schedule in the endpoint the SDK attached to it, and calls it the way Cloud Scheduler does: an
HTTP POST with `X-CloudScheduler-JobName` and `X-CloudScheduler-ScheduleTime`, through the SDK's
own wrapper, against the emulators named by the usual *_EMULATOR_HOST variables. The first run
of each is one period after start, as with a new Cloud Scheduler job. emulators/after_start.sh
starts it with the emulators and emulators/before_stop.sh stops it.

A test that runs a sweep by hand pauses the background runs by creating the file named by
AURAOS_SCHEDULER_PAUSE_FILE (default .emulators/scheduler.paused); a paused tick is skipped.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import flask

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-central1"
DEFAULT_PAUSE_FILE = ROOT / ".emulators" / "scheduler.paused"
_EVERY = re.compile(r"^every (\d+) (minute|minutes|hour|hours)$")

log = logging.getLogger("auraos.local_scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    period: timedelta
    handler: Callable[[flask.Request], Any]


def period_of(schedule: str) -> timedelta:
    """The period of an App Engine cron "every N minutes|hours" schedule (what ours use)."""
    match = _EVERY.match(schedule.strip())
    if match is None:
        raise ValueError(f"unsupported schedule {schedule!r}: use 'every N minutes' or 'hours'")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(minutes=amount) if unit.startswith("minute") else timedelta(hours=amount)


def discover(module: Any) -> list[Job]:
    """Every exported function with a schedule trigger, with its period."""
    jobs: list[Job] = []
    for name in getattr(module, "__all__", ()):
        handler = getattr(module, name)
        endpoint = getattr(handler, "__firebase_endpoint__", None)
        trigger = getattr(endpoint, "scheduleTrigger", None)
        if trigger:
            jobs.append(Job(name=name, period=period_of(str(trigger["schedule"])), handler=handler))
    return sorted(jobs, key=lambda job: job.name)


def fire(job: Job, *, now: datetime) -> bool:
    """Run one job once, as Cloud Scheduler's POST would; True when it answered 2xx."""
    app = flask.Flask("auraos-local-scheduler")
    headers = {
        "X-CloudScheduler-JobName": f"firebase-schedule-{job.name}-{REGION}",
        "X-CloudScheduler-ScheduleTime": now.isoformat(),
    }
    started = time.monotonic()
    with app.test_request_context("/", method="POST", headers=headers):
        response = job.handler(flask.request)
    status = int(getattr(response, "status_code", 200))
    elapsed_ms = (time.monotonic() - started) * 1000
    if 200 <= status < 300:
        log.info("fired %s (%.0f ms)", job.name, elapsed_ms)
        return True
    log.error(
        "%s failed with HTTP %d (%.0f ms); next run as scheduled", job.name, status, elapsed_ms
    )
    return False


def _load_functions() -> Any:
    """functions/main.py, importable as the Functions runtime imports it."""
    for folder in (str(ROOT / "functions"), str(ROOT)):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    os.environ.setdefault("GCLOUD_PROJECT", "demo-auraos")
    return importlib.import_module("main")


def run(jobs: list[Job], *, stop: threading.Event, pause_file: Path) -> None:
    """Fire each job every period until `stop` is set (the first run one period from now)."""
    due = {job.name: time.monotonic() + job.period.total_seconds() for job in jobs}
    while not stop.is_set():
        next_name = min(due, key=due.__getitem__)
        if stop.wait(max(0.0, due[next_name] - time.monotonic())):
            return
        job = next(j for j in jobs if j.name == next_name)
        due[next_name] += job.period.total_seconds()
        if pause_file.exists():
            log.info("skipped %s: paused by %s", job.name, pause_file)
            continue
        try:
            fire(job, now=datetime.now(UTC))
        except Exception:
            log.exception("%s raised; next run as scheduled", job.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fire the scheduled functions on the local stack.")
    parser.add_argument("--once", action="store_true", help="fire each job once now, then exit")
    parser.add_argument("--only", action="append", help="only this function (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="[scheduler] %(asctime)s %(message)s", datefmt="%H:%M:%S"
    )
    missing = [
        v for v in ("FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST") if not os.environ.get(v)
    ]
    if missing:  # never a real project: Cloud Scheduler does this job there
        log.error("%s not set: the local scheduler only runs against the emulators", missing)
        return 2
    jobs = [j for j in discover(_load_functions()) if not args.only or j.name in args.only]
    if not jobs:
        log.error("no scheduled functions found")
        return 1
    if args.once:
        fired = [fire(job, now=datetime.now(UTC)) for job in jobs]  # each, even after a failure
        return 0 if all(fired) else 1
    log.info("scheduling %s", ", ".join(f"{j.name} every {j.period}" for j in jobs))
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    pause_file = Path(os.environ.get("AURAOS_SCHEDULER_PAUSE_FILE") or DEFAULT_PAUSE_FILE)
    run(jobs, stop=stop, pause_file=pause_file)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
