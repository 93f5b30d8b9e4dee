"""The data contract in one table: which shared model every stored document is read with.

`model_for(path)` finds the model of a document path by its pattern; `violation(path, data)`
says why a stored document breaks the contract (no model for its path, or the model refuses it)
or None. The contract test (tests/integration/test_zz_contract.py) runs it over every document
the integration suite leaves in the emulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from .models.analytics import AnalyticsEvent, DailyStats
from .models.assistant import CalendarEvent, Device, Note, Notification, Reminder, Task
from .models.chat import ChatTurn, Conversation
from .models.flags import FeatureFlags
from .models.memory import Memory
from .models.recommendations import Recommendations
from .models.records import CounterShard, DeletionJob, ProcessedEvent, RateLimits
from .models.security import AuditLogEntry, SecurityAlert
from .models.users import UserProfile, UserSession

# Path pattern -> model. `{name}` matches one path segment; a literal segment matches itself.
PATTERNS: Final[tuple[tuple[str, type[BaseModel]], ...]] = (
    ("users/{uid}", UserProfile),
    ("users/{uid}/sessions/{sessionId}", UserSession),
    ("users/{uid}/stats/{day}", DailyStats),
    ("users/{uid}/conversations/{cid}", Conversation),
    ("users/{uid}/conversations/{cid}/messages/{turnId}", ChatTurn),
    ("users/{uid}/reminders/{id}", Reminder),
    ("users/{uid}/tasks/{id}", Task),
    ("users/{uid}/notes/{id}", Note),
    ("users/{uid}/events/{id}", CalendarEvent),
    ("users/{uid}/notifications/{id}", Notification),
    ("users/{uid}/devices/{tokenId}", Device),
    ("users/{uid}/memories/{id}", Memory),
    ("analytics_events/{eventId}", AnalyticsEvent),
    ("counters/{counter}/shards/{shard}", CounterShard),
    ("recommendations/{uid}", Recommendations),
    ("security_alerts/{alertId}", SecurityAlert),
    ("audit_logs/{entryId}", AuditLogEntry),
    ("rate_limits/{uidHash}", RateLimits),
    ("processed_events/{key}", ProcessedEvent),
    ("deletion_jobs/{uidHash}", DeletionJob),
    ("config/flags", FeatureFlags),
)


def _matches(pattern: str, path: str) -> bool:
    want, got = pattern.split("/"), path.strip("/").split("/")
    return len(want) == len(got) and all(
        w == g or (w.startswith("{") and w.endswith("}")) for w, g in zip(want, got, strict=True)
    )


def pattern_for(path: str) -> str | None:
    """The pattern of PATTERNS that `path` (a document path) matches, or None."""
    return next((pattern for pattern, _ in PATTERNS if _matches(pattern, path)), None)


def model_for(path: str) -> type[BaseModel] | None:
    """The shared model a document at `path` is read with, or None when the contract has none."""
    return next((model for pattern, model in PATTERNS if _matches(pattern, path)), None)


@dataclass(frozen=True)
class Violation:
    """A stored document that breaks the contract: where, and why."""

    path: str
    error: str

    def __str__(self) -> str:
        return f"{self.path}: {self.error}"


def violation(path: str, data: Mapping[str, Any]) -> Violation | None:
    """Why the document `data` stored at `path` breaks the contract, or None when it is read."""
    model = model_for(path)
    if model is None:
        return Violation(path, "no shared model for this path (shared/contract.py PATTERNS)")
    try:
        model.model_validate(dict(data))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<document>'}: {e['msg']}"
            f" (got {e['input']!r:.80})"
            for e in error.errors()
        )
        return Violation(path, f"{model.__name__} refuses it: {problems}")
    return None


def unmodelled_fields(path: str, data: Mapping[str, Any]) -> frozenset[str]:
    """Top-level fields of a stored document its model does not declare (a Document ignores
    them on read): not a violation, but where a writer and the contract may have drifted."""
    model = model_for(path)
    if model is None or getattr(model, "model_config", {}).get("extra") == "allow":
        return frozenset()
    known = {info.alias or name for name, info in model.model_fields.items()}
    known |= set(model.model_fields)
    if model is RateLimits:
        return frozenset()  # every other field is a bucket
    return frozenset(key for key in data if key not in known)
