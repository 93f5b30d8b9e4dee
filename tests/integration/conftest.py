"""Fixtures for tests against the running emulators (started by `emulators/exec.sh`).

The emulators, functions and ai_service are shared by the session; every test starts from an empty
Firestore and Auth, cleared through the emulators' REST endpoints.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from tools.emulator_auth import SignedInUser, sign_up
from tools.local_stack import PROJECT_ID

from . import contract

pytestmark = pytest.mark.emulators

FUNCTIONS = "http://127.0.0.1:5001"
AI_SERVICE = "http://127.0.0.1:" + os.environ.get("AURAOS_AI_PORT", "8081")


def _host(var: str) -> str:
    value = os.environ.get(var)
    if not value:
        pytest.fail(f"{var} is not set: run integration tests through emulators/exec.sh")
    return "http://" + value


@pytest.fixture(scope="session")
def db() -> firestore.Client:
    """An admin client (rules bypassed) for arranging and checking documents."""
    _host("FIRESTORE_EMULATOR_HOST")
    return firestore.Client(project=PROJECT_ID, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]


def _delete(url: str) -> None:
    """DELETE with a few retries: the emulator answers 409 while a transaction still holds locks
    (a trigger of the previous test finishing)."""
    for attempt in range(20):
        response = requests.delete(url, timeout=30)
        if response.status_code != 409:
            response.raise_for_status()
            return
        time.sleep(0.1 * (attempt + 1))
    response.raise_for_status()


@pytest.fixture(autouse=True)
def _clean_emulators() -> None:
    firestore_base = _host("FIRESTORE_EMULATOR_HOST")
    auth_base = _host("FIREBASE_AUTH_EMULATOR_HOST")
    contract.harvest(firestore_base)  # what the previous test left, for test_zz_contract.py
    _delete(f"{firestore_base}/emulator/v1/projects/{PROJECT_ID}/databases/(default)/documents")
    _delete(f"{auth_base}/emulator/v1/projects/{PROJECT_ID}/accounts")


@pytest.fixture
def new_user() -> Callable[..., SignedInUser]:
    """Sign up a fresh user through the Auth emulator (blocking functions run)."""

    def make(email: str | None = None, password: str = "secret-pass-1") -> SignedInUser:
        return sign_up(email or f"user-{uuid.uuid4().hex[:10]}@example.com", password)

    return make


@pytest.fixture
def background_sweeps_paused() -> Iterator[None]:
    """For a test that runs the sweeper by hand: the local scheduler's runs skip meanwhile."""
    from tools.local_scheduler import DEFAULT_PAUSE_FILE

    pause = Path(os.environ.get("AURAOS_SCHEDULER_PAUSE_FILE") or DEFAULT_PAUSE_FILE)
    pause.parent.mkdir(parents=True, exist_ok=True)
    pause.touch()
    try:
        yield
    finally:
        pause.unlink(missing_ok=True)
