"""Helpers for integration tests: call functions like a client SDK, wait for asynchronous work."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tools.emulator_auth import SignedInUser, sign_in
from tools.local_stack import PROJECT_ID

FUNCTIONS = "http://127.0.0.1:5001"


def call_function(
    name: str, data: Any, *, id_token: str | None = None, timeout_s: float = 60
) -> requests.Response:
    """Call a callable function the way the Firebase client SDKs do."""
    headers = {"Content-Type": "application/json"}
    if id_token:
        headers["Authorization"] = f"Bearer {id_token}"
    return requests.post(
        f"{FUNCTIONS}/{PROJECT_ID}/us-central1/{name}",
        json={"data": data},
        headers=headers,
        timeout=timeout_s,
    )


def wait_for(
    probe: Callable[[], Any], *, timeout_s: float = 60, interval_s: float = 0.2, what: str = ""
) -> Any:
    """Poll `probe` until it returns something truthy; fail with `what` on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval_s)
    pytest.fail(f"timed out after {timeout_s}s waiting for {what or probe}")


def make_admin(user: SignedInUser) -> SignedInUser:
    """Give `user` the admin role as an operator would (Admin SDK), then sign in again."""
    import firebase_admin
    from firebase_admin import auth

    try:
        app = firebase_admin.get_app()
    except ValueError:
        app = firebase_admin.initialize_app(options={"projectId": PROJECT_ID})
    auth.set_custom_user_claims(user.uid, {"role": "admin"}, app=app)
    return sign_in(user.email, "secret-pass-1")


def completed_turn(db: Any, path: str, *, timeout_s: float, what: str) -> dict[str, Any]:
    """The turn at `path` once it is COMPLETED (polled each second through the admin client)."""

    def completed() -> dict[str, Any] | None:
        turn: dict[str, Any] = db.document(path).get().to_dict() or {}
        return turn if (turn.get("status") or {}).get("state") == "COMPLETED" else None

    found: dict[str, Any] = wait_for(completed, timeout_s=timeout_s, interval_s=1, what=what)
    return found
