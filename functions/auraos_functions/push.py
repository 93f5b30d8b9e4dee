"""Push messages through `firebase_admin.messaging` (FCM HTTP v1): build them, send them, say
which tokens FCM no longer knows. Never raises: a push is a courtesy on top of the notification
document, which is the in-app truth."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import firebase_admin
from firebase_admin import messaging

from shared.models.assistant import Notification

log = logging.getLogger(__name__)
# A reminder delivered a day late is noise; FCM drops it instead.
PUSH_TTL_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class PushOutcome:
    token: str
    message_id: str | None  # FCM's name for the sent message; None: not sent
    unregistered: bool  # FCM says the token is gone (uninstalled, expired): forget it
    error: str | None = None


def notification_message(
    *, token: str, notification_id: str, notification: Notification
) -> messaging.Message:
    """One device's message: a web-push notification plus data the PWA's service worker reads
    (the notification's id and the path it is about, e.g. the reminder)."""
    data = {"kind": notification.kind.value, "notificationId": notification_id}
    if notification.ref is not None:
        data["ref"] = notification.ref
    # The web SDK's getToken() gives a registration token, which is what `token` takes (7.x
    # deprecates it in favour of `fid`, Firebase installation ids, which browsers do not send).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return messaging.Message(
            token=token,
            notification=messaging.Notification(title=notification.title, body=notification.body),
            data=data,
            webpush=messaging.WebpushConfig(headers={"Urgency": "high", "TTL": str(PUSH_TTL_S)}),
        )


def send_each(
    *, app: firebase_admin.App, messages: Sequence[messaging.Message]
) -> list[PushOutcome]:
    """Send each message (one FCM request per message); an outcome per message, in order."""
    if not messages:
        return []
    tokens = [str(message.token) for message in messages]
    try:
        batch = messaging.send_each(list(messages), app=app)
    except Exception as error:  # the SDK's own failure (not a per-message one): nothing sent
        log.warning("push failed", extra={"error": repr(error), "messages": len(messages)})
        return [PushOutcome(token, None, unregistered=False, error=repr(error)) for token in tokens]
    outcomes = []
    for token, response in zip(tokens, batch.responses, strict=True):
        failure = response.exception
        outcomes.append(
            PushOutcome(
                token=token,
                message_id=response.message_id if response.success else None,
                unregistered=isinstance(failure, messaging.UnregisteredError),
                error=None if failure is None else f"{type(failure).__name__}: {failure}",
            )
        )
    failed = [o for o in outcomes if o.message_id is None]
    if failed:
        log.info(
            "push partly failed",
            extra={"sent": len(outcomes) - len(failed), "errors": [o.error for o in failed]},
        )
    return outcomes
