"""Per-user analytics quotas on the emulators: trackEvents refuses a batch over the minute or
the day quota whole (RESOURCE_EXHAUSTED, nothing stored), and an event written through the rules
past the quota is dropped by the trigger and recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud import firestore

from auraos_functions.config import settings
from auraos_functions.services import analytics
from shared import paths
from shared.errors import RateLimited
from shared.models.base import utc_now
from shared.models.callable_requests import TrackEventsRequest
from tools.emulator_auth import SignedInUser

from ..helpers import call_function, wait_for
from .test_analytics import consenting_user, write_event

MINUTE = "analytics:minute"
DAY = "analytics:day"
PER_MINUTE = 120  # the defaults the Functions emulator runs with (config.py)


def _batch(prefix: str, size: int) -> list[dict[str, Any]]:
    return [
        {
            "eventId": f"{prefix}-event-{index:04d}",
            "type": "feature_used",
            "data": {"feature": "voice"},
            "sessionId": "s1",
            "clientTime": datetime(2026, 11, 26, 9, tzinfo=UTC).isoformat(),
        }
        for index in range(size)
    ]


def _stored(db: firestore.Client, prefix: str, size: int) -> int:
    refs = [db.document(paths.analytics_event(f"{prefix}-event-{i:04d}")) for i in range(size)]
    return sum(snapshot.exists for snapshot in db.get_all(refs))


def _bucket(db: firestore.Client, uid: str, action: str) -> dict[str, Any]:
    entry: dict[str, Any] = (db.document(paths.rate_limit(uid)).get().to_dict() or {})[action]
    return entry


def _drain(db: firestore.Client, uid: str, action: str, *, refill_after_s: float) -> None:
    """Leave `uid`'s bucket empty, as after a flood, with its refill starting `refill_after_s`
    from now: far enough that no refill during the test gives a token back, however slow the
    machine. (A bucket never holds fewer than 0 tokens: the shared model refuses that.)"""
    db.document(paths.rate_limit(uid)).set(
        {action: {"tokens": 0, "updatedAt": utc_now() + timedelta(seconds=refill_after_s)}},
        merge=True,
    )


def _quota_trips(db: firestore.Client) -> list[dict[str, Any]]:
    """The audit log's analytics quota entries (other entries, e.g. consent, left out)."""
    entries = [d.to_dict() or {} for d in db.collection(paths.AUDIT_LOGS).stream()]
    return [
        e
        for e in entries
        if e.get("action") == "rate_limit_tripped"
        and (e.get("details") or {}).get("action") == "analytics"
    ]


@pytest.fixture
def day_quota_of_30(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's functions with a day quota of 30 (the env override a deployment sets)."""
    monkeypatch.setenv("AURAOS_ANALYTICS_EVENTS_PER_DAY", "30")
    settings.cache_clear()
    yield
    settings.cache_clear()


def test_a_batch_under_the_quota_is_stored_and_spends_only_once(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = consenting_user(new_user)

    response = call_function("trackEvents", {"events": _batch("ok", 100)}, id_token=user.id_token)

    assert response.status_code == 200, response.text
    assert response.json()["result"]["accepted"] == 100
    day = utc_now().date().isoformat()
    wait_for(
        lambda: (
            (db.document(paths.daily_stats(user.uid, day)).get().to_dict() or {}).get("events")
            == 100
        ),
        timeout_s=120,
        what="the 100 events to be counted",
    )
    # The trigger did not spend again for the callable's events: 20 left plus the refill.
    assert 20 <= _bucket(db, user.uid, MINUTE)["tokens"] < PER_MINUTE - 100 + 2 * 60
    assert _bucket(db, user.uid, DAY)["tokens"] == pytest.approx(10_000 - 100, abs=1)


def test_a_batch_over_the_minute_quota_is_refused_whole(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = consenting_user(new_user)
    first = call_function("trackEvents", {"events": _batch("a", 100)}, id_token=user.id_token)
    assert first.status_code == 200, first.text

    refused = call_function("trackEvents", {"events": _batch("b", 60)}, id_token=user.id_token)

    assert refused.status_code == 429, refused.text
    error = refused.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["message"].startswith("Quota reached: at most 120 analytics events a minute;")
    assert "try again in" in error["message"]
    assert 0 < error["details"]["retryAfterSeconds"] <= 60 * 60 / PER_MINUTE
    assert _stored(db, "b", 60) == 0
    assert [a["details"]["via"] for a in _quota_trips(db)] == ["trackEvents"]


def test_a_batch_over_the_day_quota_is_refused_whole(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = consenting_user(new_user)
    # A user with 5 events left today (the minute has room).
    db.document(paths.rate_limit(user.uid)).set(
        {DAY: {"tokens": 5.0, "updatedAt": utc_now()}}, merge=True
    )

    refused = call_function("trackEvents", {"events": _batch("d", 10)}, id_token=user.id_token)
    fits = call_function("trackEvents", {"events": _batch("e", 5)}, id_token=user.id_token)

    error = refused.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert "analytics events a day; try again in" in error["message"]
    assert 5 * 86_400 / 10_000 - 5 < error["details"]["retryAfterSeconds"] <= 5 * 86_400 / 10_000
    assert _stored(db, "d", 10) == 0
    assert fits.status_code == 200, fits.text
    assert fits.json()["result"]["accepted"] == 5


@pytest.mark.usefixtures("day_quota_of_30")
def test_the_day_quota_is_configured_like_the_other_limits(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = consenting_user(new_user)
    first = analytics.track_events(
        db=db, uid=user.uid, request=TrackEventsRequest(events=_batch("f", 20))
    ).to_json_dict()

    with pytest.raises(RateLimited) as refused:
        analytics.track_events(
            db=db, uid=user.uid, request=TrackEventsRequest(events=_batch("g", 20))
        )

    assert first["accepted"] == 20
    assert refused.value.message.startswith("Quota reached: at most 30 analytics events a day;")
    # 10 short at 30 a day: 8 hours.
    assert refused.value.retry_after_s == pytest.approx(10 * 86_400 / 30, rel=0.01)
    assert _stored(db, "g", 20) == 0


def test_an_event_written_through_the_rules_spends_the_same_quota(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = consenting_user(new_user)

    write_event(user, "rules-under-0001")

    day = utc_now().date().isoformat()
    wait_for(
        lambda: db.document(paths.daily_stats(user.uid, day)).get().exists,
        what="the event to be counted",
    )
    assert _bucket(db, user.uid, DAY)["tokens"] == pytest.approx(10_000 - 1, abs=0.5)


def test_an_event_written_through_the_rules_past_the_quota_is_dropped_and_recorded(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = consenting_user(new_user)
    _drain(db, user.uid, MINUTE, refill_after_s=600)

    write_event(user, "rules-over-0001")

    marker = paths.processed_event("analytics-rules-over-0001")
    wait_for(lambda: db.document(marker).get().exists, what="the trigger to see the event")
    assert (db.document(marker).get().to_dict() or {})["status"] == "over-quota"
    assert not db.document(paths.analytics_event("rules-over-0001")).get().exists
    day = utc_now().date().isoformat()
    assert not db.document(paths.daily_stats(user.uid, day)).get().exists
    [audit] = wait_for(lambda: _quota_trips(db), what="the audit entry")
    assert audit["details"]["via"] == "rules"
    assert "a minute" in audit["details"]["reason"]
