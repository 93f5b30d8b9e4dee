"""Reminders fire: every minute, each due reminder once, as a notification and a push."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import firebase_admin
from google.cloud import firestore

from shared.models.users import AccountState

from .. import push
from ..repositories import devices, reminders

log = logging.getLogger(__name__)
PAGE_SIZE = 100
# What one run fires at most (a minute's run must end well within the function's timeout); the
# rest are due for the next run.
MAX_PER_RUN = 1000


@dataclass(frozen=True, slots=True)
class FireReport:
    due: int = 0  # scheduled and due when the run looked
    fired: int = 0  # moved to FIRED by this run (the others: another run, a cancel, ...)
    pushed: int = 0  # messages FCM accepted
    push_failures: int = 0
    tokens_removed: int = 0  # tokens FCM reported unregistered, deleted


def fire_due_reminders(
    *, db: firestore.Client, now: datetime, messaging_app: firebase_admin.App | None
) -> FireReport:
    """Fire what is due at `now`. Firing is a transaction (exactly once, however many runs
    overlap); the push follows the commit and its failure changes nothing that was written.
    `messaging_app` None: no push (the emulators without a local FCM)."""
    due = fired = pushed = failures = removed = 0
    for item in reminders.due_reminders(db=db, now=now, page_size=PAGE_SIZE, max_items=MAX_PER_RUN):
        due += 1
        try:
            result = reminders.fire_reminder(
                db=db, uid=item.uid, reminder_id=item.reminder_id, now=now
            )
        except Exception:  # one bad document must not stop the others
            log.exception("reminder not fired", extra={"uid": item.uid, "id": item.reminder_id})
            continue
        if result is None:
            continue
        fired += 1
        log.info("reminder fired", extra={"uid": item.uid, "id": item.reminder_id})
        if messaging_app is None or result.account is not AccountState.ACTIVE:
            continue
        sent, failed, gone = _push(db=db, fired=result, app=messaging_app)
        pushed, failures, removed = pushed + sent, failures + failed, removed + gone
    report = FireReport(
        due=due, fired=fired, pushed=pushed, push_failures=failures, tokens_removed=removed
    )
    if due:
        log.info("reminders run", extra={"report": report.__repr__()})
    return report


def _push(
    *, db: firestore.Client, fired: reminders.FiredReminder, app: firebase_admin.App
) -> tuple[int, int, int]:
    """(sent, failed, tokens removed) for one fired reminder's devices."""
    try:
        tokens = [device.token for device in devices.devices(db=db, uid=fired.uid)]
        messages = [
            push.notification_message(
                token=token,
                notification_id=fired.notification_id,
                notification=fired.notification,
            )
            for token in tokens
        ]
        outcomes = push.send_each(app=app, messages=messages)
        gone = [o.token for o in outcomes if o.unregistered]
        devices.remove_tokens(db=db, uid=fired.uid, tokens=gone)
    except Exception:  # fired is fired: the notification document stands without the push
        log.exception("push for a fired reminder failed", extra={"uid": fired.uid})
        return 0, 1, 0
    sent = sum(1 for o in outcomes if o.message_id is not None)
    return sent, len(outcomes) - sent, len(gone)
