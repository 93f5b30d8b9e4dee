"""Lazily created Google Cloud clients, one per process."""

from __future__ import annotations

import functools
import os

from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore


@functools.cache
def firestore_client(project_id: str) -> firestore.Client:
    """Anonymous credentials under the emulator (the Admin SDK would ask for real ones)."""
    if os.environ.get("FIRESTORE_EMULATOR_HOST"):
        return firestore.Client(project=project_id, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    return firestore.Client(project=project_id)
