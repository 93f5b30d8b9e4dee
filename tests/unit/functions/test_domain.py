"""The functions' pure rules (auraos_functions.domain): turn states, prompts, ids, dead letters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from auraos_functions import domain
from auraos_functions.domain import DeadLetterOutcome
from shared.models.chat import TurnError, TurnState, TurnStatus

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
ERROR = TurnError(code="x", message="Something readable.")


def test_a_new_turn_is_queued_as_attempt_one() -> None:
    queued = domain.requeued(None, T0)

    assert (queued.state, queued.attempt, queued.queued_at) == (TurnState.QUEUED, 1, T0)


def test_a_retry_queues_the_next_attempt_and_a_finished_turn_cannot_be_queued() -> None:
    retry = TurnStatus(state=TurnState.RETRY, attempt=2)

    assert domain.requeued(retry, T0).attempt == 3
    with pytest.raises(ValueError, match="cannot be queued"):
        domain.requeued(TurnStatus(state=TurnState.COMPLETED, attempt=1), T0)


def test_a_requeued_lease_keeps_its_start_time_only_when_asked() -> None:
    running = TurnStatus(state=TurnState.STREAMING, attempt=1, start_time=T0)

    assert domain.requeued(running, T0, keep_start=True).start_time == T0
    assert domain.requeued(running, T0).start_time is None


def test_ending_a_turn_releases_its_lease_and_keeps_the_rest() -> None:
    running = TurnStatus(
        state=TurnState.PROCESSING, attempt=2, event_id="e1", lease_expires_at=T0, start_time=T0
    )

    failed = domain.failed(running, ERROR, T0 + timedelta(seconds=5))

    assert failed.state is TurnState.ERROR
    assert failed.error == ERROR
    assert failed.lease_expires_at is None
    assert (failed.attempt, failed.event_id, failed.start_time) == (2, "e1", T0)
    assert failed.complete_time == T0 + timedelta(seconds=5)


def test_only_a_stop_can_become_stopped() -> None:
    stopped = domain.stopped(TurnStatus(state=TurnState.STOP, attempt=1), T0)

    assert (stopped.state, stopped.stopped_at) == (TurnState.STOPPED, T0)
    with pytest.raises(ValueError, match="cannot be stopped"):
        domain.stopped(TurnStatus(state=TurnState.QUEUED, attempt=1), T0)


def test_an_expired_lease_counts_only_for_a_turn_a_worker_holds() -> None:
    before = T0 - timedelta(seconds=1)

    assert domain.lease_expired(TurnStatus(state=TurnState.STREAMING, lease_expires_at=before), T0)
    assert not domain.lease_expired(TurnStatus(state=TurnState.STREAMING, lease_expires_at=T0), T0)
    assert not domain.lease_expired(
        TurnStatus(state=TurnState.COMPLETED, lease_expires_at=before), T0
    )


@pytest.mark.parametrize(
    ("before", "after", "request_"),
    [
        (TurnState.COMPLETED, TurnState.RETRY, TurnState.RETRY),
        (TurnState.STREAMING, TurnState.STOP, TurnState.STOP),
        (TurnState.RETRY, TurnState.RETRY, None),  # the trigger's own later write
        (TurnState.QUEUED, TurnState.PROCESSING, None),
        (None, None, None),
    ],
)
def test_only_a_new_retry_or_stop_is_an_owners_request(
    before: TurnState | None, after: TurnState | None, request_: TurnState | None
) -> None:
    assert domain.owner_request(before=before, after=after) is request_


def test_what_a_retried_turn_had_ended_as() -> None:
    ended = domain.ended_state_before_retry

    assert ended(stopped_at=T0, error=None, usage_provider=None) is TurnState.STOPPED
    assert ended(stopped_at=None, error={"code": "x"}, usage_provider=None) is TurnState.ERROR
    assert ended(stopped_at=None, error=None, usage_provider="moderation") is TurnState.BLOCKED
    assert ended(stopped_at=None, error=None, usage_provider="local") is TurnState.COMPLETED


def test_unknown_stored_states_read_as_none() -> None:
    assert domain.known_state("QUEUED") is TurnState.QUEUED
    assert domain.known_state("LOST") is None
    assert domain.known_state({"state": "QUEUED"}) is None


def _dead_letter(
    state: TurnState | None, *, attempt: object = 1, first: datetime | None = None
) -> DeadLetterOutcome:
    return domain.dead_letter_outcome(
        state=state,
        attempt=attempt,
        message_attempt=1,
        first_dead_letter=first,
        now=T0,
        give_up_after=timedelta(minutes=10),
    )


def test_a_dead_letter_defers_an_unclaimed_turn_until_the_bound() -> None:
    assert _dead_letter(TurnState.QUEUED) is DeadLetterOutcome.DEFERRED
    assert _dead_letter(TurnState.QUEUED, first=T0 - timedelta(minutes=9)) is (
        DeadLetterOutcome.DEFERRED
    )
    expired = _dead_letter(TurnState.QUEUED, first=T0 - timedelta(minutes=10))
    assert expired is DeadLetterOutcome.EXPIRED
    assert expired.fails_turn


def test_a_dead_letter_fails_a_claimed_turn_and_leaves_the_others() -> None:
    assert _dead_letter(TurnState.PROCESSING).fails_turn
    assert _dead_letter(TurnState.QUEUED, attempt=2) is DeadLetterOutcome.STALE
    assert _dead_letter(TurnState.COMPLETED) is DeadLetterOutcome.ENDED
    assert _dead_letter(None) is DeadLetterOutcome.ENDED
    assert not _dead_letter(TurnState.COMPLETED).fails_turn


def test_the_deferred_turn_is_due_for_the_next_sweep() -> None:
    stale_after = timedelta(seconds=120)

    assert domain.due_for_sweep(now=T0, stale_after=stale_after) < T0 - stale_after


def test_successive_minute_sweeps_look_at_every_new_turn_twice_after_its_grace() -> None:
    windows = [domain.unqueued_window(now=T0 + timedelta(minutes=k)) for k in range(4)]

    for start, end in windows:
        assert end == start + domain.UNQUEUED_LOOKBACK
    created = windows[0][1] - timedelta(milliseconds=1)  # just inside the first sweep's window
    assert created <= T0 - domain.UNQUEUED_GRACE
    seen = sum(start <= created < end for start, end in windows)
    assert seen == 2
    assert not (windows[0][0] <= T0 - domain.UNQUEUED_GRACE + timedelta(seconds=1) < windows[0][1])


def test_prompts_are_refused_with_what_to_change() -> None:
    assert domain.invalid_prompt_error("hello") is None
    empty = domain.invalid_prompt_error("")
    assert empty is not None
    assert empty.code == "invalid-prompt"
    assert "1 to 4,000 characters" in empty.message
    long = domain.invalid_prompt_error("a" * 4001)
    assert long is not None
    assert long.message.startswith("The message is 1 character too long")
    assert domain.invalid_prompt_error(None) is not None


def test_generated_ids_are_valid_client_ids_and_reserved_ones_are_not() -> None:
    assert all(domain.is_client_id(domain.new_client_id()) for _ in range(50))
    assert not domain.is_client_id("__turn__")
    assert not domain.is_client_id("a/b")
    assert not domain.is_client_id("x" * 65)


def test_a_user_key_and_pseudonym_are_stable_and_do_not_hold_the_uid() -> None:
    assert domain.uid_key("u1") == domain.uid_key("u1")
    assert len(domain.uid_key("u1")) == 32
    assert "u1" not in domain.pseudonym("u1")
    assert domain.pseudonym("u1").startswith("deleted:")


def test_a_bucket_document_expires_at_the_latest_refill() -> None:
    later = T0 + timedelta(days=1)

    assert domain.bucket_expiry(previous=None, now=T0, window_s=60) == T0 + timedelta(minutes=1)
    assert domain.bucket_expiry(previous=later, now=T0, window_s=60) == later
