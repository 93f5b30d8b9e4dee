"""The tools Aura has, over the user's own data; each returns what it did and what to say.

Replies are composed here, deterministically, from what was stored: a model may phrase around a
result but never invents one.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared.models.assistant import (
    DEFAULT_LIST,
    CalendarEvent,
    Note,
    PendingAction,
    Reminder,
    ReminderStatus,
    Task,
    ToolCallStatus,
)
from shared.models.tools import (
    AddNoteArgs,
    AddTaskArgs,
    CalculateArgs,
    CancelReminderArgs,
    ClearListArgs,
    CompleteTaskArgs,
    CreateEventArgs,
    CreateReminderArgs,
    ForgetArgs,
    GetRecommendationsArgs,
    GetTimeArgs,
    GetWeatherArgs,
    ListEventsArgs,
    ListRemindersArgs,
    ListTasksArgs,
    RememberArgs,
    SearchNotesArgs,
)

from ..generation.skills import evaluate_arithmetic, format_number
from ..memory.service import MemoryService, second_person
from ..stores.assistant import Stored
from .dates import Resolved, resolve_when, say_day, say_when
from .registry import Tool, ToolContext, ToolFailure, ToolOutput, ToolRegistry

OK = ToolCallStatus.OK
WEATHER_UNAVAILABLE = (
    "I have no live weather data, so I can't tell you the current weather or forecast. "
    "A weather app or website will have up-to-date conditions for your location."
)
_WORD = re.compile(r"[\w']+")


def list_label(name: str) -> str:
    return "to-do" if name == DEFAULT_LIST else name


def _sentence_case_off(text: str) -> str:
    """ "Water the plants" -> "water the plants" (a model's capital inside our sentence)."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _matches(query: str, text: str) -> bool:
    words = [w for w in _WORD.findall(query.lower()) if w not in {"the", "a", "an", "my", "to"}]
    haystack = set(_WORD.findall(text.lower()))
    return bool(words) and all(w in haystack or w.rstrip("s") in haystack for w in words)


def _pending(ctx: ToolContext, tool: str, args: dict[str, object], question: str) -> PendingAction:
    return PendingAction(
        tool=tool, args=args, question=question, turn_id=ctx.turn_id, created_at=ctx.now
    )


def _resolved(ctx: ToolContext, when: str, *, example: str) -> Resolved:
    resolved = resolve_when(when, now=ctx.now, time_zone=ctx.time_zone)
    if resolved is None:
        raise ToolFailure(f'I couldn\'t tell when "{when}" is. Try "{example}".')
    return resolved


# --- reminders ---------------------------------------------------------------------------------
def create_reminder(ctx: ToolContext, args: CreateReminderArgs) -> ToolOutput:
    resolved = _resolved(ctx, args.when, example="tomorrow at 9am")
    if resolved.at <= ctx.now:
        raise ToolFailure(
            f"{say_when(resolved.at, now=ctx.now, time_zone=ctx.time_zone).capitalize()} "
            "has already passed. When should I remind you?"
        )
    text = _sentence_case_off(args.text.removeprefix("to ").strip())
    stored = ctx.store.create_reminder(
        uid=ctx.uid,
        item_id=ctx.new_item_id(),
        reminder=Reminder(
            text=text,
            due_at=resolved.at,
            time_zone=ctx.time_zone,
            created_at=ctx.now,
            source_turn=ctx.turn_path,
        ),
    )
    when = say_when(stored.item.due_at, now=ctx.now, time_zone=ctx.time_zone)
    return ToolOutput(
        status=OK,
        say=f"Okay, I'll remind you to {stored.item.text} {when}.",
        result={"reminderId": stored.id, "dueAt": stored.item.due_at, "when": when},
        resolved={"dueAt": stored.item.due_at},
    )


def _describe(ctx: ToolContext, stored: Stored[Reminder]) -> str:
    return (
        f"{stored.item.text} {say_when(stored.item.due_at, now=ctx.now, time_zone=ctx.time_zone)}"
    )


def list_reminders(ctx: ToolContext, args: ListRemindersArgs) -> ToolOutput:
    statuses = (
        (ReminderStatus.SCHEDULED, ReminderStatus.FIRED)
        if args.include_done
        else (ReminderStatus.SCHEDULED,)
    )
    found = ctx.store.reminders(uid=ctx.uid, statuses=statuses)
    if not found:
        return ToolOutput(status=OK, say="You have no reminders.", result={"count": 0})
    noun = "reminder" if len(found) == 1 else "reminders"
    listed = "; ".join(_describe(ctx, stored) for stored in found[:10])
    more = f" (and {len(found) - 10} more)" if len(found) > 10 else ""
    return ToolOutput(
        status=OK,
        say=f"You have {len(found)} {noun}: {listed}{more}.",
        result={"count": len(found), "reminders": [s.item.text for s in found[:10]]},
    )


def cancel_reminder(ctx: ToolContext, args: CancelReminderArgs) -> ToolOutput:
    live = ctx.store.reminders(
        uid=ctx.uid, statuses=(ReminderStatus.SCHEDULED, ReminderStatus.FIRED)
    )
    if args.reminder_id is not None:
        found = [stored for stored in live if stored.id == args.reminder_id]
    elif args.text is not None:
        found = [stored for stored in live if _matches(args.text, stored.item.text)]
    else:
        found = live
    if not found:
        about = f' about "{args.text}"' if args.text else ""
        raise ToolFailure(f"I couldn't find a reminder{about}.")
    if len(found) > 1:
        options = "; ".join(_describe(ctx, stored) for stored in found[:5])
        question = f"Which reminder should I cancel: {options}?"
        return ToolOutput(
            status=ToolCallStatus.NEEDS_INPUT,
            say=question,
            result={"matches": len(found)},
            pending=_pending(ctx, "cancel_reminder", {}, question).model_copy(
                update={"missing": "text"}
            ),
        )
    target = found[0]
    if not ctx.confirmed:
        when = say_when(target.item.due_at, now=ctx.now, time_zone=ctx.time_zone)
        question = f"Cancel the reminder to {target.item.text} ({when})? Say yes or no."
        return ToolOutput(
            status=ToolCallStatus.NEEDS_CONFIRMATION,
            say=question,
            result={"reminderId": target.id},
            pending=_pending(ctx, "cancel_reminder", {"reminderId": target.id}, question),
        )
    cancelled = target.item.moved_to(ReminderStatus.CANCELLED, at=ctx.now)
    ctx.store.update_reminder(uid=ctx.uid, stored=Stored(id=target.id, item=cancelled))
    return ToolOutput(
        status=OK,
        say=f"Cancelled the reminder to {target.item.text}.",
        result={"reminderId": target.id, "status": cancelled.status.value},
    )


# --- lists ---------------------------------------------------------------------------------------
def add_task(ctx: ToolContext, args: AddTaskArgs) -> ToolOutput:
    stored = ctx.store.add_task(
        uid=ctx.uid,
        item_id=ctx.new_item_id(),
        task=Task(
            text=_sentence_case_off(args.text),
            list=args.list,
            created_at=ctx.now,
            source_turn=ctx.turn_path,
        ),
    )
    return ToolOutput(
        status=OK,
        say=f"Added {stored.item.text} to your {list_label(stored.item.list)} list.",
        result={"taskId": stored.id, "list": stored.item.list},
    )


def list_tasks(ctx: ToolContext, args: ListTasksArgs) -> ToolOutput:
    found = ctx.store.open_tasks(uid=ctx.uid, list_name=args.list)
    label = list_label(args.list)
    if not found:
        return ToolOutput(status=OK, say=f"Your {label} list is empty.", result={"count": 0})
    items = [stored.item.text for stored in found]
    return ToolOutput(
        status=OK,
        say=f"Your {label} list: {', '.join(items[:20])}"
        + (" and more." if len(items) > 20 else "."),
        result={"count": len(items), "items": items[:20]},
    )


def complete_task(ctx: ToolContext, args: CompleteTaskArgs) -> ToolOutput:
    found = ctx.store.open_tasks(uid=ctx.uid, list_name=args.list)
    if args.task_id is not None:
        matches = [stored for stored in found if stored.id == args.task_id]
    elif args.text is not None:
        matches = [stored for stored in found if _matches(args.text, stored.item.text)]
    else:
        matches = []
    if not matches:
        raise ToolFailure(f'I couldn\'t find "{args.text or args.task_id}" on your lists.')
    target = matches[0]
    ctx.store.set_task_done(uid=ctx.uid, task_id=target.id, done=args.done, at=ctx.now)
    return ToolOutput(
        status=OK,
        say=f"Marked {target.item.text} as done."
        if args.done
        else f"{target.item.text} is open again.",
        result={"taskId": target.id, "list": target.item.list, "done": args.done},
    )


def clear_list(ctx: ToolContext, args: ClearListArgs) -> ToolOutput:
    found = ctx.store.open_tasks(uid=ctx.uid, list_name=args.list)
    label = list_label(args.list)
    if not found:
        return ToolOutput(
            status=OK, say=f"Your {label} list is already empty.", result={"count": 0}
        )
    if not ctx.confirmed:
        noun = "item" if len(found) == 1 else "items"
        question = f"Remove all {len(found)} {noun} from your {label} list? Say yes or no."
        return ToolOutput(
            status=ToolCallStatus.NEEDS_CONFIRMATION,
            say=question,
            result={"count": len(found)},
            pending=_pending(ctx, "clear_list", {"list": args.list}, question),
        )
    ctx.store.delete_tasks(uid=ctx.uid, task_ids=[stored.id for stored in found])
    return ToolOutput(status=OK, say=f"Cleared your {label} list.", result={"count": len(found)})


# --- notes ---------------------------------------------------------------------------------------
def add_note(ctx: ToolContext, args: AddNoteArgs) -> ToolOutput:
    vectors = ctx.embedder.embed([args.text]) if ctx.embedder is not None else [None]
    stored = ctx.store.add_note(
        uid=ctx.uid,
        item_id=ctx.new_item_id(),
        embedding=vectors[0],
        note=Note(
            text=args.text, created_at=ctx.now, updated_at=ctx.now, source_turn=ctx.turn_path
        ),
    )
    text = stored.item.text.rstrip(".")
    return ToolOutput(status=OK, say=f"Noted: {text}.", result={"noteId": stored.id})


NOTE_MAX_DISTANCE = 0.7  # cosine distance under which a note is "about" the query (MiniLM)


def search_notes(ctx: ToolContext, args: SearchNotesArgs) -> ToolOutput:
    """Notes with the query's words first, then those near it in meaning (one vector query);
    `offset` pages through them."""
    wanted = args.offset + args.limit + 1  # one more: is there a next page?
    ranked = [
        stored
        for stored in ctx.store.recent_notes(uid=ctx.uid)
        if _matches(args.query, stored.item.text)
    ][:wanted]
    if ctx.embedder is not None and len(ranked) < wanted:
        seen = {stored.id for stored in ranked}
        ranked += [
            stored
            for stored in ctx.store.nearest_notes(
                uid=ctx.uid,
                vector=ctx.embedder.embed([args.query])[0],
                limit=wanted,
                max_distance=NOTE_MAX_DISTANCE,
            )
            if stored.id not in seen
        ][: wanted - len(ranked)]
    found = ranked[args.offset : args.offset + args.limit]
    more = len(ranked) > args.offset + args.limit
    if not found:
        return ToolOutput(
            status=OK, say=f"I found no notes about {args.query}.", result={"count": 0}
        )
    noun = "note" if len(found) == 1 else "notes"
    texts = [stored.item.text.rstrip(".") for stored in found]
    return ToolOutput(
        status=OK,
        say=f"I found {len(found)} {noun} about {args.query}: " + "; ".join(texts) + ".",
        result={
            "count": len(found),
            "notes": texts,
            "noteIds": [s.id for s in found],
            "nextOffset": args.offset + args.limit if more else None,
        },
    )


# --- calendar ------------------------------------------------------------------------------------
def create_event(ctx: ToolContext, args: CreateEventArgs) -> ToolOutput:
    resolved = _resolved(ctx, args.start, example="tomorrow at 3pm")
    stored = ctx.store.add_event(
        uid=ctx.uid,
        item_id=ctx.new_item_id(),
        event=CalendarEvent(
            title=_sentence_case_off(args.title),
            start_at=resolved.at,
            end_at=resolved.at + timedelta(minutes=args.duration_minutes),
            time_zone=ctx.time_zone,
            location=args.location,
            created_at=ctx.now,
            source_turn=ctx.turn_path,
        ),
    )
    when = say_when(stored.item.start_at, now=ctx.now, time_zone=ctx.time_zone)
    return ToolOutput(
        status=OK,
        say=f"Added {stored.item.title} to your calendar {when}.",
        result={"eventId": stored.id, "startAt": stored.item.start_at, "when": when},
        resolved={"startAt": stored.item.start_at},
    )


def list_events(ctx: ToolContext, args: ListEventsArgs) -> ToolOutput:
    zone = ZoneInfo(ctx.time_zone)
    if args.day is None:
        day = ctx.now.astimezone(zone)
    else:
        resolved = resolve_when(args.day, now=ctx.now, time_zone=ctx.time_zone)
        if resolved is None:
            raise ToolFailure(f'I couldn\'t tell which day "{args.day}" is.')
        day = resolved.at.astimezone(zone)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    found = ctx.store.events_between(uid=ctx.uid, start=start, end=start + timedelta(days=1))
    heading = say_day(start, now=ctx.now, time_zone=ctx.time_zone)
    if not found:
        when = heading.lower() if heading in ("Today", "Tomorrow") else f"on {heading}"
        return ToolOutput(status=OK, say=f"Nothing on your calendar {when}.", result={"count": 0})
    listed = "; ".join(
        f"{stored.item.title} at {stored.item.start_at.astimezone(zone):%H:%M}" for stored in found
    )
    return ToolOutput(
        status=OK,
        say=f"{heading}: {listed}.",
        result={"count": len(found), "events": [s.item.title for s in found]},
    )


# --- what needs no data --------------------------------------------------------------------------
def get_time(ctx: ToolContext, args: GetTimeArgs) -> ToolOutput:
    local = ctx.now.astimezone(ZoneInfo(ctx.time_zone))
    say = (
        f"Today is {local:%A}, {local.day} {local:%B %Y}."
        if args.what == "date"
        else f"It is {local:%H:%M} ({ctx.time_zone}) right now."
    )
    return ToolOutput(
        status=OK,
        say=say,
        result={
            "time": f"{local:%H:%M}",
            "date": local.date().isoformat(),
            "timeZone": ctx.time_zone,
        },
    )


def calculate(ctx: ToolContext, args: CalculateArgs) -> ToolOutput:
    del ctx
    evaluated = evaluate_arithmetic(args.expression)
    if evaluated is None:
        raise ToolFailure("I couldn't evaluate that expression. Try something like 12 * (3 + 4).")
    expression, value = evaluated
    return ToolOutput(
        status=OK,
        say=f"{expression} = {format_number(value)}",
        result={"expression": expression, "value": value},
    )


def get_weather(ctx: ToolContext, args: GetWeatherArgs) -> ToolOutput:
    del args
    if not ctx.weather_configured:
        return ToolOutput(status=OK, say=WEATHER_UNAVAILABLE, result={"available": False})
    raise ToolFailure("The weather source is not reachable right now.")


def get_recommendations(ctx: ToolContext, args: GetRecommendationsArgs) -> ToolOutput:
    del args
    items = ctx.store.recommendations(uid=ctx.uid)
    if not items:
        return ToolOutput(
            status=OK,
            say=(
                "I don't have recommendations for you yet. Turn on personalisation in settings, "
                "then search or open a few books and I'll suggest some."
            ),
            result={"count": 0},
        )
    picks = [item.title + (f" by {item.authors}" if item.authors else "") for item in items[:3]]
    return ToolOutput(
        status=OK,
        say="From your recommendations: " + "; ".join(picks) + ".",
        result={"count": len(items), "titles": [item.title for item in items[:3]]},
    )


# --- memory -------------------------------------------------------------------------------------
MEMORY_OFF = (
    "Memory is off. Turn on personalisation in settings and I'll remember what you tell me."
)


def _memory(ctx: ToolContext) -> MemoryService:
    if ctx.memory is None:
        raise ToolFailure(MEMORY_OFF)
    return ctx.memory


def remember(ctx: ToolContext, args: RememberArgs) -> ToolOutput:
    stored = _memory(ctx).remember(
        uid=ctx.uid,
        text=args.text,
        kind=args.kind,
        slot=args.slot,
        source_turn=ctx.turn_path,
        now=ctx.now,
    )
    return ToolOutput(
        status=OK,
        say=f"I'll remember that {second_person(stored.memory.text)}.",
        result={"memoryId": stored.id},
    )


def forget(ctx: ToolContext, args: ForgetArgs) -> ToolOutput:
    memory = _memory(ctx)
    if args.memory_ids:
        found = [
            stored
            for each in args.memory_ids
            if (stored := memory.get(uid=ctx.uid, memory_id=each)) is not None
        ]
    else:
        found = memory.to_forget(uid=ctx.uid, slot=args.slot, words=args.text)
    if not found:
        raise ToolFailure("I don't remember anything about that.")
    facts = " and that ".join(second_person(stored.memory.text) for stored in found[:5])
    ids = [stored.id for stored in found[:5]]
    if not ctx.confirmed:
        question = f"Forget that {facts}? Say yes or no."
        return ToolOutput(
            status=ToolCallStatus.NEEDS_CONFIRMATION,
            say=question,
            result={"memoryIds": ids},
            pending=_pending(ctx, "forget", {"memoryIds": ids}, question),
        )
    memory.forget(uid=ctx.uid, memory_ids=ids)
    return ToolOutput(
        status=OK, say=f"Okay, I've forgotten that {facts}.", result={"memoryIds": ids}
    )


def default_registry() -> ToolRegistry:
    return ToolRegistry(
        [
            Tool("create_reminder", CreateReminderArgs, create_reminder),
            Tool("list_reminders", ListRemindersArgs, list_reminders),
            Tool("cancel_reminder", CancelReminderArgs, cancel_reminder),
            Tool("add_task", AddTaskArgs, add_task),
            Tool("list_tasks", ListTasksArgs, list_tasks),
            Tool("complete_task", CompleteTaskArgs, complete_task),
            Tool("clear_list", ClearListArgs, clear_list),
            Tool("add_note", AddNoteArgs, add_note),
            Tool("search_notes", SearchNotesArgs, search_notes),
            Tool("create_event", CreateEventArgs, create_event),
            Tool("list_events", ListEventsArgs, list_events),
            Tool("get_time", GetTimeArgs, get_time),
            Tool("calculate", CalculateArgs, calculate),
            Tool("get_weather", GetWeatherArgs, get_weather),
            Tool("get_recommendations", GetRecommendationsArgs, get_recommendations),
            Tool("remember", RememberArgs, remember),
            Tool("forget", ForgetArgs, forget),
        ]
    )
