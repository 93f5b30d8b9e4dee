"""Fixtures: connect to the Firestore emulator, load the repo's rules, isolate every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .client import Emulator

RULES_FILE = Path(__file__).resolve().parents[2] / "firestore.rules"


@pytest.fixture(scope="session")
def emulator() -> Emulator:
    """The running emulator named by FIRESTORE_EMULATOR_HOST, with firestore.rules loaded."""
    host = os.environ.get("FIRESTORE_EMULATOR_HOST", "").strip()
    if not host:
        pytest.fail(
            "FIRESTORE_EMULATOR_HOST is not set: start the Firestore emulator "
            "(e.g. `firebase emulators:exec --only firestore`) and export its host:port. "
            "The security-rules suite never skips.",
            pytrace=False,
        )
    emu = Emulator(host)
    try:
        emu.load_rules(RULES_FILE.read_text(encoding="utf-8"))
    except requests.ConnectionError as exc:
        pytest.fail(f"Firestore emulator not reachable at {host}: {exc}", pytrace=False)
    return emu


@pytest.fixture(autouse=True)
def db(emulator: Emulator) -> Iterator[Emulator]:
    """Empty database before (and after) every test."""
    emulator.clear()
    yield emulator
    emulator.clear()
