"""Validation edge cases of the shared documents: sizes, types, unknown fields, unicode."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.models.analytics import AnalyticsEvent, EventType
from shared.models.chat import (
    ALLOWED_TRANSITIONS,
    MAIN_BRANCH,
    OWNER_RETRYABLE,
    OWNER_STOPPABLE,
    PROMPT_MAX_CHARS,
    ChatTurn,
    Conversation,
    TurnCreate,
    TurnState,
    TurnStatus,
    can_transition,
    title_from_prompt,
    utf16_length,
)
from shared.models.flags import FeatureFlags
from shared.models.users import Consent, ProfileUpdate, Role, UserProfile

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("prompt", ["a", "x" * PROMPT_MAX_CHARS, "héllo 👋 世界", "line\nbreak"])
def test_turn_create_accepts_prompts_within_limits(prompt: str) -> None:
    assert TurnCreate(prompt=prompt).prompt == prompt


@pytest.mark.parametrize("prompt", ["", "x" * (PROMPT_MAX_CHARS + 1)])
def test_turn_create_refuses_empty_or_oversize_prompts(prompt: str) -> None:
    with pytest.raises(ValidationError, match="prompt"):
        TurnCreate(prompt=prompt)


def test_turn_create_counts_utf16_units_like_the_rules() -> None:
    """An emoji is 4 bytes in UTF-8, 1 code point and 2 UTF-16 units (the rules' size())."""
    assert TurnCreate(prompt="😀" * (PROMPT_MAX_CHARS // 2)).prompt
    assert TurnCreate(prompt="é" * PROMPT_MAX_CHARS).prompt  # one unit each
    assert utf16_length("a😀é") == 4


@pytest.mark.parametrize(
    ("prompt", "excess"),
    [
        ("😀" * (PROMPT_MAX_CHARS // 2 + 1), "2 characters "),
        ("x" * (PROMPT_MAX_CHARS + 1), "1 character "),
    ],
)
def test_an_oversize_prompt_says_how_much_to_cut(prompt: str, excess: str) -> None:
    with pytest.raises(ValidationError) as refused:
        TurnCreate(prompt=prompt)
    message = str(refused.value)
    assert f"The message is {excess}too long; the limit is 4,000 (an emoji counts as 2)" in message


@pytest.mark.parametrize("value", [123, None, ["a"], {"text": "a"}])
def test_turn_create_refuses_non_text(value: object) -> None:
    with pytest.raises(ValidationError):
        TurnCreate.model_validate({"prompt": value})


def test_client_shapes_refuse_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="response"):
        TurnCreate.model_validate({"prompt": "hi", "response": "forged"})
    with pytest.raises(ValidationError, match="role"):
        ProfileUpdate.model_validate({"displayName": "Ann", "role": "admin"})


def test_stored_documents_tolerate_newer_server_fields() -> None:
    turn = ChatTurn.from_document({"prompt": "hi", "createTime": NOW, "futureField": 1})
    assert turn.prompt == "hi"
    assert turn.status is None


def test_models_are_frozen() -> None:
    status = TurnStatus(state=TurnState.QUEUED, attempt=1)
    with pytest.raises(ValidationError):
        status.attempt = 2  # type: ignore[misc]


def test_documents_round_trip_in_camel_case() -> None:
    profile = UserProfile(
        email="ann@example.com",
        display_name="Ann",
        created_at=NOW,
        updated_at=NOW,
        consent=Consent(analytics=True),
    )
    stored = profile.to_document()
    assert stored["displayName"] == "Ann"
    assert stored["createdAt"] == NOW
    assert stored["role"] == Role.USER
    assert stored["consent"] == {"analytics": True, "personalization": False}
    assert UserProfile.from_document(stored) == profile


@pytest.mark.parametrize("email", ["no-at-sign", "a@b", "a b@example.com", "x" * 250 + "@ex.com"])
def test_profile_refuses_malformed_email(email: str) -> None:
    with pytest.raises(ValidationError, match="email"):
        UserProfile(email=email, created_at=NOW, updated_at=NOW)


@pytest.mark.parametrize(
    ("update", "ok"),
    [
        ({"displayName": "Zoë 🎉"}, True),
        ({"displayName": "   "}, False),
        ({"displayName": "n" * 81}, False),
        ({"avatarUrl": "https://cdn.example.com/a.png"}, True),
        ({"avatarUrl": "http://insecure.example.com/a.png"}, False),
        ({"avatarUrl": "javascript:alert(1)"}, False),
    ],
)
def test_profile_update_validation(update: dict[str, str], ok: bool) -> None:
    if ok:
        assert ProfileUpdate.model_validate(update)
    else:
        with pytest.raises(ValidationError):
            ProfileUpdate.model_validate(update)


def test_state_machine_allows_only_documented_transitions() -> None:
    assert can_transition(None, TurnState.QUEUED)
    assert not can_transition(None, TurnState.COMPLETED)
    assert can_transition(TurnState.QUEUED, TurnState.PROCESSING)
    assert can_transition(TurnState.STREAMING, TurnState.COMPLETED)
    assert can_transition(TurnState.COMPLETED, TurnState.RETRY)
    assert not can_transition(TurnState.COMPLETED, TurnState.STREAMING)
    assert not can_transition(TurnState.QUEUED, TurnState.RETRY)
    assert {s for s in TurnState if s.is_terminal} == {
        TurnState.COMPLETED,
        TurnState.ERROR,
        TurnState.BLOCKED,
        TurnState.STOPPED,
    }


def test_stop_applies_to_running_turns_and_ends_as_stopped() -> None:
    for running in (TurnState.QUEUED, TurnState.PROCESSING, TurnState.STREAMING):
        assert can_transition(running, TurnState.STOP)
    assert not can_transition(TurnState.COMPLETED, TurnState.STOP)
    assert ALLOWED_TRANSITIONS[TurnState.STOP] == {TurnState.STOPPED}
    assert can_transition(TurnState.STOPPED, TurnState.RETRY)


def test_the_rules_let_the_owner_retry_and_stop_exactly_where_the_model_does() -> None:
    rules = (Path(__file__).resolve().parents[3] / "firestore.rules").read_text(encoding="utf-8")
    for target, allowed in (("RETRY", OWNER_RETRYABLE), ("STOP", OWNER_STOPPABLE)):
        found = re.search(rf"toState == '{target}' && fromState in \[([^\]]*)\]", rules)
        assert found, target
        assert set(re.findall(r"'(\w+)'", found.group(1))) == {s.value for s in allowed}
        assert all(can_transition(s, TurnState(target)) for s in allowed)


def test_an_edit_names_the_turn_it_replaces_and_starts_its_own_branch() -> None:
    edit = TurnCreate.model_validate({"prompt": "p", "parentTurnId": "t1", "branch": "e1"})
    assert edit.starts_branch("e1")
    assert not edit.starts_branch("e2")
    later = TurnCreate.model_validate({"prompt": "p", "branch": "e1"})
    assert not later.starts_branch("e1")
    assert TurnCreate.model_validate({"prompt": "p"}).branch == MAIN_BRANCH
    with pytest.raises(ValidationError):
        TurnCreate.model_validate({"prompt": "p", "branch": "a/b"})


def test_title_from_prompt_is_one_line_of_whole_words() -> None:
    assert title_from_prompt("  Plan my\n trip  ") == "Plan my trip"
    long_title = title_from_prompt("word " * 40)
    assert len(long_title) <= 61
    assert long_title.endswith("…")
    assert "  " not in long_title


@pytest.mark.parametrize(
    ("event_type", "data", "ok"),
    [
        (EventType.APP_OPEN, {}, True),
        (EventType.APP_OPEN, {"extra": 1}, False),
        (EventType.PAGE_VIEW, {"path": "/chat"}, True),
        (EventType.PAGE_VIEW, {"path": "/" * 257}, False),
        (EventType.SEARCH, {"query": "книги 📚"}, True),
        (EventType.RECOMMENDATION_CLICK, {"itemId": "b-1"}, True),
        (EventType.RECOMMENDATION_CLICK, {"item": "b-1"}, False),
        (EventType.ERROR, {"code": "E1", "message": "m" * 513}, False),
    ],
)
def test_analytics_event_data_follows_its_type(
    event_type: EventType, data: dict[str, object], ok: bool
) -> None:
    fields = {"uid": "u1", "type": event_type, "data": data, "sessionId": "s", "clientTime": NOW}
    if ok:
        assert AnalyticsEvent.model_validate(fields).type is event_type
    else:
        with pytest.raises(ValidationError):
            AnalyticsEvent.model_validate(fields)


def test_unknown_event_type_is_refused() -> None:
    with pytest.raises(ValidationError, match="type"):
        AnalyticsEvent.model_validate(
            {"uid": "u1", "type": "purchase", "data": {}, "sessionId": "s", "clientTime": NOW}
        )


def test_defaults_for_missing_documents() -> None:
    assert FeatureFlags.model_validate({}).chat_enabled is True
    conversation = Conversation.from_document({})
    assert conversation.usage.turns == 0
    assert conversation.settings.model is None
