"""The local scheduler finds the scheduled functions and fires them as Cloud Scheduler would."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import flask
import pytest

from tools.local_scheduler import Job, _load_functions, discover, fire, period_of, run


def test_every_scheduled_function_is_found_with_its_period() -> None:
    jobs = {job.name: job.period for job in discover(_load_functions())}
    assert jobs == {
        "sweep_turns": timedelta(minutes=1),
        "resume_deletions": timedelta(minutes=5),
        "fire_reminders": timedelta(minutes=1),
    }


@pytest.mark.parametrize(
    ("schedule", "period"),
    [("every 1 minutes", timedelta(minutes=1)), ("every 2 hours", timedelta(hours=2))],
)
def test_app_engine_cron_periods(schedule: str, period: timedelta) -> None:
    assert period_of(schedule) == period


def test_an_unsupported_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported schedule"):
        period_of("0 3 * * *")


def test_a_run_is_a_post_with_cloud_schedulers_headers() -> None:
    seen: list[dict[str, str]] = []

    def handler(request: flask.Request) -> flask.Response:
        seen.append({"method": request.method, **dict(request.headers)})
        return flask.Response(status=200)

    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert fire(Job("sweep_turns", timedelta(minutes=1), handler), now=now)
    [request] = seen
    assert request["method"] == "POST"
    assert request["X-Cloudscheduler-Jobname"] == "firebase-schedule-sweep_turns-us-central1"
    assert request["X-Cloudscheduler-Scheduletime"] == now.isoformat()
    failing = Job("x", timedelta(minutes=1), lambda _r: flask.Response(status=500))
    assert not fire(failing, now=now)


def test_runs_come_one_period_apart_and_a_pause_skips_them(tmp_path: Path) -> None:
    fired: list[float] = []
    stop = threading.Event()

    def handler(_request: Any) -> flask.Response:
        fired.append(1.0)
        if len(fired) == 3:
            stop.set()
        return flask.Response(status=200)

    job = Job("quick", timedelta(seconds=0.05), handler)
    run([job], stop=stop, pause_file=tmp_path / "paused")
    assert len(fired) == 3

    pause = tmp_path / "paused"
    pause.touch()
    stop = threading.Event()
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    run([job], stop=stop, pause_file=pause)
    timer.join()
    assert len(fired) == 3  # every tick skipped while paused


def test_it_refuses_to_run_outside_the_emulators(monkeypatch: pytest.MonkeyPatch) -> None:
    from tools.local_scheduler import main

    monkeypatch.delenv("FIRESTORE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:8085")
    assert main(["--once"]) == 2
