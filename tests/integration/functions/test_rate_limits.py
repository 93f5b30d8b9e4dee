"""Per-user token buckets on callables: exact under concurrency, RESOURCE_EXHAUSTED after."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable

from google.cloud import firestore

from shared import paths
from tools.emulator_auth import SignedInUser

from ..helpers import call_function

# exportMyData allows 5 calls an hour (the default per-callable overrides).
EXPORT_LIMIT = 5


def test_the_call_after_the_limit_is_refused_with_retry_after(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()

    statuses = [
        call_function("exportMyData", {}, id_token=user.id_token).status_code
        for _ in range(EXPORT_LIMIT)
    ]
    refused = call_function("exportMyData", {}, id_token=user.id_token)

    assert statuses == [200] * EXPORT_LIMIT
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert 0 < error["details"]["retryAfterSeconds"] <= 3600 / EXPORT_LIMIT
    audits = [d.to_dict() or {} for d in db.collection(paths.AUDIT_LOGS).stream()]
    assert [a["action"] for a in audits] == ["rate_limit_tripped"]


def test_twenty_concurrent_calls_are_counted_exactly(
    new_user: Callable[..., SignedInUser],
) -> None:
    user = new_user()

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        statuses = list(
            pool.map(
                # Generous: the emulator starts a Python worker per concurrent request.
                lambda _: (
                    call_function(
                        "exportMyData", {}, id_token=user.id_token, timeout_s=180
                    ).status_code
                ),
                range(20),
            )
        )

    assert sorted(statuses) == [200] * EXPORT_LIMIT + [429] * (20 - EXPORT_LIMIT)
