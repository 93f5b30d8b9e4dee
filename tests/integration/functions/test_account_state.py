"""Account state on the emulators, as an attacker with an old token would try it: after
deleteMyAccount or an admin's setUserActive(false), the callables, the rules and the triggers
refuse the account, and nothing is recreated; reactivation (and a new sign-in) restores access.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from typing import Any

import firebase_admin
import pytest
from firebase_admin import auth
from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1 import DocumentReference

from shared import paths
from shared.models.base import utc_now
from tools.emulator_auth import SignedInUser, sign_in
from tools.local_stack import PROJECT_ID
from tools.user_firestore import user_client

from ..helpers import call_function, make_admin, wait_for

PASSWORD = "secret-pass-1"


@pytest.fixture(scope="module")
def admin_app() -> firebase_admin.App:
    try:
        return firebase_admin.get_app()
    except ValueError:
        return firebase_admin.initialize_app(options={"projectId": PROJECT_ID})


def _error(response: Any) -> str:
    return str(response.json().get("error", {}).get("status", f"HTTP {response.status_code}"))


def _user_tree(db: firestore.Client, uid: str) -> list[str]:
    """Every document under users/{uid}, the profile included (and parents that only have
    subcollections, which is how an orphan looks)."""

    def walk(ref: DocumentReference) -> Iterator[str]:
        for collection in ref.collections():
            for child in collection.list_documents():
                yield child.path
                yield from walk(child)

    root = db.document(paths.user(uid))
    return ([root.path] if root.get().exists else []) + list(walk(root))


def _turn_status(db: firestore.Client, uid: str, cid: str, turn_id: str) -> dict[str, Any]:
    data = db.document(paths.turn(uid, cid, turn_id)).get().to_dict() or {}
    status: dict[str, Any] = data.get("status") or {}
    return status


def _write_turn_as(user: SignedInUser, cid: str, turn_id: str) -> None:
    """What the PWA writes (the rules decide)."""
    as_user = user_client(project=PROJECT_ID, id_token=user.id_token)
    as_user.document(paths.turn(user.uid, cid, turn_id)).create(
        {"prompt": "what is 2 + 2?", "createTime": firestore.SERVER_TIMESTAMP}
    )


def _create_conversation_as(user: SignedInUser, cid: str) -> None:
    as_user = user_client(project=PROJECT_ID, id_token=user.id_token)
    as_user.document(paths.conversation(user.uid, cid)).create(
        {"createdAt": firestore.SERVER_TIMESTAMP}
    )


def test_an_old_token_after_deletion_is_refused_everywhere_and_recreates_nothing(
    db: firestore.Client, new_user: Callable[..., SignedInUser], admin_app: firebase_admin.App
) -> None:
    user = new_user()
    _create_conversation_as(user, "c1")
    assert call_function("deleteMyAccount", {}, id_token=user.id_token).status_code == 200
    wait_for(lambda: not _user_tree(db, user.uid), timeout_s=60, what="the deletion to finish")
    with pytest.raises(auth.UserNotFoundError):
        auth.get_user(user.uid, app=admin_app)

    send = call_function("sendMessage", {"prompt": "I am back"}, id_token=user.id_token)
    profile = call_function("getProfile", {}, id_token=user.id_token)
    again = call_function("deleteMyAccount", {}, id_token=user.id_token)
    with pytest.raises(gexc.PermissionDenied):
        _create_conversation_as(user, "c2")
    with pytest.raises(gexc.PermissionDenied):
        _write_turn_as(user, "c1", "t1")

    assert [_error(send), _error(profile), _error(again)] == ["UNAUTHENTICATED"] * 3
    time.sleep(2)  # a trigger of anything written would have run by now
    assert _user_tree(db, user.uid) == []


def test_the_turn_trigger_recreates_nothing_for_a_deleted_account(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user()
    assert call_function("deleteMyAccount", {}, id_token=user.id_token).status_code == 200
    wait_for(lambda: not _user_tree(db, user.uid), timeout_s=60, what="the deletion to finish")

    # A write that raced the deletion job (the rules refuse it now; the trigger must cope).
    db.document(paths.turn(user.uid, "c1", "late")).set(
        {"prompt": "hello?", "createTime": firestore.SERVER_TIMESTAMP}
    )

    wait_for(
        lambda: not db.document(paths.turn(user.uid, "c1", "late")).get().exists,
        what="the trigger to remove the stray turn",
    )
    time.sleep(1)
    assert _user_tree(db, user.uid) == []


def test_a_deactivated_user_can_do_nothing_until_reactivated(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    admin = make_admin(new_user("root@example.com"))
    user = new_user("dee@example.com")
    _create_conversation_as(user, "c1")

    off = call_function(
        "setUserActive", {"uid": user.uid, "active": False}, id_token=admin.id_token
    )
    assert off.status_code == 200, off.text
    send = call_function("sendMessage", {"prompt": "still here"}, id_token=user.id_token)
    profile = call_function("getProfile", {}, id_token=user.id_token)
    with pytest.raises(gexc.PermissionDenied):
        _write_turn_as(user, "c1", "t1")

    assert [_error(send), _error(profile)] == ["PERMISSION_DENIED"] * 2
    assert "deactivated" in send.json()["error"]["message"]
    assert list(db.collection(paths.messages(user.uid, "c1")).stream()) == []

    on = call_function("setUserActive", {"uid": user.uid, "active": True}, id_token=admin.id_token)
    assert on.status_code == 200, on.text
    fresh = sign_in("dee@example.com", PASSWORD)
    resent = call_function("sendMessage", {"prompt": "what is 2 + 2?"}, id_token=fresh.id_token)
    _write_turn_as(fresh, "c1", "t2")

    assert resent.status_code == 200, resent.text
    sent = resent.json()["result"]
    for cid, turn_id in [(sent["conversationId"], sent["turnId"]), ("c1", "t2")]:
        status = wait_for(
            functools.partial(_turn_status, db, user.uid, cid, turn_id),
            what=f"the trigger to queue {turn_id}",
        )
        assert status.get("error") is None
        assert status["attempt"] == 1


def test_a_turn_written_just_before_deactivation_is_failed_readably(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    admin = make_admin(new_user("root@example.com"))
    user = new_user()
    off = call_function(
        "setUserActive", {"uid": user.uid, "active": False}, id_token=admin.id_token
    )
    assert off.status_code == 200, off.text

    # The rules accepted it a moment before the deactivation; its trigger runs after.
    db.document(paths.turn(user.uid, "c1", "t1")).set(
        {"prompt": "what is 2 + 2?", "createTime": firestore.SERVER_TIMESTAMP}
    )

    status = wait_for(lambda: _turn_status(db, user.uid, "c1", "t1"), what="the trigger")
    assert status["state"] == "ERROR"
    assert status["error"]["code"] == "account-deactivated"
    assert "deactivated" in status["error"]["message"]
    assert not db.document(paths.conversation(user.uid, "c1")).get().exists  # no bookkeeping


def test_the_analytics_trigger_drops_a_deactivated_users_event(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    admin = make_admin(new_user("root@example.com"))
    user = new_user()
    db.document(paths.user(user.uid)).update({"consent.analytics": True})
    off = call_function(
        "setUserActive", {"uid": user.uid, "active": False}, id_token=admin.id_token
    )
    assert off.status_code == 200, off.text

    # Written a moment before the deactivation (the rules refuse it now).
    event = paths.analytics_event("evt-deactivated-1")
    db.document(event).set(
        {
            "uid": user.uid,
            "type": "app_open",
            "data": {},
            "sessionId": "s1",
            "clientTime": utc_now(),
            "createTime": firestore.SERVER_TIMESTAMP,
        }
    )

    wait_for(lambda: not db.document(event).get().exists, what="the trigger to drop the event")
    stats = list(db.collection(f"{paths.user(user.uid)}/stats").stream())
    assert stats == []
