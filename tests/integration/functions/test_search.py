"""searchConversations on the running stack: turns written through the rules and completed by
ai_service (which stores each prompt's embedding and owner on the turn), then searched through
the callable, which embeds the query at ai_service's /v1/embed."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
from google.cloud import firestore

from auraos_functions.services import search
from shared import paths
from shared.errors import Transient
from shared.models.search import SearchConversationsRequest
from tools.emulator_auth import SignedInUser
from tools.local_stack import PROJECT_ID
from tools.user_firestore import user_client

from ..ai_service.test_chat_flow import write_turn_and_watch
from ..helpers import call_function, wait_for

HIKING = "I'm planning a week of hiking in the Alps, which trails do you recommend?"
CAKE = "Can you give me a chocolate cake recipe?"
TYRE = "How do I fix a flat bike tyre?"


def searched(user: SignedInUser, data: dict[str, Any]) -> dict[str, Any]:
    response = call_function("searchConversations", data, id_token=user.id_token)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def refused(user: SignedInUser, data: dict[str, Any]) -> dict[str, Any]:
    response = call_function("searchConversations", data, id_token=user.id_token)
    assert response.status_code >= 400, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def chat(user: SignedInUser, turns: dict[str, str]) -> None:
    """One completed turn per conversation, `{conversationId: prompt}`, and its bookkeeping
    (the title comes with it, a moment after the turn completes)."""
    for cid, prompt in turns.items():
        final = write_turn_and_watch(user, cid, "t1", prompt).final
        assert final["status"]["state"] == "COMPLETED", final
        wait_for(partial(_title, user, cid), what="the conversation's title")


def _title(user: SignedInUser, cid: str) -> str | None:
    """The conversation's title as its owner reads it."""
    as_user = user_client(project=PROJECT_ID, id_token=user.id_token)
    title = (as_user.document(paths.conversation(user.uid, cid)).get().to_dict() or {}).get("title")
    return str(title) if title else None


def titled(db: firestore.Client, user: SignedInUser, cid: str, title: str) -> None:
    """A conversation with only a title (arranged as the admin: no turn, so nothing to embed)."""
    now = datetime.now(UTC)
    db.document(paths.conversation(user.uid, cid)).set({"title": title, "updatedAt": now})


@pytest.fixture
def ann(new_user: Callable[..., SignedInUser]) -> SignedInUser:
    user = new_user()
    chat(user, {"ann-hike": HIKING, "ann-cake": CAKE, "ann-tyre": TYRE})
    return user


def test_a_query_finds_the_conversation_it_means_first(
    ann: SignedInUser, db: firestore.Client
) -> None:
    stored = db.document(paths.turn(ann.uid, "ann-hike", "t1")).get().to_dict() or {}
    assert stored["owner"] == ann.uid
    assert len(stored["embedding"]) == 384

    found = searched(ann, {"query": "mountain trip"})

    assert found["degraded"] is False
    assert found["nextPageToken"] is None
    first = found["results"][0]
    assert first == {
        "conversationId": "ann-hike",
        "turnId": "t1",
        "title": first["title"],
        "snippet": HIKING,
        "score": first["score"],
        "match": "semantic",
    }
    assert first["title"].startswith("I'm planning a week of hiking")
    assert 0.4 < first["score"] <= 1
    assert [r["conversationId"] for r in found["results"]] == ["ann-hike"]  # nothing unrelated


def test_a_word_of_a_title_finds_its_conversation(ann: SignedInUser) -> None:
    found = searched(ann, {"query": "cake"})

    assert [(r["conversationId"], r["turnId"], r["match"]) for r in found["results"]] == [
        ("ann-cake", None, "title")
    ]
    assert found["results"][0]["snippet"] == found["results"][0]["title"]
    assert found["results"][0]["score"] == pytest.approx(search.TITLE_SCORE)


