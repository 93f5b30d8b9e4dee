"""Rules for chat turns: users/{uid}/conversations/{cid}/messages/{turnId}."""

from __future__ import annotations

import pytest

from .client import Emulator, assert_allowed, assert_denied, request_time_like, result_ids
from .factories import ALICE, BOB, T0, Actor, Expect, actor, check, profile, turn

pytestmark = pytest.mark.emulators

MESSAGES = f"users/{ALICE}/conversations/c1/messages"
TURN = f"{MESSAGES}/t1"
NEW = f"{MESSAGES}/t2"


@pytest.fixture(autouse=True)
def _active_account(db: Emulator) -> None:
    for uid in (ALICE, BOB):  # writes need an active account (test_account_state: the rest)
        db.seed(f"users/{uid}", profile(uid))


def create_turn(db: Emulator, path: str, prompt: object) -> None:
    """Assert that Alice can create a turn with ``prompt`` and that it is stored."""
    outcome = db.as_user(ALICE).create(path, {"prompt": prompt}, server_time_fields=["createTime"])
    assert_allowed(outcome)
    stored = db.read(path)
    assert stored is not None
    assert stored["prompt"] == prompt
    assert request_time_like(stored["createTime"])
    assert set(stored) == {"prompt", "createTime"}


# ----------------------------------------------------------------------- create


@pytest.mark.parametrize(
    "prompt",
    [
        pytest.param("a", id="1-char"),
        pytest.param("What's the weather in Paris?", id="typical"),
        pytest.param("x" * 4000, id="4000-chars"),
        pytest.param("héllo wörld, 你好, مرحبا", id="unicode"),
        pytest.param("é" * 4000, id="4000-accented"),
        # Rules count UTF-16 code units (like JS String.length): an emoji counts 2.
        pytest.param("😀" * 2000, id="2000-emoji-is-4000-units"),
    ],
)
def test_owner_creates_turn(db: Emulator, prompt: str) -> None:
    """A turn is exactly {prompt: 1..4000 chars, createTime: request.time}."""
    create_turn(db, NEW, prompt)


@pytest.mark.parametrize(
    "prompt",
    [
        pytest.param("", id="empty"),
        pytest.param("x" * 4001, id="4001-chars"),
        pytest.param("😀" * 2001, id="2001-emoji-is-4002-units"),
        pytest.param(42, id="not-string"),
        pytest.param(None, id="null"),
    ],
)
def test_owner_cannot_create_invalid_prompt(db: Emulator, prompt: object) -> None:
    """Empty, oversize and non-string prompts are rejected."""
    outcome = db.as_user(ALICE).create(NEW, {"prompt": prompt}, server_time_fields=["createTime"])
    assert_denied(outcome)
    assert db.read(NEW) is None


@pytest.mark.parametrize("create_time", ["missing", "client-clock"])
def test_create_requires_server_create_time(db: Emulator, create_time: str) -> None:
    """createTime must be present and equal request.time."""
    data: dict[str, object] = {"prompt": "hi"}
    if create_time == "client-clock":
        data["createTime"] = T0
    assert_denied(db.as_user(ALICE).create(NEW, data))


@pytest.mark.parametrize(
    "field",
    ["response", "status", "usage", "intent", "entities", "sentiment", "attempts", "extra"],
)
def test_owner_cannot_create_server_fields(db: Emulator, field: str) -> None:
    """Any key besides prompt and createTime is rejected, server fields above all."""
    data = {"prompt": "hi", field: turn().get(field, "x")}
    outcome = db.as_user(ALICE).create(NEW, data, server_time_fields=["createTime"])
    assert_denied(outcome)


@pytest.mark.parametrize(
    ("turn_id", "expected"),
    [
        pytest.param("Turn_01-a", "allow", id="word-chars"),
        pytest.param("t" * 64, "allow", id="64-chars"),
        pytest.param("t" * 65, "deny", id="65-chars"),
        pytest.param("bad id", "deny", id="space"),
        pytest.param("t.1", "deny", id="dot"),
        pytest.param("t\u00e9", "deny", id="non-ascii"),
    ],
)
def test_turn_id_format(db: Emulator, turn_id: str, expected: Expect) -> None:
    """turnId must match ^[A-Za-z0-9_-]{1,64}$."""
    outcome = db.as_user(ALICE).create(
        f"{MESSAGES}/{turn_id}", {"prompt": "hi"}, server_time_fields=["createTime"]
    )
    check(outcome, expected)


