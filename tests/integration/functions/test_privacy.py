"""GDPR on the emulators: export returns every document holding the uid; deletion leaves none,
resumes after a crash, and is a no-op the second time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import firebase_admin
import pytest
from firebase_admin import auth
from google.cloud import firestore
from google.cloud.firestore_v1 import DocumentReference
from google.cloud.firestore_v1.vector import Vector

from auraos_functions.services import privacy
from shared import paths
from shared.models.base import utc_now
from tools.emulator_auth import SignedInUser
from tools.local_stack import PROJECT_ID

from ..helpers import call_function, wait_for


@pytest.fixture(scope="module")
def admin_app() -> firebase_admin.App:
    try:
        return firebase_admin.get_app()
    except ValueError:
        return firebase_admin.initialize_app(options={"projectId": PROJECT_ID})


def all_documents(db: firestore.Client) -> Iterator[DocumentReference]:
    """Every document in the emulator, subcollections included (including missing parents)."""

    def walk(collections: Any) -> Iterator[DocumentReference]:
        for collection in collections:
            for ref in collection.list_documents():
                yield ref
                yield from walk(ref.collections())

    yield from walk(db.collections())


def documents_holding(db: firestore.Client, uid: str) -> list[str]:
    found = []
    for ref in all_documents(db):
        snapshot = ref.get()
        if uid in ref.path or (snapshot.exists and uid in repr(snapshot.to_dict())):
            found.append(ref.path)
    return found


def assistant_items(uid: str) -> dict[str, dict[str, Any]]:
    """One document in each of the collections Aura's tools and panels write."""
    now = utc_now()
    items: dict[str, dict[str, Any]] = {
        paths.reminder(uid, "r1"): {
            "text": "water the plants",
            "dueAt": now + timedelta(days=1),
            "timeZone": "Europe/Lisbon",
            "status": "scheduled",
            "createdAt": now,
        },
        paths.task(uid, "t1"): {
            "text": "milk",
            "list": "shopping",
            "done": False,
            "createdAt": now,
        },
        paths.note(uid, "n1"): {"text": "door code", "createdAt": now, "updatedAt": now},
        paths.event(uid, "e1"): {
            "title": "Dentist",
            "startAt": now,
            "endAt": now + timedelta(hours=1),
            "timeZone": "UTC",
        },
        paths.notification(uid, "reminder-r0"): {
            "kind": "reminder",
            "title": "Reminder",
            "body": "call mum",
            "createdAt": now,
            "ref": paths.reminder(uid, "r0"),
        },
        paths.device(uid, "d1"): {"token": "tok-1", "createdAt": now, "lastSeenAt": now},
        paths.memory(uid, "m1"): {
            "text": "Lives in Porto",
            "kind": "fact",
            "slot": "home",
            "createdAt": now,
            "updatedAt": now,
            "embedding": Vector([0.6, 0.8, 0.0]),
        },
    }
    assert {path.split("/")[2] for path in items} == set(paths.ASSISTANT_COLLECTIONS)
    return items


def seed_everywhere(db: firestore.Client, user: SignedInUser) -> set[str]:
    """A user with data in every collection that can hold a uid; returns the paths."""
    uid, now = user.uid, utc_now()
    # With analytics consent: the analytics trigger discards events of users without it.
    db.document(paths.user(uid)).update({"consent.analytics": True})
    writes: dict[str, dict[str, Any]] = {
        paths.conversation(uid, "c1"): {"title": "Trip", "createdAt": now},
        paths.turn(uid, "c1", "t1"): {
            "prompt": "hi",
            "createTime": now,
            "status": {"state": "COMPLETED", "attempt": 1},
            "response": "hello",
        },
        paths.daily_stats(uid, "2026-11-26"): {"day": "2026-11-26", "events": 3},
        paths.analytics_event("evt-00000001"): {
            "uid": uid,
            "type": "app_open",
            "data": {},
            "sessionId": "s1",
            "clientTime": now,
        },
        paths.recommendations(uid): {"items": [], "updatedAt": now},
        f"{paths.SECURITY_ALERTS}/alert-1": {
            "uid": uid,
            "kind": "burst",
            "severity": "high",
            "score": 0.9,
            "reason": "r",
            "createTime": now,
            "window": "w",
        },
        f"{paths.AUDIT_LOGS}/audit-1": {
            "action": "role_changed",
            "actorUid": "admin-x",
            "targetUid": uid,
            "createTime": now,
        },
    }
    writes |= assistant_items(uid)
    for path, data in writes.items():
        db.document(path).set(data)
    sessions = {d.reference.path for d in db.collection(f"{paths.user(uid)}/sessions").stream()}
    return set(writes) | sessions | {paths.user(uid)}


