"""Analytics ingestion through the real trigger path on the emulators: events/s, lost, doubled.

Run inside the emulators (the Functions emulator fires the trigger for every event):
    emulators/exec.sh ".venv/bin/python bench/bench_analytics.py --users 20 --events 25"

Each user gets analytics consent, then all events are written concurrently (as many PWAs would)
with `firestore.SERVER_TIMESTAMP` create times; the bench waits until the aggregates stop moving
and compares them with what was written: lost = written - counted, doubled = counted - written.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from shared import paths
from tools.local_stack import PROJECT_ID

RESULTS = Path(__file__).resolve().parent / "results" / "analytics.json"
EVENT_TYPES: tuple[tuple[str, dict[str, str]], ...] = (
    ("page_view", {"path": "/chat"}),
    ("feature_used", {"feature": "voice"}),
    ("search", {"query": "books"}),
    ("app_open", {}),
)


def _clear() -> None:
    host = os.environ["FIRESTORE_EMULATOR_HOST"]
    url = f"http://{host}/emulator/v1/projects/{PROJECT_ID}/databases/(default)/documents"
    requests.delete(url, timeout=30).raise_for_status()


def _counted(db: firestore.Client, uids: list[str], day: str) -> tuple[int, int]:
    """(sum of the users' daily stats, sum of the global counter shards) for `day`."""
    per_user = 0
    for uid in uids:
        per_user += int(
            (db.document(paths.daily_stats(uid, day)).get().to_dict() or {}).get("events", 0)
        )
    shards = db.collection(f"{paths.COUNTERS}/events-{day}/{paths.SHARDS}").stream()
    return per_user, sum(int((s.to_dict() or {}).get("count", 0)) for s in shards)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--events", type=int, default=25, help="events per user")
    parser.add_argument("--writers", type=int, default=16, help="concurrent writers")
    parser.add_argument("--settle-s", type=float, default=600, help="give up waiting after this")
    args = parser.parse_args()

    db = firestore.Client(project=PROJECT_ID, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    _clear()
    uids = [f"bench-{uuid.uuid4().hex[:10]}" for _ in range(args.users)]
    now = datetime.now(UTC)
    for uid in uids:
        db.document(paths.user(uid)).set(
            {
                "createdAt": now,
                "updatedAt": now,
                "isActive": True,
                "role": "user",
                "consent": {"analytics": True, "personalization": True},
            }
        )
    day = now.date().isoformat()
    events = [
        (uid, f"evt-{uid}-{i:05d}", *EVENT_TYPES[i % len(EVENT_TYPES)])
        for uid in uids
        for i in range(args.events)
    ]

    def write(event: tuple[str, str, str, dict[str, str]]) -> None:
        uid, event_id, kind, data = event
        db.document(paths.analytics_event(event_id)).create(
            {
                "uid": uid,
                "type": kind,
                "data": data,
                "sessionId": f"s-{uid}",
                "clientTime": now,
                "createTime": firestore.SERVER_TIMESTAMP,
            }
        )

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(args.writers) as pool:
        list(pool.map(write, events))
    written_s = time.monotonic() - started
    expected = len(events)
    last, stable_since, per_user, global_total = (-1, -1), time.monotonic(), 0, 0
    while time.monotonic() - started < args.settle_s:
        per_user, global_total = _counted(db, uids, day)
        if (per_user, global_total) != last:
            last, stable_since = (per_user, global_total), time.monotonic()
        if per_user >= expected and global_total >= expected:
            break
        if time.monotonic() - stable_since > 30:  # nothing moved for 30 s: done (with losses)
            break
        time.sleep(0.25)
    elapsed = time.monotonic() - started
    time.sleep(3)  # late duplicates would show up here
    per_user, global_total = _counted(db, uids, day)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": 'emulators/exec.sh ".venv/bin/python bench/bench_analytics.py '
        f'--users {args.users} --events {args.events}"',
        "events_written": expected,
        "write_seconds": round(written_s, 2),
        "seconds_until_all_counted": round(elapsed, 2),
        "events_per_second": round(expected / elapsed, 1),
        "counted_per_user": per_user,
        "counted_global": global_total,
        "lost": max(0, expected - min(per_user, global_total)),
        "double_counted": max(0, max(per_user, global_total) - expected),
        "machine": {
            "cpus": os.cpu_count(),
            "load_avg_1m": os.getloadavg()[0],
            "platform": platform.platform(),
        },
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        if key != "machine":
            print(f"{key:>26}: {value}")


if __name__ == "__main__":
    main()
