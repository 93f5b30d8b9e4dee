"""ai_service's pure rules: consent, turn states, history, recommendations and alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ai_service import domain
from shared.errors import Conflict
from shared.models.chat import ChatTurn, Conversation, TurnState, TurnStatus
from shared.models.recommendations import RecommendationSource
from shared.models.security import AlertSeverity
from shared.models.users import Consent

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _turn(state: TurnState | None, *, attempt: int = 1, response: str | None = None) -> ChatTurn:
    status = TurnStatus(state=state, attempt=attempt) if state is not None else None
    return ChatTurn(prompt="hi", create_time=T0, status=status, response=response)


# --- consent ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("consent", "allowed"),
    [
        (Consent(), False),
        (Consent(analytics=True), False),
        (Consent(personalization=True), True),
    ],
)
def test_only_the_personalisation_consent_allows_personalising(
    consent: Consent, allowed: bool
) -> None:
    assert domain.may_personalise(consent) is allowed


# --- claims -----------------------------------------------------------------------------------


def test_a_queued_turn_is_claimable_for_its_own_attempt_only() -> None:
    turn = _turn(TurnState.QUEUED, attempt=2)

    assert domain.claimable(turn, attempt=2)
    assert not domain.claimable(turn, attempt=1)
    assert not domain.claimable(turn, attempt=3)


@pytest.mark.parametrize("state", [s for s in TurnState if s is not TurnState.QUEUED])
def test_a_turn_in_any_other_state_is_not_claimable(state: TurnState) -> None:
    assert not domain.claimable(_turn(state), attempt=1)


def test_a_missing_turn_or_one_without_status_is_not_claimable() -> None:
    assert not domain.claimable(None, attempt=1)
    assert not domain.claimable(_turn(None), attempt=1)


def test_a_claim_is_processing_by_its_delivery_and_leased() -> None:
    status = domain.claimed_status(
        attempt=2, event_id="key#2", now=T0, lease=timedelta(seconds=120)
    )

    assert status == TurnStatus(
        state=TurnState.PROCESSING,
        attempt=2,
        event_id="key#2",
        lease_expires_at=T0 + timedelta(seconds=120),
        start_time=T0,
    )


# --- transitions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (TurnState.PROCESSING, TurnState.STREAMING),
        (TurnState.STREAMING, TurnState.STREAMING),  # the lease extension of each stream write
        (TurnState.STREAMING, TurnState.COMPLETED),
        (TurnState.PROCESSING, TurnState.BLOCKED),
        (TurnState.PROCESSING, TurnState.QUEUED),
        (TurnState.STOP, TurnState.STOPPED),
    ],
)
def test_the_worker_moves_its_turn_along_the_state_machine(
    current: TurnState, target: TurnState
) -> None:
    assert domain.may_move(current, target)
    domain.require_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (TurnState.COMPLETED, TurnState.ERROR),
        (TurnState.COMPLETED, TurnState.QUEUED),
        (TurnState.STOPPED, TurnState.ERROR),
        (TurnState.PROCESSING, TurnState.PROCESSING),
        (TurnState.QUEUED, TurnState.STREAMING),
    ],
)
def test_an_ended_turn_stays_ended_and_no_state_is_skipped(
    current: TurnState, target: TurnState
) -> None:
    assert not domain.may_move(current, target)
    with pytest.raises(Conflict):
        domain.require_move(current, target)


def test_only_the_owners_stop_of_this_claim_counts() -> None:
    stop = TurnStatus(state=TurnState.STOP, attempt=1, event_id="key#1")

    assert domain.stopped_by_owner(stop, event_id="key#1", attempt=1)
    assert not domain.stopped_by_owner(stop, event_id="key#2", attempt=1)
    assert not domain.stopped_by_owner(stop, event_id="key#1", attempt=2)
    assert not domain.stopped_by_owner(
        TurnStatus(state=TurnState.QUEUED, attempt=2), event_id="key#1", attempt=1
    )
    assert not domain.stopped_by_owner(None, event_id="key#1", attempt=1)


# --- history ----------------------------------------------------------------------------------


def test_the_history_shows_completed_and_stopped_turns_with_a_reply() -> None:
    assert domain.answered(_turn(TurnState.COMPLETED, response="hello"))
    assert domain.answered(_turn(TurnState.STOPPED, response="hel"))
    assert not domain.answered(_turn(TurnState.STOPPED, response=""))
    assert not domain.answered(_turn(TurnState.ERROR, response="partial"))
    assert not domain.answered(_turn(TurnState.STREAMING, response="partial"))
    assert not domain.answered(_turn(None))


# --- recommendations --------------------------------------------------------------------------


def test_a_click_likes_a_catalogue_item_once_and_keeps_the_newest() -> None:
    assert domain.with_click((1, 2), "3") == (1, 2, 3)
    assert domain.with_click((1, 2), "2") == (1, 2)
    assert domain.with_click((1, 2), "abc") == (1, 2)
    kept = domain.with_click(tuple(range(domain.LIKED_ITEMS_KEPT)), "9999")
    assert len(kept) == domain.LIKED_ITEMS_KEPT
    assert kept[-1] == 9999
    assert kept[0] == 1


def test_a_search_moves_its_folded_query_to_the_newest_interest() -> None:
    assert domain.with_search(("a", "b"), "  b  ") == ("a", "b")
    assert domain.with_search(("b", "a"), "b") == ("a", "b")
    assert domain.with_search(("a",), "   ") == ("a",)
    assert domain.with_search(("a", "b", "c", "d", "e"), "new  york") == (
        "b",
        "c",
        "d",
        "e",
        "new york",
    )
    assert len(domain.with_search((), "x" * 300)[0]) == domain.INTEREST_MAX_CHARS


def test_the_recommenders_strategy_is_stored_under_the_shared_source_name() -> None:
    assert domain.recommendation_source("similar_items") is RecommendationSource.SIMILAR
    assert domain.recommendation_source("personal") is RecommendationSource.PERSONAL
    assert domain.recommendation_source("popular") is RecommendationSource.POPULAR


# --- anomalies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day_count", "scored"),
    [
        (0, False),
        (9, False),
        (10, True),
        (20, True),
        (40, True),
        (80, True),
        (100, True),
        (150, False),
        (200, True),
        (-100, False),
    ],
)
def test_a_day_is_scored_at_its_milestones(day_count: int, scored: bool) -> None:
    assert domain.should_score(day_count) is scored


def test_one_alert_id_per_user_and_window() -> None:
    first = domain.alert_id("u1", "2026-11-26")

    assert first == domain.alert_id("u1", "2026-11-26")
    assert first != domain.alert_id("u1", "2026-11-27")
    assert first != domain.alert_id("u2", "2026-11-26")
    assert len(first) == 24


def test_alert_severity_and_reason() -> None:
    assert domain.alert_severity(0.9999) is AlertSeverity.HIGH
    assert domain.alert_severity(0.95) is AlertSeverity.MEDIUM
    reason = domain.anomaly_reason({"a": 0.1, "b": -3.0, "c": 2.0, "d": 1.0})
    assert reason == "Unusual activity: b=-3.00, c=2.00, d=1.00"


def test_the_first_answered_turn_titles_a_conversation_and_a_title_is_kept() -> None:
    untitled = Conversation()
    titled = Conversation(title="Weekend plans")

    assert domain.title_to_set(untitled, prompt="Plan a weekend   in\nLisbon") == (
        "Plan a weekend in Lisbon"
    )
    assert domain.title_to_set(titled, prompt="Something else") is None
