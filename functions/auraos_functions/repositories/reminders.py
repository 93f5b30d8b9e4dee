"""`users/{uid}/reminders/{id}`: the due ones across users, firing once, cancelling."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1 import DocumentReference, DocumentSnapshot
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random

from shared import paths
from shared.errors import Conflict
from shared.models.assistant import (
    Notification,
    NotificationKind,
    Reminder,
    ReminderStatus,
)
from shared.models.users import AccountState, account_state

REMINDER_TITLE = "Reminder"
# Account states whose reminders wait: the deletion job removes them (and anything written
# after its sweep of the user's tree would outlive the account).
_NOT_FIRED_FOR = frozenset({AccountState.DELETING, AccountState.GONE})


@dataclass(frozen=True, slots=True)
class DueReminder:
    uid: str
    reminder_id: str


@dataclass(frozen=True, slots=True)
class FiredReminder:
    """A reminder this run moved to FIRED, with the notification written in the same commit."""

    uid: str
    reminder_id: str
    reminder: Reminder
    notification_id: str
    notification: Notification
    account: AccountState


def notification_id_for(reminder_id: str) -> str:
    """The id of a reminder's notification: one per reminder, whichever run fires it."""
    return f"reminder-{reminder_id}"


def due_reminders(
    *, db: firestore.Client, now: datetime, page_size: int, max_items: int
) -> Iterator[DueReminder]:
    """Scheduled reminders due at `now`, across users, oldest first (a collection-group query;
    its index is in firestore.indexes.json). Paged, so reminders a run leaves scheduled (an
    account being deleted) cannot hide the ones after them."""
    query = (
        db.collection_group(paths.REMINDERS)
        .where(filter=firestore.FieldFilter("status", "==", ReminderStatus.SCHEDULED.value))
        .where(filter=firestore.FieldFilter("dueAt", "<=", now))
        .order_by("dueAt")
        .limit(page_size)
    )
    seen = 0
    last: DocumentSnapshot[DocumentReference] | None = None
    while seen < max_items:
        page = list((query.start_after(last) if last is not None else query).stream())
        for doc in page:
            parts = doc.reference.path.split("/")
            if len(parts) == 4 and parts[0] == paths.USERS:  # not some other "reminders"
                yield DueReminder(uid=parts[1], reminder_id=parts[3])
        seen += len(page)
        if len(page) < page_size:
            return
        last = page[-1]


FIRE_ATTEMPTS = 8


def fire_reminder(
    *, db: firestore.Client, uid: str, reminder_id: str, now: datetime
) -> FiredReminder | None:
    """SCHEDULED -> FIRED and its notification, in one transaction; None when this call did not
    fire it (another run did, it was cancelled, it is not due, or its account is going away).

    The transaction reads the reminder and the profile, so two overlapping runs serialise on
    the reminder (one sees it FIRED and writes nothing) and a deletion marking the profile
    serialises with the firing.
    """
    ref = db.document(paths.reminder(uid, reminder_id))
    profile_ref = db.document(paths.user(uid))
    notification_id = notification_id_for(reminder_id)
    notification_ref = db.document(paths.notification(uid, notification_id))

    @firestore.transactional
    def fire(transaction: firestore.Transaction) -> FiredReminder | None:
        data = ref.get(transaction=transaction).to_dict()
        account = account_state(profile_ref.get(transaction=transaction).to_dict())
        if data is None or account in _NOT_FIRED_FOR:
            return None
        reminder = Reminder.from_document(data)
        if reminder.status is not ReminderStatus.SCHEDULED or reminder.due_at > now:
            return None
        fired = reminder.moved_to(ReminderStatus.FIRED, at=now)
        notification = Notification(
            kind=NotificationKind.REMINDER,
            title=REMINDER_TITLE,
            body=reminder.text,
            created_at=now,
            ref=ref.path,
        )
        transaction.update(ref, {"status": fired.status.value, "firedAt": now})
        transaction.set(notification_ref, notification.to_document())
        return FiredReminder(
            uid=uid,
            reminder_id=reminder_id,
            reminder=fired,
            notification_id=notification_id,
            notification=notification,
            account=account,
        )

    # Overlapping runs lock the same reminder and profile: both transactions can abort ("lock
    # timeout") and, retried at once, abort again in step. A random wait between attempts
    # breaks the tie; the loser then sees the reminder fired and writes nothing.
    for attempt in Retrying(
        retry=retry_if_exception(_contended),
        wait=wait_random(0.05, 0.5),
        stop=stop_after_attempt(FIRE_ATTEMPTS),
        reraise=True,
    ):
        with attempt:
            result: FiredReminder | None = fire(db.transaction(max_attempts=1))
    return result


def _contended(error: BaseException) -> bool:
    """A transaction another one aborted (the SDK wraps the last Aborted in a ValueError)."""
    return isinstance(error, gexc.Aborted) or (
        isinstance(error, ValueError) and isinstance(error.__cause__, gexc.Aborted)
    )


def create_reminder(*, db: firestore.Client, uid: str, reminder: Reminder) -> str:
    """A new reminder under a generated id; returns the id."""
    ref = db.collection(f"{paths.user(uid)}/{paths.REMINDERS}").document()
    ref.create(reminder.to_document())
    return str(ref.id)


def cancel_reminder(
    *, db: firestore.Client, uid: str, reminder_id: str, now: datetime
) -> Reminder | None:
    """SCHEDULED|FIRED -> CANCELLED; None when there is no such reminder, Conflict when it is
    done or cancelled already. A transaction, so a cancel racing the firing run is one or the
    other: fired then cancelled, or cancelled and never fired."""
    ref = db.document(paths.reminder(uid, reminder_id))

    @firestore.transactional
    def cancel(transaction: firestore.Transaction) -> Reminder | None:
        data = ref.get(transaction=transaction).to_dict()
        if data is None:
            return None
        reminder = Reminder.from_document(data)
        try:
            cancelled = reminder.moved_to(ReminderStatus.CANCELLED, at=now)
        except ValueError as error:
            raise Conflict(
                f"This reminder is {reminder.status.value}; it can no longer be cancelled.",
                details={"status": reminder.status.value},
            ) from error
        transaction.update(ref, {"status": cancelled.status.value})
        return cancelled

    result: Reminder | None = cancel(db.transaction())
    return result
