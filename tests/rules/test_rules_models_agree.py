"""Rules and models agree: whatever a client may write, the shared model reads back.

For every client-writable field of every collection (firestore.rules: the profile's displayName,
avatarUrl, consent and timeZone; a turn's prompt, branch and parentTurnId; the owner's
status.state RETRY / STOP; a conversation's title, settings.model and activeLeaf; analytics
events), the extreme values the rules allow (whitespace, unicode, maximum lengths, URLs with odd
characters) are written through the rules as the owner and read back, rules bypassed, through
the shared model of the document. Values the model refuses must be refused by the rules.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.models.analytics import AnalyticsEvent
from shared.models.chat import (
    ChatTurn,
    Conversation,
    TurnCreate,
    TurnState,
    TurnStatus,
    utf16_length,
)
from shared.models.users import AvatarUrl, DisplayName, UserProfile

from .client import Emulator, Outcome, assert_allowed, assert_denied
from .factories import ALICE, T0, profile

pytestmark = pytest.mark.emulators

USER = f"users/{ALICE}"
CONVERSATION = f"{USER}/conversations/c1"
MESSAGES = f"{CONVERSATION}/messages"

# Unicode White_Space: what the models' `\S` and `strip_whitespace` mean (checked below).
WHITE_SPACE = (
    [chr(c) for c in range(0x09, 0x0E)]
    + [" ", "\x85", "\xa0", "\u1680"]
    + [chr(c) for c in range(0x2000, 0x200B)]
    + ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
)
# Neighbours of White_Space that are not: a model keeps them, so the rules must allow them.
# U+180E was Zs before Unicode 6.3, and the rules' \p{Z} still counts it.
NOT_WHITE_SPACE = ["\u200b", "\u180e", "\ufeff", "\u2060", "\x1f", "\xad", "\u0301"]


def _emoji(count: int) -> str:
    return "🌸" * count  # 2 UTF-16 units each, as the rules' size() counts


def _read(db: Emulator, path: str) -> dict[str, Any]:
    stored = db.read(path)
    assert stored is not None, f"{path} was not stored"
    return stored


# --------------------------------------------------------------------- the model's whitespace


def test_white_space_is_what_the_models_refuse() -> None:
    """The character class spelled out in firestore.rules is exactly what the models refuse."""
    names: TypeAdapter[str] = TypeAdapter(DisplayName)
    urls: TypeAdapter[str] = TypeAdapter(AvatarUrl)
    refused_names: list[str] = []
    refused_urls: list[str] = []
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue  # lone surrogates cannot be stored
        char = chr(code)
        try:
            names.validate_python(char)
        except ValidationError:
            refused_names.append(char)
        try:
            urls.validate_python("https://a" + char)
        except ValidationError:
            refused_urls.append(char)
    assert refused_names == WHITE_SPACE
    assert refused_urls == WHITE_SPACE


# ------------------------------------------------------------------------------ users/{uid}


@pytest.fixture
def alice(db: Emulator) -> Emulator:
    db.seed(USER, profile(ALICE))
    return db


def _update_profile(db: Emulator, changes: Mapping[str, object]) -> Outcome:
    server_time = ["updatedAt"] + (["consent.updatedAt"] if "consent" in changes else [])
    return db.as_user(ALICE).update(USER, changes, server_time_fields=server_time)


PROFILE_ALLOWED: dict[str, dict[str, object]] = {
    "name-80": {"displayName": "a" * 80},
    "name-40-emoji": {"displayName": _emoji(40)},
    "name-padded": {"displayName": "  Zoë  "},
    "name-one-char-in-spaces": {"displayName": "\u3000\t a \n\u2003"},
    "name-80-spaces-around-x": {"displayName": " " * 79 + "x"},
    "name-rtl-combining": {"displayName": "שָׁלוֹם e\u0301 \u200fمرحبا"},
    "name-control-chars": {"displayName": "a\x00b\x1fc"},
    "name-zero-width": {"displayName": "\u200b"},
    "name-bom": {"displayName": "\ufeff"},
    "avatar-2048": {"avatarUrl": "https://" + "a" * 2040},
    "avatar-odd-chars": {
        "avatarUrl": 'https://u:p@x.example:8443/a%20b/(c)[d]{e}|f\\g^h`i?q=<1>&r="2"#frag\'~!$*,;='
    },
    "avatar-unicode": {"avatarUrl": "https://пример.рф/аватар.png?名=🌸"},
    "avatar-bare": {"avatarUrl": "https://x"},
    "avatar-null": {"avatarUrl": None},
    "consent-all-on": {"consent": {"analytics": True, "personalization": True}},
    "consent-all-off": {"consent": {"analytics": False, "personalization": False}},
    "tz-iana-long": {"timeZone": "America/Argentina/ComodRivadavia"},
    "tz-etc-offset": {"timeZone": "Etc/GMT+12"},
    "tz-posix-style": {"timeZone": "EST5EDT"},
    "tz-dashes": {"timeZone": "America/Port-au-Prince"},
    "everything": {
        "displayName": " " + _emoji(39),
        "avatarUrl": "https://a.example/~x",
        "consent": {"analytics": True, "personalization": False},
        "timeZone": "Asia/Kolkata",
    },
}
# firestore.rules cannot tell which IANA-shaped names exist: UserProfile reads an unknown one
# as UTC (as the readers did before it: functions' readable_profile, ai_service's store).
PROFILE_UNKNOWN_ZONES = ["Mars/Olympus_Mons", "A" * 64, "+", "-/_"]

# The rules count UTF-16 units and the model code points, so 41 emoji (82 units) are refused by
# the rules though the model would read them: stricter, never the other way round.
PROFILE_DENIED: dict[str, dict[str, object]] = {
    "name-empty": {"displayName": ""},
    "name-81": {"displayName": "a" * 81},
    **{f"name-only-U+{ord(c):04X}": {"displayName": c * 3} for c in WHITE_SPACE},
    "name-mixed-white-space": {"displayName": "".join(WHITE_SPACE)},
    **{f"avatar-U+{ord(c):04X}": {"avatarUrl": f"https://a{c}b"} for c in WHITE_SPACE},
    "avatar-trailing-newline": {"avatarUrl": "https://a.example/x\n"},
    "avatar-scheme-only": {"avatarUrl": "https://"},
    "avatar-2049": {"avatarUrl": "https://" + "a" * 2041},
    "tz-empty": {"timeZone": ""},
    "tz-65": {"timeZone": "A" * 65},
    "tz-space": {"timeZone": "Europe/Lis bon"},
}


def _model_reads(stored: dict[str, Any]) -> UserProfile:
    return UserProfile.from_document(stored)


@pytest.mark.parametrize("changes", list(PROFILE_ALLOWED.values()), ids=list(PROFILE_ALLOWED))
def test_a_profile_the_rules_allow_is_read_by_its_model(
    alice: Emulator, changes: dict[str, object]
) -> None:
    assert_allowed(_update_profile(alice, changes))

    read = _model_reads(_read(alice, USER))

    if "displayName" in changes:
        assert read.display_name == str(changes["displayName"]).strip()
    if "avatarUrl" in changes:
        assert read.avatar_url == changes["avatarUrl"]
    if "timeZone" in changes:
        assert read.time_zone == changes["timeZone"]
    if "consent" in changes:
        consent = changes["consent"]
        assert isinstance(consent, dict)
        assert (read.consent.analytics, read.consent.personalization) == (
            consent["analytics"],
            consent["personalization"],
        )
        assert read.consent.updated_at is not None


@pytest.mark.parametrize("char", NOT_WHITE_SPACE, ids=[f"U+{ord(c):04X}" for c in NOT_WHITE_SPACE])
def test_characters_next_to_white_space_are_allowed_by_both(alice: Emulator, char: str) -> None:
    assert_allowed(_update_profile(alice, {"displayName": char, "avatarUrl": f"https://a{char}b"}))

    read = _model_reads(_read(alice, USER))

    assert (read.display_name, read.avatar_url) == (char, f"https://a{char}b")


@pytest.mark.parametrize("changes", list(PROFILE_DENIED.values()), ids=list(PROFILE_DENIED))
def test_a_profile_value_the_model_refuses_is_refused_by_the_rules(
    alice: Emulator, changes: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        _model_reads({**profile(ALICE), **changes})

    assert_denied(_update_profile(alice, changes))
    assert _read(alice, USER) == profile(ALICE)


@pytest.mark.parametrize("zone", PROFILE_UNKNOWN_ZONES)
def test_an_unknown_but_iana_shaped_zone_is_read_as_utc(alice: Emulator, zone: str) -> None:
    assert_allowed(_update_profile(alice, {"timeZone": zone}))

    read = UserProfile.from_document(_read(alice, USER))

    assert read.time_zone == "UTC"


# ---------------------------------------------- users/{uid}/conversations/{cid}[/messages]


def _conversation_create(db: Emulator, data: Mapping[str, object]) -> Outcome:
    return db.as_user(ALICE).create(CONVERSATION, data, server_time_fields=["createdAt"])


CONVERSATION_ALLOWED: dict[str, dict[str, object]] = {
    "bare": {},
    "title-120": {"title": "t" * 120},
    "title-60-emoji": {"title": _emoji(60)},
    "title-empty": {"title": ""},
    "title-white-space": {"title": "".join(WHITE_SPACE)},
    "title-control": {"title": "a\x00\n\tb"},
    "settings-empty": {"settings": {}},
    "settings-model-64": {"settings": {"model": "m" * 64}},
    "settings-model-empty": {"settings": {"model": ""}},
    "settings-model-unicode": {"settings": {"model": _emoji(32)}},
}


@pytest.mark.parametrize(
    "data", list(CONVERSATION_ALLOWED.values()), ids=list(CONVERSATION_ALLOWED)
)
def test_a_conversation_the_rules_allow_is_read_by_its_model(
    alice: Emulator, data: dict[str, object]
) -> None:
    assert_allowed(_conversation_create(alice, data))

    read = Conversation.from_document(_read(alice, CONVERSATION))

    assert read.title == data.get("title")
    settings = data.get("settings")
    assert read.settings.model == (settings.get("model") if isinstance(settings, dict) else None)


CONVERSATION_UPDATES: dict[str, dict[str, object]] = {
    "title-120": {"title": "t" * 120},
    "title-emoji": {"title": " " + _emoji(59) + " "},
    "settings-model-64": {"settings": {"model": "m" * 64}},
    "active-leaf-64": {"activeLeaf": "a-_Z9" * 12 + "abcd"},
    "active-leaf-1": {"activeLeaf": "x"},
    "active-leaf-dashes": {"activeLeaf": "--"},
    "active-leaf-underscores": {"activeLeaf": "_x_"},
}


@pytest.mark.parametrize(
    "changes", list(CONVERSATION_UPDATES.values()), ids=list(CONVERSATION_UPDATES)
)
def test_a_conversation_update_the_rules_allow_is_read_by_its_model(
    alice: Emulator, changes: dict[str, object]
) -> None:
    alice.seed(CONVERSATION, Conversation(title="Trip", created_at=T0).to_document())

    assert_allowed(alice.as_user(ALICE).update(CONVERSATION, changes))

    read = Conversation.from_document(_read(alice, CONVERSATION))

    assert read.to_document() | changes == read.to_document()


TURN_CREATES: dict[str, dict[str, object]] = {
    "prompt-4000": {"prompt": "p" * 4000},
    "prompt-2000-emoji": {"prompt": _emoji(2000)},
    "prompt-3999-and-emoji-split": {"prompt": "p" * 3998 + _emoji(1)},
    "prompt-one-space": {"prompt": " "},
    "prompt-white-space": {"prompt": "".join(WHITE_SPACE)},
    "prompt-control": {"prompt": "\x00"},
    "prompt-rtl-combining": {"prompt": "שָׁלוֹם e\u0301 \u200fمرحبا"},
    "branch-main": {"prompt": "hi", "branch": "main"},
    "branch-64": {"prompt": "hi", "branch": "b" * 64},
    "branch-odd": {"prompt": "hi", "branch": "-_-"},
}


@pytest.mark.parametrize("data", list(TURN_CREATES.values()), ids=list(TURN_CREATES))
def test_a_turn_the_rules_allow_is_read_by_its_models(
    alice: Emulator, data: dict[str, object]
) -> None:
    path = f"{MESSAGES}/t1"
    alice.seed(CONVERSATION, Conversation(created_at=T0).to_document())

    assert_allowed(alice.as_user(ALICE).create(path, data, server_time_fields=["createTime"]))

    stored = _read(alice, path)
    read = ChatTurn.from_document(stored)
    created = TurnCreate.model_validate({k: v for k, v in stored.items() if k != "createTime"})
    assert read.prompt == created.prompt == data["prompt"]
    assert read.branch == created.branch == data.get("branch", "main")


@pytest.mark.parametrize("turn_id", ["e" * 64, "E", "-", "a_b-C9"])
def test_an_edit_the_rules_allow_is_read_by_its_models(alice: Emulator, turn_id: str) -> None:
    parent = "p" * 64
    alice.seed(CONVERSATION, Conversation(created_at=T0).to_document())
    alice.seed(f"{MESSAGES}/{parent}", ChatTurn(prompt="first", create_time=T0).to_document())
    data = {"prompt": "edited", "branch": turn_id, "parentTurnId": parent}

    outcome = alice.as_user(ALICE).create(
        f"{MESSAGES}/{turn_id}", data, server_time_fields=["createTime"]
    )

    assert_allowed(outcome)
    stored = _read(alice, f"{MESSAGES}/{turn_id}")
    read = ChatTurn.from_document(stored)
    created = TurnCreate.model_validate({k: v for k, v in stored.items() if k != "createTime"})
    assert (read.branch, read.parent_turn_id) == (turn_id, parent)
    assert created.starts_branch(turn_id)


TURN_CREATES_DENIED: dict[str, dict[str, object]] = {
    "prompt-empty": {"prompt": ""},
    "prompt-4001": {"prompt": "p" * 4001},
    "prompt-3999-and-emoji": {"prompt": "p" * 3999 + _emoji(1)},
    "branch-reserved": {"prompt": "hi", "branch": "__x__"},
    "branch-65": {"prompt": "hi", "branch": "b" * 65},
    "branch-dot": {"prompt": "hi", "branch": "a.b"},
}


@pytest.mark.parametrize("data", list(TURN_CREATES_DENIED.values()), ids=list(TURN_CREATES_DENIED))
def test_a_turn_the_model_refuses_is_refused_by_the_rules(
    alice: Emulator, data: dict[str, object]
) -> None:
    alice.seed(CONVERSATION, Conversation(created_at=T0).to_document())
    with pytest.raises(ValidationError):
        TurnCreate.model_validate(data)

    outcome = alice.as_user(ALICE).create(f"{MESSAGES}/t1", data, server_time_fields=["createTime"])

    assert_denied(outcome)


def _turn_in(state: TurnState) -> dict[str, Any]:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    turn = ChatTurn(
        prompt="Plan a weekend in Lisbon",
        create_time=now,
        response="Day 1: Alfama" if state.is_terminal else None,
        status=TurnStatus(state=state, attempt=1, event_id="evt-1", queued_at=now),
    )
    return turn.to_document()


OWNER_CHANGES = [
    (TurnState.COMPLETED, TurnState.RETRY),
    (TurnState.ERROR, TurnState.RETRY),
    (TurnState.BLOCKED, TurnState.RETRY),
    (TurnState.STOPPED, TurnState.RETRY),
    (TurnState.QUEUED, TurnState.STOP),
    (TurnState.PROCESSING, TurnState.STOP),
    (TurnState.STREAMING, TurnState.STOP),
]


@pytest.mark.parametrize(
    ("before", "after"), OWNER_CHANGES, ids=[f"{b.value}-{a.value}" for b, a in OWNER_CHANGES]
)
def test_an_owner_state_change_is_read_by_its_model(
    alice: Emulator, before: TurnState, after: TurnState
) -> None:
    path = f"{MESSAGES}/t1"
    stored = _turn_in(before)
    alice.seed(path, stored)
    status = dict(stored["status"])
    status["state"] = after.value

    assert_allowed(alice.as_user(ALICE).update(path, {"status": status}))

    read = ChatTurn.from_document(_read(alice, path))
    assert read.status is not None
    assert read.status.state is after


# ---------------------------------------------------------------- analytics_events/{eventId}

EVENTS: list[Any] = [
    pytest.param("app_open", {}, "s" * 128, id="app_open-session-128"),
    pytest.param("page_view", {"path": "/" + "p" * 255}, "s", id="page_view-256"),
    pytest.param("page_view", {"path": _emoji(128)}, "s", id="page_view-emoji"),
    pytest.param("feature_used", {"feature": "f" * 64}, "s", id="feature_used-64"),
    pytest.param("search", {"query": " \u3000🌸 " * 51}, "s", id="search-white-space"),
    pytest.param("recommendation_click", {"itemId": "i" * 64}, "s", id="click-64"),
    pytest.param("error", {"code": "c" * 64, "message": "m" * 512}, "s", id="error-max"),
    pytest.param("error", {"code": "c", "message": ""}, "s", id="error-empty-message"),
]
# What the model refuses (an empty session id, an empty data string) the rules refuse too; they
# used to store it, and on_analytics_event then marked the event invalid and never counted it.
REFUSED_EVENTS: list[Any] = [
    pytest.param("app_open", {}, "", id="empty-session"),
    pytest.param("page_view", {"path": ""}, "s", id="page_view-empty"),
    pytest.param("feature_used", {"feature": ""}, "s", id="feature_used-empty"),
    pytest.param("search", {"query": ""}, "s", id="search-empty"),
    pytest.param("recommendation_click", {"itemId": ""}, "s", id="click-empty"),
    pytest.param("error", {"code": "", "message": "m"}, "s", id="error-empty-code"),
]


def _alices_event(event_type: str, data: dict[str, object], session_id: str) -> dict[str, Any]:
    """An analytics event as a client writes it (the trigger adds `createTime`)."""
    return {
        "uid": ALICE,
        "type": event_type,
        "data": data,
        "sessionId": session_id,
        "clientTime": T0,
    }


@pytest.mark.parametrize(("event_type", "data", "session_id"), EVENTS)
def test_an_event_the_rules_allow_is_read_by_its_model(
    alice: Emulator, event_type: str, data: dict[str, object], session_id: str
) -> None:
    path = "analytics_events/evt-agree-1"
    event = _alices_event(event_type, data, session_id)

    assert_allowed(alice.as_user(ALICE).create(path, event, server_time_fields=["createTime"]))

    read = AnalyticsEvent.from_document(_read(alice, path))
    assert (read.type.value, read.data, read.session_id) == (event_type, data, session_id)


@pytest.mark.parametrize(("event_type", "data", "session_id"), REFUSED_EVENTS)
def test_an_event_the_model_refuses_is_refused_by_the_rules(
    alice: Emulator, event_type: str, data: dict[str, object], session_id: str
) -> None:
    path = "analytics_events/evt-agree-2"
    event = _alices_event(event_type, data, session_id)

    with pytest.raises(ValidationError):
        AnalyticsEvent.from_document({**event, "createTime": T0})
    assert_denied(alice.as_user(ALICE).create(path, event, server_time_fields=["createTime"]))


def test_the_emoji_helper_counts_as_the_rules_do() -> None:
    assert utf16_length(_emoji(3)) == 6
