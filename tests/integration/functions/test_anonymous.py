"""Guest (anonymous) accounts, which the Auth emulator allows: they may do nothing.

They skip before_user_created, so they have no profile, consent or role; before, one such account
got its turns answered. Now every callable refuses them with a message that says what to do, and
the rules refuse their writes (no usable users/{uid}).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests
from google.api_core import exceptions as gexc
from google.cloud import firestore

from shared import paths
from tools.local_stack import PROJECT_ID
from tools.user_firestore import user_client

from ..helpers import call_function


def _anonymous() -> dict[str, Any]:
    host = os.environ["FIREBASE_AUTH_EMULATOR_HOST"]
    response = requests.post(
        f"http://{host}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=fake-api-key",
        json={"returnSecureToken": True},
        timeout=30,
    )
    response.raise_for_status()
    payload: dict[str, Any] = response.json()
    return payload


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("sendMessage", {"conversationId": "c1", "turnId": "t1", "prompt": "hello"}),
        ("getProfile", {}),
        ("trackEvents", {"events": [{"type": "app_open", "data": {}}]}),
    ],
)
def test_a_guest_session_is_refused_by_the_callables_and_told_why(
    db: firestore.Client, name: str, data: dict[str, Any]
) -> None:
    guest = _anonymous()

    response = call_function(name, data, id_token=guest["idToken"])

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["status"] == "PERMISSION_DENIED"
    assert "Sign in with an e-mail address" in error["message"]
    assert not list(db.collection(paths.conversations(guest["localId"])).list_documents())


def test_a_guest_session_cannot_write_a_turn_through_the_rules(db: firestore.Client) -> None:
    guest = _anonymous()
    as_guest = user_client(project=PROJECT_ID, id_token=guest["idToken"])
    turn = paths.turn(guest["localId"], "c1", "t1")

    with pytest.raises(gexc.PermissionDenied):
        as_guest.document(turn).create(
            {"prompt": "hello", "createTime": firestore.SERVER_TIMESTAMP}
        )

    assert not db.document(turn).get().exists
