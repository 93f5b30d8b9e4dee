"""Google Cloud clients, created lazily once per process (the CLI imports main.py without I/O)."""

from __future__ import annotations

import functools
import os
import threading

import firebase_admin
from firebase_admin import credentials, messaging
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore, pubsub_v1  # type: ignore[attr-defined]

from .config import ConfigurationError, settings

# What a send to the fake FCM may take (the SDK's default is 120 s, which a test cannot wait).
FAKE_FCM_TIMEOUT_S = 10


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


def messaging_app() -> firebase_admin.App | None:
    """The app `firebase_admin.messaging` sends through; None: no push is sent.

    Deployed: the default app (FCM with the runtime's credentials). Under the emulators FCM has
    no emulator of its own: an app aimed at AURAOS_FCM_EMULATOR_HOST when it is set (a local
    server speaking the FCM v1 API), otherwise None, so the local stack never calls real FCM.
    """
    config = settings()
    if config.fcm_emulator_host is not None:
        return _fake_fcm_app(config.fcm_emulator_host)
    if config.on_emulators:
        return None
    return firebase_app()


class _NoCredential(credentials.Base):  # type: ignore[misc]
    """A local FCM server wants no OAuth token, and fetching one would need the network."""

    def get_credential(self) -> AnonymousCredentials:
        return AnonymousCredentials()  # type: ignore[no-untyped-call]


_FAKE_FCM_LOCK = threading.Lock()


def _fake_fcm_app(host: str) -> firebase_admin.App:
    """An app of its own (the default app stays as deployed) whose messaging service posts to
    `host`. The SDK has no endpoint option: its service keeps the send URL in `_fcm_url`,
    built from `_MessagingService.FCM_URL` (firebase-admin 7.x; tests/unit/functions checks
    both still exist, so an upgrade that renames them fails a test, not a push silently)."""
    name = f"auraos-fake-fcm-{host}"
    with _FAKE_FCM_LOCK:  # overlapping runs in one process must not both create it
        try:
            return firebase_admin.get_app(name)
        except ValueError:
            pass
        project = settings().project_id
        app = firebase_admin.initialize_app(
            credential=_NoCredential(),
            options={"projectId": project, "httpTimeout": FAKE_FCM_TIMEOUT_S},
            name=name,
        )
        service = messaging._get_messaging_service(app)
        if not hasattr(service, "_fcm_url"):
            firebase_admin.delete_app(app)
            raise ConfigurationError("this firebase-admin cannot be aimed at a local FCM server")
        service._fcm_url = f"http://{host}/v1/projects/{project}/messages:send"
        return app
