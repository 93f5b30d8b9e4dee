"""Firestore paths, in one place, so rules, functions and ai_service agree on the layout."""

from __future__ import annotations

import hashlib

USERS = "users"
SESSIONS = "sessions"
CONVERSATIONS = "conversations"
MESSAGES = "messages"
STATS = "stats"
ANALYTICS_EVENTS = "analytics_events"
COUNTERS = "counters"
SHARDS = "shards"
RECOMMENDATIONS = "recommendations"
SECURITY_ALERTS = "security_alerts"
AUDIT_LOGS = "audit_logs"
RATE_LIMITS = "rate_limits"
CONFIG = "config"
PROCESSED_EVENTS = "processed_events"
DELETION_JOBS = "deletion_jobs"
REMINDERS = "reminders"
TASKS = "tasks"
NOTES = "notes"
EVENTS = "events"
NOTIFICATIONS = "notifications"
DEVICES = "devices"
MEMORIES = "memories"
# The user's own data that the assistant's tools act on; export and deletion cover each.
ASSISTANT_COLLECTIONS = (REMINDERS, TASKS, NOTES, EVENTS, NOTIFICATIONS, DEVICES, MEMORIES)

FLAGS_DOC = f"{CONFIG}/flags"


def user(uid: str) -> str:
    return f"{USERS}/{uid}"


def session(uid: str, session_id: str) -> str:
    return f"{user(uid)}/{SESSIONS}/{session_id}"


def conversations(uid: str) -> str:
    return f"{user(uid)}/{CONVERSATIONS}"


def conversation(uid: str, cid: str) -> str:
    return f"{conversations(uid)}/{cid}"


def messages(uid: str, cid: str) -> str:
    return f"{conversation(uid, cid)}/{MESSAGES}"


def turn(uid: str, cid: str, turn_id: str) -> str:
    return f"{messages(uid, cid)}/{turn_id}"


def user_item(uid: str, collection: str, item_id: str) -> str:
    """A document of one of the user's ASSISTANT_COLLECTIONS."""
    if collection not in ASSISTANT_COLLECTIONS:
        raise ValueError(f"not an assistant collection: {collection!r}")
    return f"{user(uid)}/{collection}/{item_id}"


def reminder(uid: str, reminder_id: str) -> str:
    return user_item(uid, REMINDERS, reminder_id)


def task(uid: str, task_id: str) -> str:
    return user_item(uid, TASKS, task_id)


def note(uid: str, note_id: str) -> str:
    return user_item(uid, NOTES, note_id)


def event(uid: str, event_id: str) -> str:
    return user_item(uid, EVENTS, event_id)


def notification(uid: str, notification_id: str) -> str:
    return user_item(uid, NOTIFICATIONS, notification_id)


def device(uid: str, token_id: str) -> str:
    return user_item(uid, DEVICES, token_id)


def memories(uid: str) -> str:
    return f"{user(uid)}/{MEMORIES}"


def memory(uid: str, memory_id: str) -> str:
    return user_item(uid, MEMORIES, memory_id)


def tool_item_id(turn_path: str, call: int) -> str:
    """The id of what call number `call` of a turn creates: the same for every delivery and
    attempt of that turn, so a redelivered turn writes one reminder, not two."""
    return hashlib.sha256(f"{turn_path}#{call}".encode()).hexdigest()[:20]


def daily_stats(uid: str, day: str) -> str:
    return f"{user(uid)}/{STATS}/{day}"


def analytics_event(event_id: str) -> str:
    return f"{ANALYTICS_EVENTS}/{event_id}"


def counter_shard(counter: str, shard: int) -> str:
    return f"{COUNTERS}/{counter}/{SHARDS}/{shard}"


def recommendations(uid: str) -> str:
    return f"{RECOMMENDATIONS}/{uid}"


def rate_limit(uid: str) -> str:
    """Keyed by a hash of the uid: a bucket outlives nothing personal (it is touched even by a
    deleted user's last calls) and expires through its `expireAt` TTL field."""
    return f"{RATE_LIMITS}/{hashlib.sha256(uid.encode()).hexdigest()[:32]}"


def processed_event(key: str) -> str:
    """Marker documents that make a trigger or push handler do its work once per idempotency key."""
    return f"{PROCESSED_EVENTS}/{key}"
