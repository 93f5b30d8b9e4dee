"""Token-bucket arithmetic: capacity, refill, retry-after."""

from datetime import UTC, datetime, timedelta

import pytest

from auraos_functions.domain import Bucket, RateLimit, take
from shared.errors import RateLimited

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LIMIT = RateLimit(capacity=3, window_s=60)  # 3 calls, one token back every 20 s


def test_a_new_user_gets_the_full_capacity_then_is_refused() -> None:
    bucket = None
    for _ in range(3):
        bucket = take(bucket=bucket, limit=LIMIT, now=T0, action="chat")
    with pytest.raises(RateLimited) as refused:
        take(bucket=bucket, limit=LIMIT, now=T0, action="chat")
    assert refused.value.retry_after_s == pytest.approx(20.0)
    assert refused.value.details == {"retryAfterSeconds": 20.0}
    assert "try again in 20 s" in refused.value.message


def test_tokens_refill_with_time_but_never_beyond_capacity() -> None:
    empty = Bucket(tokens=0.0, updated_at=T0)
    after_one_refill = take(bucket=empty, limit=LIMIT, now=T0 + timedelta(seconds=20), action="x")
    assert after_one_refill.tokens == pytest.approx(0.0)
    after_a_day = take(bucket=empty, limit=LIMIT, now=T0 + timedelta(days=1), action="x")
    assert after_a_day.tokens == pytest.approx(2.0)


def test_a_clock_going_backwards_does_not_mint_tokens() -> None:
    bucket = Bucket(tokens=0.5, updated_at=T0)
    with pytest.raises(RateLimited):
        take(bucket=bucket, limit=LIMIT, now=T0 - timedelta(hours=1), action="x")
