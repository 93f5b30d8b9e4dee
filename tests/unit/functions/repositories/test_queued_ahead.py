"""The count of turns queued ahead is what the app shows while a turn waits: a Firestore that
cannot answer it leaves the count out, never the turn unqueued."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime

from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from auraos_functions.repositories import turns


def _unreachable_firestore() -> firestore.Client:
    """A real client for a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return firestore.Client(
        project="demo-unreachable",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": f"127.0.0.1:{port}"},
    )


def test_a_count_firestore_cannot_answer_is_left_out_within_its_timeout() -> None:
    started = time.monotonic()
    assert turns._count_queued_before(db=_unreachable_firestore(), when=datetime.now(UTC)) is None
    assert time.monotonic() - started < turns._COUNT_TIMEOUT_S + 3