@pytest.mark.parametrize("who", ["other", "anonymous", "admin"])
def test_only_owner_creates_turn(db: Emulator, who: Actor) -> None:
    """Nobody else can post a prompt into Alice's conversation."""
    outcome = actor(db, who).create(NEW, {"prompt": "hi"}, server_time_fields=["createTime"])
    assert_denied(outcome)


def test_owner_cannot_overwrite_existing_turn(db: Emulator) -> None:
    """A set over a processed turn is an update and is not a valid RETRY."""
    db.seed(TURN, turn())
    outcome = db.as_user(ALICE).merge(TURN, {"prompt": "rewritten"})
    assert_denied(outcome)
    assert db.read(TURN) == turn()


# ------------------------------------------------------------------------ reads


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", "allow"), ("other", "deny"), ("anonymous", "deny"), ("admin", "deny")],
)
def test_get_turn(db: Emulator, who: Actor, expected: Expect) -> None:
    """Only the owner reads a turn."""
    db.seed(TURN, turn())
    check(actor(db, who).get(TURN), expected)


def test_owner_lists_own_turns(db: Emulator) -> None:
    """The owner's query over the conversation's messages returns every turn."""
    db.seed(TURN, turn())
    db.seed(NEW, turn("QUEUED"))
    outcome = db.as_user(ALICE).query(MESSAGES)
    assert_allowed(outcome)
    assert result_ids(outcome) == ["t1", "t2"]


@pytest.mark.parametrize("who", ["other", "anonymous"])
def test_cannot_list_another_users_turns(db: Emulator, who: Actor) -> None:
    """Queries over someone else's messages are rejected."""
    db.seed(TURN, turn())
    assert_denied(actor(db, who).query(MESSAGES))


def test_collection_group_query_over_messages_denied(db: Emulator) -> None:
    """Cross-user collection-group queries are not enabled for clients."""
    db.seed(TURN, turn())
    assert_denied(db.as_user(ALICE).query("messages"))


# ---------------------------------------------------------------- RETRY / update


@pytest.mark.parametrize("state", ["COMPLETED", "ERROR", "BLOCKED", "STOPPED"])
def test_retry_allowed_from_terminal_state(db: Emulator, state: str) -> None:
    """Owner flips status.state to RETRY; every other field is untouched."""
    db.seed(TURN, turn(state))
    outcome = db.as_user(ALICE).update(TURN, {"status": {"state": "RETRY"}}, mask=["status.state"])
    assert_allowed(outcome)
    expected = turn(state)
    status = expected["status"]
    assert isinstance(status, dict)
    status["state"] = "RETRY"
    assert db.read(TURN) == expected


@pytest.mark.parametrize("state", ["QUEUED", "PROCESSING", "STREAMING", "RETRY", "STOP"])
def test_retry_denied_from_non_terminal_state(db: Emulator, state: str) -> None:
    """RETRY only applies to a finished turn."""
    db.seed(TURN, turn(state))
    outcome = db.as_user(ALICE).update(TURN, {"status": {"state": "RETRY"}}, mask=["status.state"])
    assert_denied(outcome)
    assert db.read(TURN) == turn(state)


def test_retry_with_full_status_map_allowed(db: Emulator) -> None:
    """Rewriting the whole status map is fine if only state differs."""
    db.seed(TURN, turn("ERROR"))
    status = turn("RETRY")["status"]
    assert isinstance(status, dict)
    assert_allowed(db.as_user(ALICE).update(TURN, {"status": status}))
    assert db.read(TURN) == turn("RETRY")


