"""The user's reminders, tasks, notes and events, and a conversation's pending action."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_vector_query import DistanceMeasure
from google.cloud.firestore_v1.vector import Vector

from shared import paths
from shared.models.assistant import (
    DEFAULT_TIME_ZONE,
    CalendarEvent,
    Note,
    PendingAction,
    Reminder,
    ReminderStatus,
    Task,
)
from shared.models.base import Document
from shared.models.chat import Conversation
from shared.models.recommendations import RecommendationTitle
from shared.models.users import Consent

M = TypeVar("M", bound=Document)

EMBEDDING_FIELD = "embedding"  # a note's vector, for search_notes
_SCAN_LIMIT = 200  # a user's open items a tool reads at most (lists are short; bounded anyway)


@dataclass(frozen=True, slots=True)
class Stored(Generic[M]):
    """A document and its id."""

    id: str
    item: M


@dataclass(frozen=True, slots=True)
class TurnSetting:
    """What a tool turn needs to know about its user and conversation, read in one round trip."""

    time_zone: str
    pending: PendingAction | None
    # The user's consent (memory is used only with personalisation: `domain.may_personalise`).
    consent: Consent = field(default_factory=Consent)
    # The conversation as read (the model's context reuses it instead of reading it again).
    conversation: Conversation | None = None


def _data(snapshot: Any) -> dict[str, Any]:
    """A (masked) snapshot's fields; {} for a missing document. `snapshot.get(field)` raises
    KeyError for an absent field, so read the dict."""
    if snapshot is None or not snapshot.exists:
        return {}
    return dict(snapshot.to_dict() or {})


def _known_zone(name: object) -> str:
    """The profile's zone; the rules can only check its shape, so an unknown one reads as UTC
    (as functions read it), never as a failed turn."""
    if isinstance(name, str):
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return DEFAULT_TIME_ZONE
        return name
    return DEFAULT_TIME_ZONE


class AssistantStore:
    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    # --- the turn's setting -------------------------------------------------------------
    def turn_setting(self, *, uid: str, cid: str) -> TurnSetting:
        """The user's time zone and consent, and the conversation with its pending action: two
        documents in one batched read."""
        profile_ref = self._db.document(paths.user(uid))
        conversation_ref = self._db.document(paths.conversation(uid, cid))
        snapshots = {
            snapshot.reference.path: snapshot
            for snapshot in self._db.get_all([profile_ref, conversation_ref])
        }
        profile = _data(snapshots.get(profile_ref.path))
        conversation = Conversation.from_document(_data(snapshots.get(conversation_ref.path)))
        return TurnSetting(
            time_zone=_known_zone(profile.get("timeZone")),
            pending=conversation.pending_action,
            consent=Consent.of_profile(profile),
            conversation=conversation,
        )

    def set_pending(self, *, uid: str, cid: str, pending: PendingAction | None) -> None:
        """Keep (or drop) the conversation's pending action; a deleted conversation stays so."""
        ref = self._db.document(paths.conversation(uid, cid))
        value: Any = pending.to_document() if pending is not None else firestore.DELETE_FIELD
        try:
            ref.update({"pendingAction": value})
        except gexc.NotFound:
            return

    # --- generic ------------------------------------------------------------------------
    def _create(self, path: str, item: M, *, extra: dict[str, Any] | None = None) -> Stored[M]:
        """Create `item` at `path` once: a second create (a redelivered turn) returns the first.
        `extra`: stored beside the model's fields (a vector)."""
        ref = self._db.document(path)
        try:
            ref.create({**item.to_document(), **(extra or {})})
        except gexc.Conflict:
            snapshot = ref.get()
            return Stored(id=ref.id, item=type(item).from_document(snapshot.to_dict() or {}))
        return Stored(id=ref.id, item=item)

    @staticmethod
    def _list(model: type[M], query: Any) -> list[Stored[M]]:
        return [
            Stored(id=snapshot.id, item=model.from_document(snapshot.to_dict() or {}))
            for snapshot in query.stream()
        ]

    # --- reminders ----------------------------------------------------------------------
    def create_reminder(self, *, uid: str, item_id: str, reminder: Reminder) -> Stored[Reminder]:
        return self._create(paths.reminder(uid, item_id), reminder)

    def reminders(
        self, *, uid: str, statuses: Sequence[ReminderStatus] = (ReminderStatus.SCHEDULED,)
    ) -> list[Stored[Reminder]]:
        """The user's reminders in `statuses`, soonest first."""
        collection = f"{paths.user(uid)}/{paths.REMINDERS}"
        query = (
            self._db.collection(collection)
            .where(filter=firestore.FieldFilter("status", "in", [s.value for s in statuses]))
            .limit(_SCAN_LIMIT)
        )
        found = self._list(Reminder, query)
        return sorted(found, key=lambda stored: stored.item.due_at)

    def update_reminder(self, *, uid: str, stored: Stored[Reminder]) -> None:
        self._db.document(paths.reminder(uid, stored.id)).update(
            {"status": stored.item.status.value, "firedAt": stored.item.fired_at}
            if stored.item.fired_at
            else {"status": stored.item.status.value}
        )

    # --- tasks ----------------------------------------------------------------------------
    def add_task(self, *, uid: str, item_id: str, task: Task) -> Stored[Task]:
        return self._create(paths.task(uid, item_id), task)

    def open_tasks(self, *, uid: str, list_name: str | None) -> list[Stored[Task]]:
        """Open items, oldest first; of one list, or of every list when `list_name` is None."""
        collection = f"{paths.user(uid)}/{paths.TASKS}"
        query = self._db.collection(collection).where(
            filter=firestore.FieldFilter("done", "==", False)
        )
        if list_name is not None:
            query = query.where(filter=firestore.FieldFilter("list", "==", list_name))
        found = self._list(Task, query.limit(_SCAN_LIMIT))
        return sorted(found, key=lambda stored: stored.item.created_at)

    def set_task_done(self, *, uid: str, task_id: str, done: bool, at: datetime) -> None:
        self._db.document(paths.task(uid, task_id)).update(
            {"done": done, "doneAt": at if done else None}
        )

    def delete_tasks(self, *, uid: str, task_ids: Sequence[str]) -> None:
        batch = self._db.batch()
        for task_id in task_ids:
            batch.delete(self._db.document(paths.task(uid, task_id)))
        batch.commit()

    # --- notes ------------------------------------------------------------------------------
    def add_note(
        self, *, uid: str, item_id: str, note: Note, embedding: Sequence[float] | None = None
    ) -> Stored[Note]:
        extra = {EMBEDDING_FIELD: Vector(list(embedding))} if embedding is not None else {}
        return self._create(paths.note(uid, item_id), note, extra=extra)

    def nearest_notes(
        self, *, uid: str, vector: Sequence[float], limit: int, max_distance: float
    ) -> list[Stored[Note]]:
        """The user's notes nearest to `vector` (cosine), closest first: one vector query."""
        query = self._db.collection(f"{paths.user(uid)}/{paths.NOTES}").find_nearest(
            vector_field=EMBEDDING_FIELD,
            query_vector=Vector(list(vector)),
            limit=limit,
            distance_measure=DistanceMeasure.COSINE,
            distance_threshold=max_distance,
        )
        return self._list(Note, query)

    def recent_notes(self, *, uid: str) -> list[Stored[Note]]:
        collection = f"{paths.user(uid)}/{paths.NOTES}"
        query = (
            self._db.collection(collection)
            .order_by("updatedAt", direction=firestore.Query.DESCENDING)
            .limit(_SCAN_LIMIT)
        )
        return self._list(Note, query)

    # --- events -----------------------------------------------------------------------------
    def add_event(self, *, uid: str, item_id: str, event: CalendarEvent) -> Stored[CalendarEvent]:
        return self._create(paths.event(uid, item_id), event)

    def events_between(
        self, *, uid: str, start: datetime, end: datetime
    ) -> list[Stored[CalendarEvent]]:
        collection = f"{paths.user(uid)}/{paths.EVENTS}"
        query = (
            self._db.collection(collection)
            .where(filter=firestore.FieldFilter("startAt", ">=", start))
            .where(filter=firestore.FieldFilter("startAt", "<", end))
            .order_by("startAt")
            .limit(_SCAN_LIMIT)
        )
        return self._list(CalendarEvent, query)

    # --- recommendations ----------------------------------------------------------------------
    def recommendations(self, *, uid: str) -> list[RecommendationTitle]:
        data = self._db.document(paths.recommendations(uid)).get(["items"]).to_dict() or {}
        items: list[RecommendationTitle] = []
        for raw in data.get("items") or []:
            try:
                items.append(RecommendationTitle.from_document(raw))
            except ValueError:
                continue  # one item the shared model refuses does not hide the others
        return items
