"""Memory across conversations, driven as the PWA drives it: turns written through the rules,
consent set through setConsent, memories read as the owner's listener would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.cloud import firestore

from shared import paths
from tools.emulator_auth import SignedInUser
from tools.local_stack import PROJECT_ID
from tools.user_firestore import user_client

from ..helpers import call_function
from .test_chat_flow import write_turn_and_watch


def _consenting(new_user: Callable[..., SignedInUser], *, personalization: bool) -> SignedInUser:
    user = new_user()
    answer = call_function(
        "setConsent",
        {"analytics": False, "personalization": personalization},
        id_token=user.id_token,
    )
    assert answer.status_code == 200, answer.text
    return user


def _memories(user: SignedInUser) -> dict[str, dict[str, Any]]:
    """As the owner reads them (the rules allow it)."""
    as_user = user_client(project=PROJECT_ID, id_token=user.id_token)
    return {
        snapshot.id: snapshot.to_dict() or {}
        for snapshot in as_user.collection(paths.memories(user.uid)).stream()
    }


def test_what_the_user_says_in_one_conversation_is_known_in_another(
    new_user: Callable[..., SignedInUser],
) -> None:
    user = _consenting(new_user, personalization=True)

    told = write_turn_and_watch(user, "a", "t1", "Hi, I'm Sam. I live in Porto.").final
    memories = _memories(user)
    asked = write_turn_and_watch(user, "b", "t1", "Where do I live?").final

    assert told["status"]["state"] == "COMPLETED", told
    texts = {m["text"] for m in memories.values()}
    assert "Lives in Porto" in texts
    home = next(mid for mid, m in memories.items() if m["text"] == "Lives in Porto")
    assert memories[home]["sourceTurn"] == paths.turn(user.uid, "a", "t1")
    assert "embedding" in memories[home]
    assert "Porto" in asked["response"]
    assert asked["memoryIds"] == [home]
    assert asked["usage"]["provider"] == "skills"  # answered from memory, not guessed

    moved = write_turn_and_watch(user, "b", "t2", "Actually I moved to Lisbon").final
    after_move = _memories(user)
    asked_again = write_turn_and_watch(user, "c", "t1", "Where do I live?").final

    assert moved["status"]["state"] == "COMPLETED"
    assert after_move[home]["text"] == "Lives in Lisbon"  # replaced, not a second home
    assert after_move[home]["createdAt"] == memories[home]["createdAt"]
    assert [m["text"] for m in after_move.values()].count("Lives in Porto") == 0
    assert "Lisbon" in asked_again["response"]

    forget = write_turn_and_watch(user, "c", "t2", "Forget where I live").final
    still_there = home in _memories(user)
    confirmed = write_turn_and_watch(user, "c", "t3", "yes").final
    gone = _memories(user)
    unknown = write_turn_and_watch(user, "d", "t1", "Where do I live?").final

    assert forget["toolCalls"][0]["name"] == "forget"
    assert forget["toolCalls"][0]["status"] == "needs_confirmation"
    assert "Lisbon" in forget["response"]
    assert still_there
    assert confirmed["toolCalls"][0]["status"] == "ok"
    assert home not in gone
    assert "Lisbon" not in unknown["response"]
    assert "Porto" not in unknown["response"]
    assert "memoryIds" not in unknown


def test_without_the_personalisation_consent_nothing_is_stored_or_used(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = _consenting(new_user, personalization=False)
    # A memory that exists (kept from before the consent was withdrawn) is not used either.
    db.document(paths.memory(user.uid, "old")).set(
        {
            "text": "Lives in Porto",
            "kind": "fact",
            "slot": "home",
            "createdAt": firestore.SERVER_TIMESTAMP,
            "updatedAt": firestore.SERVER_TIMESTAMP,
        }
    )

    write_turn_and_watch(user, "a", "t1", "I live in Madrid and my dog is called Rex.")
    asked = write_turn_and_watch(user, "a", "t2", "Where do I live?").final

    assert set(_memories(user)) == {"old"}
    assert "memoryIds" not in asked
    assert asked["usage"]["provider"] != "skills" or "Porto" not in asked["response"]


def test_a_model_cannot_plant_a_memory_for_a_user_without_consent(
    new_user: Callable[..., SignedInUser],
) -> None:
    user = _consenting(new_user, personalization=False)

    turn = write_turn_and_watch(user, "a", "t1", "Forget that I live in Porto").final

    assert turn["toolCalls"][0]["status"] == "error"
    assert "personalisation" in turn["response"]


def test_a_question_about_a_family_of_memories_lists_them(
    new_user: Callable[..., SignedInUser],
) -> None:
    user = _consenting(new_user, personalization=True)
    write_turn_and_watch(user, "a", "t1", "I love jazz music.")
    write_turn_and_watch(user, "a", "t2", "I like hiking.")

    likes = write_turn_and_watch(user, "b", "t1", "What do I like?").final
    jazz = write_turn_and_watch(user, "b", "t2", "Do I like jazz?").final

    assert "jazz" in likes["response"]
    assert "hiking" in likes["response"]
    assert len(likes["memoryIds"]) == 2
    assert "jazz" in jazz["response"]
    assert len(jazz["memoryIds"]) == 1
