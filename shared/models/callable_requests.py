"""What clients send the account, chat and admin callables (the panels' requests are in
`panel_requests`, search's in `search`): handlers parse `request.data` into these, and services
take them typed. Unknown fields are refused (Frozen)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator

from .base import Frozen, utc_now
from .chat import ConversationId, Prompt, TurnId
from .ids import DocumentName, Uid
from .users import Role

MAX_SUMMARY_DAYS = 92
MAX_EVENTS_PER_CALL = 100


class SendMessageRequest(Frozen):
    """`sendMessage`: a prompt, in an existing conversation or a new one."""

    prompt: Prompt
    conversation_id: ConversationId | None = None
    turn_id: TurnId | None = None  # client-chosen: makes a retried call create one turn, not two


class ConsentUpdate(Frozen):
    """`setConsent`: either flag may be given; at least one must be (the service says so)."""

    analytics: bool | None = None
    personalization: bool | None = None


class SetRoleRequest(Frozen):
    """`setUserRole` (admins)."""

    uid: Uid
    role: Role


class SetActiveRequest(Frozen):
    """`setUserActive` (admins)."""

    uid: Uid
    active: bool


class SummaryRequest(Frozen):
    """`getAnalyticsSummary` (admins): a range of UTC days, at most MAX_SUMMARY_DAYS."""

    from_day: date = Field(alias="from")
    to_day: date = Field(alias="to")

    @model_validator(mode="after")
    def _range(self) -> SummaryRequest:
        if self.to_day < self.from_day:
            raise ValueError("'to' is before 'from'")
        if (self.to_day - self.from_day).days >= MAX_SUMMARY_DAYS:
            raise ValueError(f"at most {MAX_SUMMARY_DAYS} days per summary")
        # No day after tomorrow (UTC, anywhere on Earth) has data; 9999-12-31 has no next day.
        if self.to_day > utc_now().date() + timedelta(days=1):
            raise ValueError("'to' is in the future: days after tomorrow have no data")
        return self


class AlertListRequest(Frozen):
    """`listSecurityAlerts` (admins): newest first, optionally only (un)acknowledged ones."""

    acknowledged: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)


class AcknowledgeRequest(Frozen):
    """`acknowledgeAlert` (admins)."""

    alert_id: DocumentName


class TrackEventsRequest(Frozen):
    """`trackEvents`: 1 to 100 events. Each event is validated on its own by the service, so an
    invalid one is reported `rejected` and the others are stored (per item, never half-way)."""

    events: list[Any] = Field(min_length=1, max_length=MAX_EVENTS_PER_CALL)


class TrackedEvent(Frozen):
    """What became of one event of a `trackEvents` batch, by its position in the batch."""

    index: int
    status: Literal["accepted", "duplicate", "rejected"]
    event_id: str | None = None
    """The stored event's id (the client's, or one chosen for it); absent when rejected."""
    error: str | None = None
    """Why it was rejected."""


class TrackEventsResult(Frozen):
    accepted: int
    results: tuple[TrackedEvent, ...]
