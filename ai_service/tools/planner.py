"""The NLU path: from what the user said (and what the conversation is waiting for) to a tool
call, a question, or a fixed answer, deterministically. None hands the turn to the model.

Rules over the text decide, with the intent model as a gate where words alone are weak (the
intent names are the assistant's, see `ml.intent`). Slots come from the text and
`dates.find_when`; a missing one becomes a short question and a pending action that the next
turn fills. Every rule is anchored on the request's own verb ("remind me", "add ... to my ...
list"), so chat that merely mentions a list or a time goes to the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from shared.models.assistant import DEFAULT_LIST, SHOPPING_LIST, PendingAction

from ..generation.skills import asks_for_own_recommendations, evaluate_arithmetic
from ..memory.extract import forget_target
from .builtin import list_label
from .dates import find_when

CAPABILITIES = (
    "I can set reminders, keep your to-do and shopping lists, take and search notes, add events "
    "to your calendar, tell the time and do arithmetic. With personalisation on, I remember "
    "what you tell me about yourself."
)
EXAMPLE = 'Try "Remind me to water the plants at 6pm" or "Add milk to my shopping list".'


@dataclass(frozen=True, slots=True)
class Call:
    """Run `tool` with `args`. `soft`: a failure hands the turn to the model instead (the rule
    matched loosely, e.g. "I finished the book", which may not be about a list at all)."""

    tool: str
    args: dict[str, Any]
    confirmed: bool = False
    soft: bool = False


@dataclass(frozen=True, slots=True)
class Ask:
    """A slot is missing: ask for it and keep the partial call pending."""

    tool: str
    args: dict[str, Any]
    missing: str
    question: str


@dataclass(frozen=True, slots=True)
class Say:
    """A fixed answer (what Aura can do, what it cannot, "okay, I'll keep it")."""

    text: str
    kind: str
    args: dict[str, Any] = field(default_factory=dict)


Plan = Call | Ask | Say

_LEAD = re.compile(
    r"^(?:(?:hey|hi|ok|okay)\s+aura[,!]?\s*|aura[,:]\s*)?(?:please\s+)?"
    r"(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?|i\s+(?:want|need)\s+you\s+to\s+)?",
    re.IGNORECASE,
)
_YES = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|ok|okay|confirm|do it|go ahead|please do|correct|right)\b",
    re.I,
)
_NO = re.compile(r"^(?:no|nope|nah|don'?t|do not|keep it|leave it|stop|wait)\b", re.IGNORECASE)
_NEVER_MIND = re.compile(r"^(?:never ?mind|forget it|cancel(?: that)?|nothing)\b", re.IGNORECASE)


def normalise(text: str) -> str:
    text = " ".join(text.split())
    text = _LEAD.sub("", text, count=1)
    return text.rstrip(" .!?")


def list_name(raw: str) -> str:
    name = re.sub(r"^(?:my|the|our)\s+", "", raw.strip().lower())
    name = re.sub(r"\s+list$", "", name).strip()
    if name in {"to-do", "to do", "todo", "task", "tasks", "to-dos", "todos", "things to do", ""}:
        return DEFAULT_LIST
    if name in {"shopping", "grocery", "groceries", "shop"}:
        return SHOPPING_LIST
    return name[:40]


def _strip_object(text: str) -> str:
    """The thing itself: "to water the plants" -> "water the plants"."""
    text = re.sub(r"^(?:me\s+)?(?:to|about|that|of|for)\s+", "", text.strip(" ,:"), flags=re.I)
    return text.strip(" ,:")


# --- rules ---------------------------------------------------------------------------------------
_REMIND = re.compile(
    r"^(?:remind me|set (?:me )?(?:a |an )?reminder|create (?:a )?reminder|add (?:a )?reminder|"
    r"make (?:a )?reminder|new reminder)\b[:,]?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_LIST_REMINDERS = re.compile(
    r"^(?:what|which|show|list|read|tell me|do i have|have i got|any)\b.*\breminders?\b|"
    r"^(?:my )?reminders$",
    re.IGNORECASE,
)
_CANCEL_REMINDER = re.compile(
    r"^(?:cancel|delete|remove|drop|forget)\s+(?:my |the |that )?(?:(?P<before>.+?)\s+)?"
    r"reminders?\b(?:\s+(?:to|about|for|of)\s+(?P<after>.+))?$",
    re.IGNORECASE,
)
_CLEAR_LIST = re.compile(
    r"^(?:clear|empty|wipe)(?: out)?\s+(?P<list>(?:my|the)\s+.+?)\s+list$|"
    r"^(?:delete|remove) everything (?:on|from) (?P<list2>(?:my|the)\s+.+?)\s+list$",
    re.IGNORECASE,
)
# "... to my packing list" names a list by the word "list"; without it only the usual lists
# count ("add milk to my shopping"), so "write a poem in the park" is not a task.
_ADD_TASK = re.compile(
    r"^(?:add|put|pop|write)\s+(?P<text>.+?)\s+(?:to|on|onto|in)\s+(?P<list>(?:my|the)\s+"
    r"(?:.+?\s+list|(?:shopping|grocery|groceries|to-?do|to do|todo|tasks?)(?:\s+list)?))$",
    re.IGNORECASE,
)
_NEED_TO_BUY = re.compile(r"^(?:i|we)\s+(?:need|have) to buy\s+(?P<text>.+)$", re.IGNORECASE)
_LIST_TASKS = re.compile(
    r"^(?:what'?s|what is|what are|show(?: me)?|list|read(?: me)?|tell me|check)\b.*?\b"
    r"(?:on|in)?\s*(?P<list>(?:my|the)\s+[\w -]+?)\s+list\b|"
    r"^(?:what'?s|what is) on (?P<list2>my (?:to-?do|shopping))$|"
    r"^what do (?:i|we) (?:need|have) to (?P<verb>buy|do)\b",
    re.IGNORECASE,
)
_COMPLETE_TASK = re.compile(
    r"^(?:mark|tick|check|cross)\s+(?:off\s+)?(?P<text>.+?)(?:\s+(?:as\s+)?(?:done|complete|"
    r"completed|finished|off))?(?:\s+(?:on|from|off)\s+(?:my|the)\s+.+?\s+list)?$",
    re.IGNORECASE,
)
_DID_TASK = re.compile(
    r"^i(?:'ve| have)?\s+(?:bought|got|picked up|finished|done|did|completed)\s+(?:the\s+)?"
    r"(?P<text>[\w' -]{1,60})$",
    re.IGNORECASE,
)
_ADD_NOTE = re.compile(
    r"^(?:(?:take|make|write|jot|add|create)\s+(?:down\s+)?(?:a\s+)?note|note(?:\s+down)?|"
    r"write (?:this |that )?down)\b[:,]?\s*(?:that\s+|saying\s+|to say\s+)?(?P<text>.*)$",
    re.IGNORECASE,
)
_SEARCH_NOTES = re.compile(
    r"^(?:search|find|look (?:up|for|through)|check)\s+(?:in\s+|through\s+)?(?:my\s+)?notes?\b"
    r"\s*(?:for|about|on|mentioning|that mention)?\s*(?P<query>.*)$|"
    r"^(?:find|show|search for) (?:my |the )?notes? (?:about|on|for|mentioning) (?P<query2>.+)$|"
    r"^what did i (?:note|write down) about (?P<query3>.+)$",
    re.IGNORECASE,
)
_CREATE_EVENT = re.compile(
    r"^(?:add|put)\s+(?P<title>.+?)\s+(?:to|on|in|into)\s+(?:my|the)\s+(?:calendar|agenda|diary)"
    r"(?P<rest>.*)$|^(?:schedule|arrange|set up|plan|book)\s+(?P<title2>.+)$",
    re.IGNORECASE,
)
_LIST_EVENTS = re.compile(
    r"^(?:what'?s|what is|anything|is there anything|show(?: me)?|read(?: me)?|check)\b.*\b"
    r"(?:calendar|agenda|schedule|diary)\b|^what (?:do i have|have i got)\s+(?:on\s+)?"
    r"(?:today|tomorrow|on \w+)|^am i (?:free|busy)\b",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\bwhat time is it\b|\bwhat'?s the time\b|\bwhat (?:day|date) is (?:it|today)\b|"
    r"\bwhat'?s (?:the|today'?s) date\b|\btell me the time\b|\bcurrent time\b",
    re.IGNORECASE,
)
_DATE = re.compile(r"\b(?:date|what day)\b", re.IGNORECASE)
_WEATHER = re.compile(
    r"\bweather\b|\bforecast\b|\b(?:is|will) it (?:going to )?(?:rain|snow)", re.I
)
_HELP = re.compile(
    r"^(?:what can you do|what are you able to do|what can i ask(?: you)?|how can you help(?: me)?|"
    r"what do you do|what are your (?:skills|features|abilities)|help)$",
    re.IGNORECASE,
)
_CANNOT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:book|find|get|buy)\b.*\bflights?\b|\bfly me\b", re.I), "book flights"),
    (re.compile(r"\b(?:book|reserve|find)\b.*\bhotels?\b", re.I), "book hotels"),
    (re.compile(r"\b(?:book|reserve)\b.*\b(?:table|restaurant)\b", re.I), "book restaurants"),
    (
        re.compile(r"\border\b.*\b(?:pizza|food|takeaway|delivery|online)\b|\border me\b", re.I),
        "order things",
    ),
    (
        re.compile(r"\b(?:call|get|book|order) (?:me )?(?:an? )?(?:uber|taxi|cab|ride)\b", re.I),
        "call a ride",
    ),
    (
        re.compile(
            r"^play\b|\b(?:play|put on) (?:some )?(?:music|songs?|playlist|spotify)\b", re.I
        ),
        "play music",
    ),
    (re.compile(r"^(?:call|phone|ring|dial)\s+\w+", re.I), "make phone calls"),
    (
        re.compile(r"^(?:send|text|email|message)\b.*\b(?:text|message|email|sms)?\b", re.I),
        "send messages",
    ),
    (
        re.compile(r"\b(?:pay|transfer|send)\b.*\b(?:money|bill|\$|€|£|euros?|dollars?)", re.I),
        "move money",
    ),
    (
        re.compile(r"\bturn (?:on|off)\b.*\b(?:lights?|heating|tv|thermostat)\b", re.I),
        "control your home devices",
    ),
)


def plan_turn(*, text: str, intent: str, pending: PendingAction | None) -> Plan | None:
    """The plan for one user turn, or None to let the model answer."""
    said = normalise(text)
    if pending is not None:
        answered = _answer_pending(said, pending)
        if answered is not None:
            return answered
    return plan_request(said, intent=intent)


def _answer_pending(said: str, pending: PendingAction) -> Plan | None:  # noqa: PLR0911
    if pending.missing is None:  # waiting for yes or no
        if _YES.match(said):
            return Call(pending.tool, dict(pending.args), confirmed=True)
        if _NO.match(said) or _NEVER_MIND.match(said):
            keep = {
                "clear_list": f"Okay, I'll leave your "
                f"{list_label(str(pending.args.get('list', DEFAULT_LIST)))} list as it is.",
                "forget": "Okay, I'll keep remembering it.",
            }.get(pending.tool, "Okay, I'll keep it.")
            return Say(keep, kind="declined", args={"tool": pending.tool})
        return None  # something else: the pending action is dropped
    if _NEVER_MIND.match(said):
        return Say("Okay, never mind.", kind="declined", args={"tool": pending.tool})
    fresh = plan_request(said, intent="")
    if fresh is not None and not isinstance(fresh, Say):
        return fresh  # a new request replaces the question
    args = dict(pending.args)
    if pending.missing in {"when", "start"}:
        found = find_when(said)
        if found is None:
            return Ask(pending.tool, args, pending.missing, _retry_question(pending))
        args[pending.missing] = found[0]
        return Call(pending.tool, args)
    # a text slot ("What should I remind you about?" -> "to call mum at 5pm")
    answer = said
    if pending.tool == "create_reminder" and "when" not in args:
        found = find_when(said)
        if found is not None:
            args["when"], answer = found
    answer = _strip_object(re.sub(r"^remind me\b", "", answer, flags=re.IGNORECASE))
    if not answer:
        return Ask(pending.tool, args, pending.missing, pending.question)
    args[pending.missing] = answer
    if pending.tool == "create_reminder" and "when" not in args:
        return Ask("create_reminder", args, "when", f"When should I remind you to {answer}?")
    return Call(pending.tool, args)


def _retry_question(pending: PendingAction) -> str:
    question = pending.question.removesuffix(' For example "tomorrow at 9am".')
    return question + ' For example "tomorrow at 9am".'


def plan_request(said: str, *, intent: str) -> Plan | None:  # noqa: PLR0911, PLR0912
    """A fresh request (nothing pending, or a new one instead of the answer asked for)."""
    if match := _REMIND.match(said):
        return _reminder(match.group("rest"))
    if _LIST_REMINDERS.match(said):
        return Call("list_reminders", {})
    if match := _CANCEL_REMINDER.match(said):
        about = match.group("after") or match.group("before") or ""
        about = re.sub(r"^(?:my|the|that)\s+", "", about).strip()
        return Call("cancel_reminder", {"text": about} if about else {})
    for pattern, what in _CANNOT:
        if pattern.search(said):
            return Say(f"I can't {what} yet. {CAPABILITIES}", kind="cannot", args={"what": what})
    if (match := _CREATE_EVENT.match(said)) and (
        match.group("title") or find_when(match.group("title2") or "")
    ):
        return _event(match.group("title") or match.group("title2"), match.group("rest") or "")
    if (forgetting := forget_target(said)) is not None:
        slot, words = forgetting
        return Call("forget", {k: v for k, v in (("slot", slot), ("text", words)) if v})
    if match := _CLEAR_LIST.match(said):
        return Call("clear_list", {"list": list_name(match.group("list") or match.group("list2"))})
    if (match := _ADD_TASK.match(said)) and not re.search(
        r"\b(?:calendar|agenda|diary)$", match.group("list"), re.IGNORECASE
    ):
        return Call(
            "add_task", {"text": match.group("text"), "list": list_name(match.group("list"))}
        )
    if match := _NEED_TO_BUY.match(said):
        return Call("add_task", {"text": match.group("text"), "list": SHOPPING_LIST})
    if match := _LIST_TASKS.match(said):
        if match.group("verb"):
            name = SHOPPING_LIST if match.group("verb").lower() == "buy" else DEFAULT_LIST
        else:
            name = list_name(match.group("list") or match.group("list2") or "")
        return Call("list_tasks", {"list": name})
    if match := _COMPLETE_TASK.match(said):
        return Call("complete_task", {"text": match.group("text")})
    if match := _DID_TASK.match(said):
        return Call("complete_task", {"text": match.group("text")}, soft=True)
    if match := _ADD_NOTE.match(said):
        note = match.group("text").strip(" :,")
        if not note:
            return Ask("add_note", {}, "text", "What should the note say?")
        return Call("add_note", {"text": note})
    if match := _SEARCH_NOTES.match(said):
        query = match.group("query") or match.group("query2") or match.group("query3") or ""
        query = query.strip()
        if not query:
            return Ask("search_notes", {}, "query", "What should I look for in your notes?")
        return Call("search_notes", {"query": query})
    if _LIST_EVENTS.match(said):
        found = find_when(said)
        return Call("list_events", {"day": found[0]} if found else {})
    if intent in ("time", "date") or _TIME.search(said):
        about_date = intent == "date" or _DATE.search(said) is not None
        return Call("get_time", {"what": "date"} if about_date else {})
    arithmetic = evaluate_arithmetic(said)
    if intent == "arithmetic" or arithmetic is not None:
        expression = arithmetic[0] if arithmetic is not None else said
        return Call("calculate", {"expression": expression[:200]})
    if intent == "weather" or _WEATHER.search(said):
        return Call("get_weather", {})
    if asks_for_own_recommendations(intent="recommendation_request", text=said):
        return Call("get_recommendations", {})
    if intent == "help" or _HELP.match(said):
        return Say(f"{CAPABILITIES} {EXAMPLE}", kind="capabilities")
    return None


def _reminder(rest: str) -> Plan:
    found = find_when(rest)
    when, about = (found[0], found[1]) if found else (None, rest)
    about = _strip_object(about)
    args: dict[str, Any] = {}
    if when:
        args["when"] = when
    if not about:
        return Ask("create_reminder", args, "text", "What should I remind you about?")
    args["text"] = about
    if not when:
        return Ask("create_reminder", args, "when", f"When should I remind you to {about}?")
    return Call("create_reminder", args)


def _event(title: str, rest: str) -> Plan:
    found = find_when(f"{title} {rest}".strip())
    if found is None:
        title = re.sub(r"^(?:a|an|the|my)\s+", "", title.strip(), flags=re.IGNORECASE)
        return Ask("create_event", {"title": title}, "start", f"When is {title}?")
    when, remainder = found
    remainder = re.sub(
        r"\s+(?:to|on|in|into)\s+(?:my|the)\s+(?:calendar|agenda|diary)\b",
        "",
        remainder,
        flags=re.I,
    )
    title = re.sub(r"^(?:a|an|the|my)\s+", "", remainder.strip(" ,"), flags=re.IGNORECASE)
    return Call("create_event", {"title": title, "start": when})
