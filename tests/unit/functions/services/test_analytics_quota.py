"""Analytics quotas (pure): a batch spends from the minute and the day bucket at once, or from
neither, and a refusal says which quota and how long to wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auraos_functions.config import settings
from auraos_functions.domain import Bucket, RateLimit, duration, take_quotas
from auraos_functions.repositories.rate_limits import quota_fields
from shared.errors import InvalidInput, RateLimited

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MINUTE = RateLimit(capacity=10, window_s=60)  # one event back every 6 s
DAY = RateLimit(capacity=30, window_s=86_400)  # one back every 48 min
QUOTAS = {"analytics:minute": MINUTE, "analytics:day": DAY}
WHAT = "analytics events"


def _spend(buckets: dict[str, Bucket | None], cost: int, now: datetime = T0) -> dict[str, Bucket]:
    return take_quotas(buckets=buckets, limits=QUOTAS, cost=cost, now=now, what=WHAT)


def test_a_batch_within_both_quotas_spends_its_size_from_each() -> None:
    spent = _spend({}, 4)

    assert {name: b.tokens for name, b in spent.items()} == {
        "analytics:minute": 6.0,
        "analytics:day": 26.0,
    }


def test_a_batch_over_the_minute_quota_is_refused_whole_with_the_wait() -> None:
    buckets: dict[str, Bucket | None] = {
        "analytics:minute": Bucket(tokens=3.0, updated_at=T0),
        "analytics:day": None,
    }

    with pytest.raises(RateLimited) as refused:
        _spend(buckets, 5)

    # 2 tokens short at one per 6 s.
    assert refused.value.retry_after_s == pytest.approx(12.0)
    assert refused.value.details == {"retryAfterSeconds": 12.0}
    assert refused.value.message == (
        "Quota reached: at most 10 analytics events a minute; try again in 12 s."
    )


def test_the_refused_batch_fits_once_the_wait_is_over() -> None:
    buckets: dict[str, Bucket | None] = {"analytics:minute": Bucket(tokens=3.0, updated_at=T0)}

    spent = _spend(buckets, 5, now=T0 + timedelta(seconds=12))

    assert spent["analytics:minute"].tokens == pytest.approx(0.0)


def test_the_day_quota_refuses_on_its_own_when_the_minute_has_room() -> None:
    buckets: dict[str, Bucket | None] = {
        "analytics:minute": None,
        "analytics:day": Bucket(tokens=1.0, updated_at=T0),
    }

    with pytest.raises(RateLimited) as refused:
        _spend(buckets, 3)

    assert refused.value.retry_after_s == pytest.approx(2 * 86_400 / 30)  # 96 min
    assert refused.value.message == (
        "Quota reached: at most 30 analytics events a day; try again in 96 min."
    )


def test_when_both_are_short_the_longer_wait_is_the_one_reported() -> None:
    buckets: dict[str, Bucket | None] = {
        "analytics:minute": Bucket(tokens=0.0, updated_at=T0),
        "analytics:day": Bucket(tokens=0.0, updated_at=T0),
    }

    with pytest.raises(RateLimited) as refused:
        _spend(buckets, 1)

    assert "a day" in refused.value.message
    assert refused.value.retry_after_s == pytest.approx(86_400 / 30)


def test_a_batch_larger_than_a_quota_could_ever_hold_is_invalid_not_a_wait() -> None:
    with pytest.raises(InvalidInput, match="send at most 10 per call"):
        _spend({}, 11)


def test_tokens_refill_but_never_beyond_capacity() -> None:
    drained: dict[str, Bucket | None] = {name: Bucket(0.0, T0) for name in QUOTAS}

    spent = _spend(drained, 1, now=T0 + timedelta(days=3))

    assert spent["analytics:minute"].tokens == pytest.approx(9.0)
    assert spent["analytics:day"].tokens == pytest.approx(29.0)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0.2, "1 s"), (12.4, "12 s"), (119, "119 s"), (121, "3 min"), (5_760, "96 min"),
     (7_200, "2 h"), (12_001, "3 h 21 min")],
)  # fmt: skip
def test_waits_are_written_for_people_and_never_rounded_down_past_a_minute(
    seconds: float, words: str
) -> None:
    assert duration(seconds) == words


def test_the_stored_document_expires_only_after_its_slowest_bucket_refills() -> None:
    chat_expiry = T0 + timedelta(seconds=60)
    fields = quota_fields(data={"expireAt": chat_expiry}, limits=QUOTAS, cost=1, now=T0, what=WHAT)

    assert fields["expireAt"] == T0 + timedelta(days=1)
    assert set(fields) == {"analytics:minute", "analytics:day", "expireAt"}


def test_the_quotas_are_configured_like_the_other_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GCLOUD_PROJECT", "demo-unit")
    monkeypatch.setenv("AURAOS_ANALYTICS_EVENTS_PER_MINUTE", "7")
    monkeypatch.setenv("AURAOS_ANALYTICS_EVENTS_PER_DAY", "70")
    settings.cache_clear()
    try:
        quotas = settings().analytics_quotas()
    finally:
        settings.cache_clear()

    assert quotas == {
        "analytics:minute": RateLimit(capacity=7, window_s=60),
        "analytics:day": RateLimit(capacity=70, window_s=86_400),
    }