RETRY_DENIED: dict[str, tuple[dict[str, object], list[str]]] = {
    "state-to-QUEUED": ({"status": {"state": "QUEUED"}}, ["status.state"]),
    "state-to-COMPLETED": ({"status": {"state": "COMPLETED"}}, ["status.state"]),
    "plus-attempt": (
        {"status": {"state": "RETRY", "attempt": 2}},
        ["status.state", "status.attempt"],
    ),
    "plus-eventId": (
        {"status": {"state": "RETRY", "eventId": "evt-999"}},
        ["status.state", "status.eventId"],
    ),
    "plus-response": (
        {"status": {"state": "RETRY"}, "response": "forged"},
        ["status.state", "response"],
    ),
    "plus-prompt": ({"status": {"state": "RETRY"}, "prompt": "new"}, ["status.state", "prompt"]),
    "plus-usage": ({"status": {"state": "RETRY"}, "usage": {}}, ["status.state", "usage"]),
    "drops-status-fields": ({"status": {"state": "RETRY"}}, ["status"]),
    "response-only": ({"response": "forged"}, ["response"]),
    "attempts-only": ({"attempts": [{"state": "ERROR"}]}, ["attempts"]),
    "sentiment-only": ({"sentiment": {"label": "neg", "score": 0}}, ["sentiment"]),
}


@pytest.mark.parametrize(("data", "mask"), list(RETRY_DENIED.values()), ids=list(RETRY_DENIED))
def test_retry_must_be_the_only_change(
    db: Emulator, data: dict[str, object], mask: list[str]
) -> None:
    """Any other change, alone or alongside RETRY, is rejected."""
    db.seed(TURN, turn("ERROR"))
    assert_denied(db.as_user(ALICE).update(TURN, data, mask=mask))
    assert db.read(TURN) == turn("ERROR")


def test_retry_denied_without_status(db: Emulator) -> None:
    """A turn the server has not picked up yet (no status map) cannot be retried."""
    db.seed(TURN, {"prompt": "hi", "createTime": T0})
    outcome = db.as_user(ALICE).update(TURN, {"status": {"state": "RETRY"}}, mask=["status.state"])
    assert_denied(outcome)


@pytest.mark.parametrize("who", ["other", "anonymous", "admin"])
def test_only_owner_retries(db: Emulator, who: Actor) -> None:
    """Other users and admins cannot trigger a retry."""
    db.seed(TURN, turn("ERROR"))
    assert_denied(
        actor(db, who).update(TURN, {"status": {"state": "RETRY"}}, mask=["status.state"])
    )


# ------------------------------------------------------------------------- STOP


@pytest.mark.parametrize("state", ["QUEUED", "PROCESSING", "STREAMING"])
def test_stop_allowed_while_the_turn_runs(db: Emulator, state: str) -> None:
    """The owner flips status.state to STOP on a running turn; nothing else changes."""
    db.seed(TURN, turn(state))
    outcome = db.as_user(ALICE).update(TURN, {"status": {"state": "STOP"}}, mask=["status.state"])
    assert_allowed(outcome)
    expected = turn(state)
    status = expected["status"]
    assert isinstance(status, dict)
    status["state"] = "STOP"
    assert db.read(TURN) == expected


@pytest.mark.parametrize("state", ["COMPLETED", "ERROR", "BLOCKED", "STOPPED", "RETRY", "STOP"])
def test_stop_denied_once_the_turn_ended(db: Emulator, state: str) -> None:
    db.seed(TURN, turn(state))
    outcome = db.as_user(ALICE).update(TURN, {"status": {"state": "STOP"}}, mask=["status.state"])
    assert_denied(outcome)
    assert db.read(TURN) == turn(state)


@pytest.mark.parametrize(
    ("data", "mask"),
    [
        pytest.param({"status": {"state": "STOPPED"}}, ["status.state"], id="to-STOPPED"),
        pytest.param(
            {"status": {"state": "STOP"}, "response": "forged"},
            ["status.state", "response"],
            id="plus-response",
        ),
        pytest.param(
            {"status": {"state": "STOP", "stoppedAt": T0}},
            ["status.state", "status.stoppedAt"],
            id="plus-stoppedAt",
        ),
    ],
)
def test_stop_must_be_the_only_change(
    db: Emulator, data: dict[str, object], mask: list[str]
) -> None:
    db.seed(TURN, turn("STREAMING"))
    assert_denied(db.as_user(ALICE).update(TURN, data, mask=mask))
    assert db.read(TURN) == turn("STREAMING")


