"""Bootstrap the local emulators: Pub/Sub topics, push subscriptions to ai_service, demo data.

Idempotent: run it after every `firebase emulators:start`; what exists already is left alone.
    python -m tools.local_stack --push-endpoint http://127.0.0.1:8081/pubsub/push [--seed]
"""

from __future__ import annotations

import argparse
import logging
import os
import uuid
from typing import Any

import requests

from shared import paths
from shared.events import Topic

log = logging.getLogger(__name__)

PROJECT_ID = "demo-auraos"
DEMO_EMAIL = "demo@auraos.dev"
DEMO_PASSWORD = "demo-password"  # noqa: S105 - a public demo account on the local emulator only
BLOCKED_DEMO_DOMAIN = "blocked.example"
# Topics ai_service consumes through push; the dead-letter topic is consumed by a function.
PUSHED_TOPICS = (Topic.CHAT_REQUESTED, Topic.ANALYTICS_RECORDED)
MAX_DELIVERY_ATTEMPTS = 5
ACK_DEADLINE_S = 300  # a streamed reply on the local model can take tens of seconds


def _emulator(var: str, default: str) -> str:
    return "http://" + os.environ.get(var, default)


def ensure_topic(*, session: requests.Session, base: str, project: str, topic: str) -> None:
    response = session.put(f"{base}/v1/projects/{project}/topics/{topic}", json={}, timeout=10)
    if response.status_code not in (200, 409):
        response.raise_for_status()


def ensure_push_subscription(
    *,
    session: requests.Session,
    base: str,
    project: str,
    topic: str,
    endpoint: str,
) -> str:
    """A push subscription for `topic`, recreated when its endpoint changed."""
    name = f"{topic}-to-ai-service"
    url = f"{base}/v1/projects/{project}/subscriptions/{name}"
    body: dict[str, Any] = {
        "topic": f"projects/{project}/topics/{topic}",
        "pushConfig": {"pushEndpoint": endpoint},
        "ackDeadlineSeconds": ACK_DEADLINE_S,
        "retryPolicy": {"minimumBackoff": "1s", "maximumBackoff": "30s"},
        "deadLetterPolicy": {
            "deadLetterTopic": f"projects/{project}/topics/{Topic.DEAD_LETTER.value}",
            "maxDeliveryAttempts": MAX_DELIVERY_ATTEMPTS,
        },
    }
    existing = session.get(url, timeout=10)
    if existing.ok and existing.json().get("pushConfig", {}).get("pushEndpoint") == endpoint:
        return name
    if existing.ok:
        session.delete(url, timeout=10).raise_for_status()
    session.put(url, json=body, timeout=10).raise_for_status()
    return name


def bootstrap_pubsub(*, push_endpoint: str, project: str = PROJECT_ID) -> list[str]:
    """Create every topic and the push subscriptions; returns the subscription names."""
    base = _emulator("PUBSUB_EMULATOR_HOST", "127.0.0.1:8085")
    with requests.Session() as session:
        for topic in Topic:
            ensure_topic(session=session, base=base, project=project, topic=topic.value)
        return [
            ensure_push_subscription(
                session=session, base=base, project=project, topic=t.value, endpoint=push_endpoint
            )
            for t in PUSHED_TOPICS
        ]


def seed_demo(*, project: str = PROJECT_ID) -> None:
    """Feature flags and a demo account (its profile appears at its first sign-in)."""
    firestore = _emulator("FIRESTORE_EMULATOR_HOST", "127.0.0.1:8080")
    auth = _emulator("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    with requests.Session() as session:
        flags_url = (
            f"{firestore}/v1/projects/{project}/databases/(default)/documents/{paths.FLAGS_DOC}"
        )
        flags = {
            "fields": {
                "chatEnabled": {"booleanValue": True},
                "blockedEmailDomains": {
                    "arrayValue": {"values": [{"stringValue": BLOCKED_DEMO_DOMAIN}]}
                },
            }
        }
        session.patch(
            flags_url, json=flags, headers={"Authorization": "Bearer owner"}, timeout=10
        ).raise_for_status()
        response = session.post(
            f"{auth}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=fake-api-key",
            json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "returnSecureToken": True},
            timeout=30,
        )
        if not response.ok and "EMAIL_EXISTS" not in response.text:
            response.raise_for_status()


def warm_up_blocking_functions(*, attempts: int = 4) -> None:
    """Sign a throwaway account up and in, then delete it.

    The Functions emulator starts a blocking function's Python runtime at its first call, which
    on a busy machine can outlast the Auth emulator's deadline for it (the first sign-up then
    fails with "Deadline exceeded"). Warmed here, with retries, no user or test meets that.
    """
    auth = _emulator("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    api = f"{auth}/identitytoolkit.googleapis.com/v1"
    account = {"email": f"warm-up-{uuid.uuid4().hex[:12]}@example.com", "password": "warm-up-1"}
    with requests.Session() as session:
        for step in ("accounts:signUp", "accounts:signInWithPassword"):
            for attempt in range(1, attempts + 1):
                response = session.post(
                    f"{api}/{step}?key=fake-api-key",
                    json={**account, "returnSecureToken": True},
                    timeout=60,
                )
                if response.ok:
                    break
                log.info("blocking functions still starting (%s, try %d)", step, attempt)
            response.raise_for_status()
        session.post(
            f"{api}/accounts:delete?key=fake-api-key",
            json={"idToken": response.json()["idToken"]},
            timeout=30,
        ).raise_for_status()
    log.info("blocking functions warmed up")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--push-endpoint", default="http://127.0.0.1:8081/pubsub/push")
    parser.add_argument("--seed", action="store_true", help="also write flags and a demo user")
    parser.add_argument(
        "--warm-up", action="store_true", help="first start the blocking functions' runtimes"
    )
    args = parser.parse_args()
    subscriptions = bootstrap_pubsub(push_endpoint=args.push_endpoint)
    log.info("pub/sub ready: %s -> %s", ", ".join(subscriptions), args.push_endpoint)
    if args.warm_up:
        warm_up_blocking_functions()
    if args.seed:
        seed_demo()
        log.info("seeded config/flags and %s / %s", DEMO_EMAIL, DEMO_PASSWORD)


if __name__ == "__main__":
    main()