def test_export_returns_every_document_holding_the_uid(
    db: firestore.Client, new_user: Callable[..., SignedInUser]
) -> None:
    user = new_user("gdpr@example.com")
    seeded = seed_everywhere(db, user)

    response = call_function("exportMyData", {}, id_token=user.id_token)

    assert response.status_code == 200, response.text
    export = response.json()["result"]
    account = export["account"]
    exported = {paths.user(user.uid)}
    exported |= {f"{paths.user(user.uid)}/sessions/{s['id']}" for s in account["sessions"]}
    for conversation in account["conversations"]:
        exported.add(paths.conversation(user.uid, conversation["id"]))
        exported |= {
            paths.turn(user.uid, conversation["id"], m["id"]) for m in conversation["messages"]
        }
    exported |= {paths.daily_stats(user.uid, s["id"]) for s in account["stats"]}
    for collection in paths.ASSISTANT_COLLECTIONS:
        exported |= {paths.user_item(user.uid, collection, d["id"]) for d in account[collection]}
    exported |= {paths.analytics_event(e["id"]) for e in export["analyticsEvents"]}
    exported |= {f"{paths.SECURITY_ALERTS}/{a['id']}" for a in export["securityAlerts"]}
    exported |= {f"{paths.AUDIT_LOGS}/{a['id']}" for a in export["auditLog"]}
    exported |= {paths.recommendations(user.uid)} if export["recommendations"] else set()
    holding = set(documents_holding(db, user.uid))
    assert seeded <= holding
    assert holding - exported == set()
    assert account["email"] == "gdpr@example.com"
    assert account["conversations"][0]["messages"][0]["response"] == "hello"
    assert account["reminders"][0]["text"] == "water the plants"
    assert account["tasks"][0]["list"] == "shopping"
    assert account["notifications"][0]["body"] == "call mum"


def test_export_lists_every_assistant_collection_even_when_empty(
    new_user: Callable[..., SignedInUser],
) -> None:
    user = new_user()

    response = call_function("exportMyData", {}, id_token=user.id_token)

    assert response.status_code == 200, response.text
    account = response.json()["result"]["account"]
    assert {collection: account[collection] for collection in paths.ASSISTANT_COLLECTIONS} == {
        collection: [] for collection in paths.ASSISTANT_COLLECTIONS
    }


def test_delete_my_account_leaves_no_document_and_no_auth_user(
    db: firestore.Client, new_user: Callable[..., SignedInUser], admin_app: firebase_admin.App
) -> None:
    user = new_user("leaving@example.com")
    seed_everywhere(db, user)

    first = call_function("deleteMyAccount", {}, id_token=user.id_token)

    assert first.json()["result"] == {"status": "pending"}
    wait_for(
        lambda: not documents_holding(db, user.uid),
        timeout_s=60,
        what="every document holding the uid to be gone",
    )
    with pytest.raises(auth.UserNotFoundError):
        auth.get_user(user.uid, app=admin_app)
    audit = [d.to_dict() or {} for d in db.collection(paths.AUDIT_LOGS).stream()]
    assert {"account_deletion_requested", "account_deleted", "role_changed"} <= {
        a["action"] for a in audit
    }
    # The old token opens nothing any more (test_account_state has the rest).
    second = call_function("deleteMyAccount", {}, id_token=user.id_token)
    assert second.json()["error"]["status"] == "UNAUTHENTICATED"
    assert documents_holding(db, user.uid) == []


class SimulatedCrash(Exception):
    pass


def test_a_deletion_that_crashes_midway_resumes_and_completes(
    db: firestore.Client, new_user: Callable[..., SignedInUser], admin_app: firebase_admin.App
) -> None:
    user = new_user("crashy@example.com")
    seed_everywhere(db, user)
    privacy.mark_for_deletion(db=db, uid=user.uid, now=utc_now())

    def crash_after_audit(step: privacy.DeletionStep) -> None:
        if step is privacy.DeletionStep.AUDIT_PSEUDONYMS:
            raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        privacy.delete_user_data(
            db=db, app=admin_app, uid=user.uid, now=utc_now, after_step=crash_after_audit
        )
    assert db.document(paths.user(user.uid)).get().exists  # the crash left work undone
    assert (
        db.collection(paths.ANALYTICS_EVENTS)
        .where(filter=firestore.FieldFilter("uid", "==", user.uid))
        .get()
        == []
    )

    resumed = privacy.delete_user_data(db=db, app=admin_app, uid=user.uid, now=utc_now)
    again = privacy.delete_user_data(db=db, app=admin_app, uid=user.uid, now=utc_now)

    assert resumed is True
    assert again is False
    assert documents_holding(db, user.uid) == []
    with pytest.raises(auth.UserNotFoundError):
        auth.get_user(user.uid, app=admin_app)
