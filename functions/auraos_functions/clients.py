"""Google Cloud clients, created lazily once per process (the CLI imports main.py without I/O)."""

from __future__ import annotations

import functools
import os

import firebase_admin
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore, pubsub_v1  # type: ignore[attr-defined]

from .config import settings


@functools.cache
def firestore_client() -> firestore.Client:
    """Firestore for this project; anonymous credentials under the emulator, ADC otherwise."""
    project = settings().project_id
    if os.environ.get("FIRESTORE_EMULATOR_HOST"):
        return firestore.Client(project=project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    return firestore.Client(project=project)


@functools.cache
def publisher() -> pubsub_v1.PublisherClient:
    return pubsub_v1.PublisherClient()


@functools.cache
def firebase_app() -> firebase_admin.App:
    """The Admin SDK app (Auth custom claims, user deletion); reuses one the runtime created."""
    try:
        return firebase_admin.get_app()
    except ValueError:
        return firebase_admin.initialize_app(options={"projectId": settings().project_id})
