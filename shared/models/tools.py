"""The arguments of Aura's tools: one model per tool, JSON Schema generated from it.

The ai_service tool registry validates every call (from a provider's function calling or from
the NLU path) against these; the functions callables behind the PWA's panels accept the same
shapes, so a task added by chat and one added from the panel are validated alike. Field names
are camelCase on the wire, as everywhere.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from .assistant import DEFAULT_LIST, ItemText, ListName, NoteText
from .base import Frozen
from .ids import DocumentName
from .memory import MemoryKind

# A time as the user or a model says it: ISO 8601 ("2026-12-02T18:00", read in the user's time
# zone when it has no offset) or words ("at 6pm", "tomorrow at 9am", "in 20 minutes").
When = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Query = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class CreateReminderArgs(Frozen):
    """Remind the user of something at a time."""

    text: ItemText = Field(description="What to remind the user of, e.g. 'water the plants'")
    when: When = Field(description="When: ISO 8601 local time or words such as 'tomorrow at 9am'")


class ListRemindersArgs(Frozen):
    """The user's scheduled reminders, soonest first."""

    include_done: bool = Field(default=False, description="Also list fired and done reminders")


class CancelReminderArgs(Frozen):
    """Cancel one of the user's reminders, named by id or by (part of) its text."""

    reminder_id: DocumentName | None = None
    text: Query | None = Field(default=None, description="Words of the reminder to cancel")
    confirmed: bool = Field(default=False, description="True once the user said yes")


class AddTaskArgs(Frozen):
    """Add an item to one of the user's lists ('todo' unless named; 'shopping' for shopping)."""

    text: ItemText
    list: ListName = DEFAULT_LIST


class ListTasksArgs(Frozen):
    """The open items of one of the user's lists."""

    list: ListName = DEFAULT_LIST


class CompleteTaskArgs(Frozen):
    """Mark an item of a list done, named by id or by (part of) its text."""

    task_id: DocumentName | None = None
    text: Query | None = None
    list: ListName | None = None
    done: bool = True


class ClearListArgs(Frozen):
    """Remove every open item of a list (needs the user's confirmation)."""

    list: ListName = DEFAULT_LIST
    confirmed: bool = False


class AddNoteArgs(Frozen):
    """Keep a note for the user."""

    text: NoteText


class SearchNotesArgs(Frozen):
    """Find the user's notes about something (by their words, then by meaning), a page at a
    time."""

    query: Query
    limit: int = Field(default=5, ge=1, le=20)
    offset: int = Field(default=0, ge=0, le=100, description="Notes to skip: the next page")


class CreateEventArgs(Frozen):
    """Add an event to the user's calendar."""

    title: ItemText
    start: When = Field(description="When it starts: ISO 8601 local time or words")
    duration_minutes: int = Field(default=60, ge=1, le=24 * 60)
    location: Annotated[str, StringConstraints(max_length=200)] | None = None


class ListEventsArgs(Frozen):
    """The user's calendar for a day (today unless named)."""

    day: When | None = Field(default=None, description="e.g. 'today', 'tomorrow', '2026-12-03'")


class GetTimeArgs(Frozen):
    """The current time (or today's date) in the user's time zone."""

    what: Literal["time", "date"] = "time"


class CalculateArgs(Frozen):
    """Evaluate an arithmetic expression exactly."""

    expression: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class GetWeatherArgs(Frozen):
    """The weather somewhere (Aura has no live source unless one is configured)."""

    location: Query | None = None


class GetRecommendationsArgs(Frozen):
    """The user's own book recommendations."""


class RememberArgs(Frozen):
    """Remember a fact the user told about themselves, in the third person ('Lives in Porto')."""

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    kind: MemoryKind = MemoryKind.FACT
    slot: Annotated[str, StringConstraints(max_length=80)] | None = Field(
        default=None, description="What it is about, e.g. 'home', 'name', 'person:wife'"
    )


class ForgetArgs(Frozen):
    """Forget something Aura remembers about the user (needs the user's confirmation)."""

    memory_ids: list[DocumentName] = Field(default_factory=list, max_length=20)
    slot: Annotated[str, StringConstraints(max_length=80)] | None = None
    text: Query | None = Field(default=None, description="Words of the memory to forget")
    confirmed: bool = False
