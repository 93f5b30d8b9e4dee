"""fire_reminders is a scheduled function the local scheduler finds and fires every minute."""

from __future__ import annotations

from datetime import timedelta

from tools.local_scheduler import _load_functions, discover


def test_the_local_scheduler_fires_reminders_every_minute() -> None:
    jobs = {job.name: job.period for job in discover(_load_functions())}

    assert jobs["fire_reminders"] == timedelta(minutes=1)