def test_another_users_turns_never_appear(
    ann: SignedInUser, new_user: Callable[..., SignedInUser]
) -> None:
    bob = new_user()
    chat(bob, {"bob-hike": "I want to go hiking in the Alps next summer, any trail tips?"})

    for query in ("mountain trip", "hiking in the Alps", "Alps trails"):
        anns = {r["conversationId"] for r in searched(ann, {"query": query})["results"]}
        bobs = {r["conversationId"] for r in searched(bob, {"query": query})["results"]}
        assert "ann-hike" in anns
        assert bobs == {"bob-hike"}, query
        assert not any(c.startswith("bob-") for c in anns), query


def test_pages_follow_one_ranking_and_a_foreign_token_is_refused(
    ann: SignedInUser, db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    titled(db, ann, "trip-lisbon", "Trip to Lisbon in May")
    titled(db, ann, "trip-rome", "A weekend trip to Rome")
    everything = searched(ann, {"query": "mountain trip", "limit": 20})["results"]
    assert everything[0]["conversationId"] == "ann-hike"
    assert {r["conversationId"] for r in everything} == {"ann-hike", "trip-lisbon", "trip-rome"}

    pages: list[list[dict[str, Any]]] = []
    token: str | None = None
    while True:
        page = searched(ann, {"query": "mountain trip", "limit": 1, "pageToken": token})
        pages.append(page["results"])
        token = page["nextPageToken"]
        if token is None:
            break
        assert len(pages) < 5, "paging never ends"

    assert [r for p in pages for r in p] == everything
    assert [len(p) for p in pages] == [1, 1, 1]
    first_token = searched(ann, {"query": "mountain trip", "limit": 1})["nextPageToken"]
    bob = new_user()
    for data, user in (
        ({"query": "cake", "pageToken": first_token}, ann),  # another query's token
        ({"query": "mountain trip", "pageToken": first_token}, bob),  # another user's
        ({"query": "mountain trip", "pageToken": "v1.s.1.0000000000000000"}, ann),
        ({"query": "mountain trip", "pageToken": "page 2"}, ann),
    ):
        error = refused(user, data)
        assert error["status"] == "INVALID_ARGUMENT", (data, error)
        assert "pageToken" in error["message"]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"query": ""},
        {"query": "   "},
        {"query": "x" * 501},
        {"query": 42},
        {"query": "hiking", "limit": 0},
        {"query": "hiking", "limit": 21},
        {"query": "hiking", "limit": "10"},
        {"query": "hiking", "pageToken": ""},
        {"query": "hiking", "extra": True},
    ],
)
def test_bad_input_is_invalid_argument(
    data: dict[str, Any], new_user: Callable[..., SignedInUser]
) -> None:
    assert refused(new_user(), data)["status"] == "INVALID_ARGUMENT"


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: nothing listens there


def test_without_ai_service_titles_still_match_and_the_answer_says_so(
    ann: SignedInUser, db: firestore.Client
) -> None:
    """The service as the callable runs it, against the same Firestore, with ai_service's URL
    pointing where nothing listens (the running stack's own ai_service must stay up)."""
    down = search.AiServiceEmbedder(
        base_url=f"http://127.0.0.1:{_unused_port()}", timeout_s=2, authenticate=False
    )
    started = time.monotonic()
    with pytest.raises(Transient):
        down.embed("mountain trip")
    assert time.monotonic() - started < 4  # three quick tries, not a hang

    found = search.search_conversations(
        db=db, uid=ann.uid, request=SearchConversationsRequest(query="bike tyre"), embedder=down
    ).model_dump(by_alias=True, mode="json")
    assert found["degraded"] is True
    assert [(r["conversationId"], r["match"]) for r in found["results"]] == [("ann-tyre", "title")]
    nothing = search.search_conversations(
        db=db, uid=ann.uid, request=SearchConversationsRequest(query="mountain trip"), embedder=down
    ).model_dump(by_alias=True, mode="json")
    assert nothing == {"results": [], "nextPageToken": None, "degraded": True}