@pytest.mark.parametrize("who", ["other", "anonymous", "admin"])
def test_only_owner_stops(db: Emulator, who: Actor) -> None:
    db.seed(TURN, turn("STREAMING"))
    assert_denied(actor(db, who).update(TURN, {"status": {"state": "STOP"}}, mask=["status.state"]))


# --------------------------------------------------------------- edit and branch

EDIT = f"{MESSAGES}/e1"


def test_an_edit_is_a_new_turn_naming_the_turn_it_replaces_and_its_own_branch(
    db: Emulator,
) -> None:
    db.seed(TURN, turn())
    data = {"prompt": "Plan a weekend in Porto", "parentTurnId": "t1", "branch": "e1"}
    outcome = db.as_user(ALICE).create(EDIT, data, server_time_fields=["createTime"])
    assert_allowed(outcome)
    stored = db.read(EDIT)
    assert stored is not None
    assert {k: stored[k] for k in data} == data
    assert db.read(TURN) == turn()  # the replaced turn stays readable


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"parentTurnId": "t1", "branch": "other"}, id="branch-not-own-id"),
        pytest.param({"parentTurnId": "t1"}, id="no-branch"),
        pytest.param({"parentTurnId": "nope", "branch": "e1"}, id="parent-missing"),
        pytest.param({"parentTurnId": "e1", "branch": "e1"}, id="replaces-itself"),
        pytest.param({"parentTurnId": "t.1", "branch": "e1"}, id="bad-parent-id"),
        pytest.param({"branch": "bad branch"}, id="bad-branch-id"),
        pytest.param({"branch": 7}, id="branch-not-string"),
    ],
)
def test_invalid_branch_placements_are_denied(db: Emulator, data: dict[str, object]) -> None:
    db.seed(TURN, turn())
    outcome = db.as_user(ALICE).create(
        EDIT, {"prompt": "hi", **data}, server_time_fields=["createTime"]
    )
    assert_denied(outcome)
    assert db.read(EDIT) is None


def test_a_later_turn_names_its_branch(db: Emulator) -> None:
    outcome = db.as_user(ALICE).create(
        NEW, {"prompt": "and then?", "branch": "e1"}, server_time_fields=["createTime"]
    )
    assert_allowed(outcome)


def test_the_owner_switches_the_shown_branch_and_nothing_else(db: Emulator) -> None:
    conversation = f"users/{ALICE}/conversations/c1"
    db.seed(conversation, {"createdAt": T0, "activeLeaf": "t2", "summary": "s"})
    assert_allowed(db.as_user(ALICE).update(conversation, {"activeLeaf": "e1"}))
    assert (db.read(conversation) or {})["activeLeaf"] == "e1"
    assert_denied(db.as_user(ALICE).update(conversation, {"activeLeaf": "bad id"}))
    assert_denied(db.as_user(ALICE).update(conversation, {"activeLeaf": "t2", "summary": "x"}))
    assert_denied(db.as_user(BOB).update(conversation, {"activeLeaf": "t2"}))


# ----------------------------------------------------------------------- delete


@pytest.mark.parametrize("who", ["owner", "other", "admin"])
def test_nobody_deletes_turn(db: Emulator, who: Actor) -> None:
    """Turns are deleted with their conversation by the server only."""
    db.seed(TURN, turn())
    assert_denied(actor(db, who).delete(TURN))
    assert db.read(TURN) == turn()


def test_bob_cannot_write_into_alices_turn_path_with_his_token(db: Emulator) -> None:
    """The uid in the path must be the caller's uid, not just any signed-in user."""
    outcome = db.as_user(BOB).create(
        f"users/{BOB}/conversations/c1/messages/t1",
        {"prompt": "mine"},
        server_time_fields=["createTime"],
    )
    assert_allowed(outcome)
    assert_denied(
        db.as_user(BOB).create(NEW, {"prompt": "theirs"}, server_time_fields=["createTime"])
    )
