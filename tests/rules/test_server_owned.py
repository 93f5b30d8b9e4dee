"""Server-owned and internal collections, plus the deny-by-default catch-all."""

from __future__ import annotations

import pytest

from .client import Emulator, assert_denied
from .factories import ALICE, T0, Actor, Expect, actor, check

pytestmark = pytest.mark.emulators

RECOMMENDATION = f"recommendations/{ALICE}"
COUNTER = "counters/turns"
SHARD = "counters/turns/shards/7"
ALERT = "security_alerts/a1"
AUDIT = "audit_logs/l1"
CONFIG = "config/flags"
RATE_LIMIT = f"rate_limits/{ALICE}"
DELETION_JOB = f"deletion_jobs/{ALICE}"
UNKNOWN = "scratch/x"

LABELS = {
    RECOMMENDATION: "recommendations",
    COUNTER: "counters",
    SHARD: "counter-shards",
    ALERT: "security_alerts",
    AUDIT: "audit_logs",
    CONFIG: "config",
    RATE_LIMIT: "rate_limits",
    DELETION_JOB: "deletion_jobs",
    UNKNOWN: "unknown-collection",
}
ALL_PATHS = list(LABELS)


@pytest.fixture(autouse=True)
def _documents(db: Emulator) -> None:
    for path in ALL_PATHS:
        db.seed(path, {"value": 1, "updatedAt": T0})


READS: list[tuple[str, Actor, Expect]] = [
    (RECOMMENDATION, "owner", "allow"),
    (RECOMMENDATION, "other", "deny"),
    (RECOMMENDATION, "anonymous", "deny"),
    (RECOMMENDATION, "admin", "deny"),
    (COUNTER, "admin", "allow"),
    (COUNTER, "owner", "deny"),
    (SHARD, "admin", "allow"),
    (SHARD, "owner", "deny"),
    (ALERT, "admin", "allow"),
    (ALERT, "owner", "deny"),
    (AUDIT, "admin", "allow"),
    (AUDIT, "owner", "deny"),
    (CONFIG, "admin", "allow"),
    (CONFIG, "owner", "deny"),
    (CONFIG, "anonymous", "deny"),
    (RATE_LIMIT, "owner", "deny"),
    (RATE_LIMIT, "admin", "deny"),
    (DELETION_JOB, "owner", "deny"),
    (DELETION_JOB, "admin", "deny"),
    (UNKNOWN, "owner", "deny"),
    (UNKNOWN, "admin", "deny"),
]


@pytest.mark.parametrize(
    ("path", "who", "expected"),
    [
        pytest.param(path, who, expected, id=f"{LABELS[path]}-{who}")
        for path, who, expected in READS
    ],
)
def test_get(db: Emulator, path: str, who: Actor, expected: Expect) -> None:
    """Read access per collection: owner-only, admin-only or nobody."""
    check(actor(db, who).get(path), expected)


@pytest.mark.parametrize(
    ("collection", "who", "expected"),
    [
        ("counters", "admin", "allow"),
        ("counters/turns/shards", "admin", "allow"),
        ("counters/turns/shards", "owner", "deny"),
        ("security_alerts", "admin", "allow"),
        ("security_alerts", "owner", "deny"),
        ("audit_logs", "admin", "allow"),
        ("audit_logs", "owner", "deny"),
        ("recommendations", "owner", "deny"),
        ("rate_limits", "admin", "deny"),
        ("deletion_jobs", "admin", "deny"),
    ],
)
def test_list(db: Emulator, collection: str, who: Actor, expected: Expect) -> None:
    """Collection queries: admins over admin-readable data only; owners cannot scan."""
    check(actor(db, who).query(collection), expected)


@pytest.mark.parametrize("path", ALL_PATHS, ids=list(LABELS.values()))
@pytest.mark.parametrize("who", ["owner", "admin"])
@pytest.mark.parametrize("op", ["create", "update", "delete"])
def test_no_client_writes(db: Emulator, path: str, who: Actor, op: str) -> None:
    """Server-owned collections accept no client writes, not even from admins."""
    client = actor(db, who)
    if op == "create":
        outcome = client.create(path.rsplit("/", 1)[0] + "/new-doc", {"value": 2})
    elif op == "update":
        outcome = client.update(path, {"value": 2})
    else:
        outcome = client.delete(path)
    assert_denied(outcome)
    assert db.read(path) == {"value": 1, "updatedAt": T0}
