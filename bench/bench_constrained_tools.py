"""Tool calls two ways, on the conversation stories: the NLU planner against the local model
under grammar-constrained decoding (issue #16, "Two ways in").

    .venv/bin/python -m bench.bench_constrained_tools             # ~5-6 min on 2 shared cores
    .venv/bin/python -m bench.bench_constrained_tools --limit 20 --out /tmp/ct.json   # quick

The steps: every single-turn step of tests/conversations/*.yaml that names a tool (a step whose
conversation has nothing pending from the previous step; multi-turn steps need the pending
action, so both paths skip them), every single-turn `tool: none` step, then two sets written
here: `PARAPHRASES`, requests in a tool's domain worded so that the planner's rules miss them
(where a fallback would act), and `CHATTER`, messages the planner hands to the model, half of
them using a tool's words without asking for anything (a fallback must answer `none`).

- **planner**: `plan_turn(text, intent, pending=None)`, the intent from `BaselineAnalyzer` (what
  ai_service runs without the trained models). A `Call` or an `Ask` is the tool it names (the
  stack records an `Ask` as a `needs_input` call); a `Say` or None is `none`.
- **constrained**: the local model in-process (xllamacpp, the model `LocalProvider` serves,
  1 thread, greedy), its prompt a system text listing every tool of `default_registry()` with
  the user's time zone and now, its output constrained by
  `xllamacpp.json_schema_to_grammar({"oneOf": [{"name": const tool, "arguments": the tool's
  JSON Schema}, ..., {"name": "none"}]})`, passed as `grammar` to `handle_completions`.

Scoring uses the stories' own matcher (`tools.conversations.checks.mismatch`): `tool` is the
name; `slots` is the stories' slot-filling rule (name and the expected argument subset). The
arguments are compared as the stack records them: the tool's schema defaults filled in, and a
time said in words (`when`, `start`) resolved with `ai_service.tools.dates.resolve_when` into
the `dueAt` / `startAt` the tool records, then matched against the step's relative time. Time
and other arguments are also reported apart. "now" is fixed (`bench_dates.STORY_NOW`).
Writes bench/results/constrained_tools.json.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shlex
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema

from ai_service.generation.base import ChatMessage, Role, ToolSpec
from ai_service.generation.local import chatml_prompt
from ai_service.generation.local_model import DEFAULT_MODEL_ID, locate_model
from ai_service.nlu.baseline import BaselineAnalyzer
from ai_service.tools.builtin import default_registry
from ai_service.tools.dates import resolve_when
from ai_service.tools.planner import Ask, Call, plan_turn
from bench.bench_dates import STORY_NOW
from bench.harness import ROOT, machine_info, percentile
from tools.conversations.checks import Context, mismatch
from tools.conversations.story import NO_TOOL, Expected, Fields, Step, TimeSpec, load_stories

RESULTS = ROOT / "bench" / "results" / "constrained_tools.json"
STORIES = ROOT / "tests" / "conversations"
PLANNER, CONSTRAINED = "planner", "constrained"
METHODS = (PLANNER, CONSTRAINED)
# The argument said in words -> the resolved argument the tool records (builtin's `resolved=`).
TIME_ARGS: Mapping[str, tuple[str, str]] = {
    "create_reminder": ("when", "dueAt"),
    "create_event": ("start", "startAt"),
}
# Arguments a model never sets: destructive tools act on the user's own "yes", not a model's.
MODEL_NEVER_SETS = frozenset({"confirmed"})
MAX_STRING = 120  # a tool argument longer than this is a model rambling, not a request
MAX_TOKENS = 96


@dataclass(frozen=True, slots=True)
class Case:
    """One utterance to route: the tool it should reach and a subset of the recorded args."""

    source: str  # "reminders.yaml: <story> #2", "paraphrase", "chatter"
    kind: str  # "story", "paraphrase" or "chatter"
    utterance: str
    zone: str
    tool: str  # NO_TOOL for none
    args: Fields | None = None
    status: str | None = None


def _case(kind: str, utterance: str, zone: str, tool: str, args: Mapping[str, Any] | None) -> Case:
    fields = None if args is None else Step(user=utterance, tool=tool, args=dict(args)).args
    return Case(source=kind, kind=kind, utterance=utterance, zone=zone, tool=tool, args=fields)


_LISBON = "Europe/Lisbon"
_TOMORROW_9 = {"local_time": "09:00", "day": "tomorrow"}
# Requests in a tool's domain that the planner's rules do not match (checked in the unit tests).
PARAPHRASES: tuple[Case, ...] = (
    _case(
        "paraphrase",
        "could you jot down that the gate code is 4512",
        _LISBON,
        "add_note",
        {"text": "the gate code is 4512"},
    ),
    _case(
        "paraphrase",
        "ping me about the dentist tomorrow morning",
        _LISBON,
        "create_reminder",
        {"dueAt": _TOMORROW_9},
    ),
    _case(
        "paraphrase",
        "don't let me forget to call mum at 6pm",
        _LISBON,
        "create_reminder",
        {"dueAt": {"local_time": "18:00"}},
    ),
    _case(
        "paraphrase",
        "we're out of coffee, put it on the shopping list",
        _LISBON,
        "add_task",
        {"list": "shopping"},
    ),
    _case(
        "paraphrase",
        "I still have to renew my library card, add that to my to-do list please",
        _LISBON,
        "add_task",
        {"list": "todo"},
    ),
    _case("paraphrase", "what's left to buy?", _LISBON, "list_tasks", {"list": "shopping"}),
    _case("paraphrase", "have I set any alarms for myself?", _LISBON, "list_reminders", None),
    _case("paraphrase", "do I have anything planned tomorrow?", _LISBON, "list_events", None),
    _case(
        "paraphrase",
        "lunch with Sara on Friday at 1pm, put it in my diary",
        _LISBON,
        "create_event",
        {"startAt": {"local_time": "13:00", "day": "friday"}},
    ),
    _case(
        "paraphrase",
        "what was the wifi password I saved?",
        _LISBON,
        "search_notes",
        {"query": {"regex": "wifi"}},
    ),
    _case("paraphrase", "how much is 15 percent of 80?", _LISBON, "calculate", None),
    _case("paraphrase", "bin the reminder about the car service", _LISBON, "cancel_reminder", None),
)
# Messages the planner leaves to the model; the last three use a tool's words and ask nothing.
CHATTER: tuple[Case, ...] = tuple(
    _case("chatter", text, _LISBON, NO_TOOL, None)
    for text in (
        "Hello! Can you suggest a name for a pet goldfish?",
        "tell me a joke about penguins",
        "who wrote Romeo and Juliet?",
        "I always forget things, it's so annoying",
        "my calendar is packed this week, I'm exhausted",
        "shopping lists are such an old-fashioned idea",
    )
)


# -- cases ----------------------------------------------------------------------------------------


def _leaves_pending(step: Step) -> bool:
    """Whether the stack keeps a pending action after `step` (the next step answers it)."""
    return step.status in ("needs_input", "needs_confirmation") or step.pending not in (
        None,
        NO_TOOL,
    )


def story_cases(paths: Iterable[Path]) -> tuple[list[Case], int]:
    """The single-turn steps that name a tool (`none` included), and how many tool steps were
    skipped as multi-turn."""
    cases: list[Case] = []
    skipped = 0
    for path in paths:
        for story in load_stories(path):
            previous: dict[str, Step] = {}
            for index, step in enumerate(story.steps, start=1):
                before = previous.get(step.conversation)
                previous[step.conversation] = step
                if step.tool is None:
                    continue
                if before is not None and _leaves_pending(before):
                    skipped += step.expects_call
                    continue
                cases.append(
                    Case(
                        source=f"{path.name}: {story.name} #{index}",
                        kind="story",
                        utterance=step.user,
                        zone=story.time_zone,
                        tool=step.tool,
                        args=step.args,
                        status=step.status,
                    )
                )
    return cases, skipped


def bounded(cases: Sequence[Case], limit: int | None) -> list[Case]:
    """At most `limit` story cases, spread evenly over the files (every `none` case is kept)."""
    calls = [case for case in cases if case.tool != NO_TOOL]
    if limit is None or limit >= len(calls):
        return list(cases)
    keep = {id(calls[round(i * len(calls) / limit)]) for i in range(limit)}
    return [case for case in cases if case.tool == NO_TOOL or id(case) in keep]


# -- the constrained model's schema and prompt ----------------------------------------------------


def _inline(node: Any, defs: Mapping[str, Any]) -> Any:
    """`node` with local `$ref`s replaced by their definitions and annotations dropped."""
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _inline(defs[str(node["$ref"]).rsplit("/", 1)[-1]], defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "description", "default", "$defs"):
            continue
        if key == "maxLength":
            out[key] = min(int(value), MAX_STRING)
        elif key == "properties":  # property names are not keywords ("title" is one)
            out[key] = {name: _inline(prop, defs) for name, prop in value.items()}
        else:
            out[key] = _inline(value, defs)
    return out


def arguments_schema(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """A tool's JSON Schema as the model may fill it: refs inlined, annotations dropped, strings
    capped at MAX_STRING, no `confirmed`."""
    schema: dict[str, Any] = _inline(dict(parameters), parameters.get("$defs", {}))
    props = {k: v for k, v in schema.get("properties", {}).items() if k not in MODEL_NEVER_SETS}
    schema["properties"] = props
    schema["additionalProperties"] = False
    schema.setdefault("type", "object")
    return schema


def call_schema(specs: Sequence[ToolSpec]) -> dict[str, Any]:
    """One JSON object naming a tool and its arguments, or `{"name": "none"}`."""
    calls: list[dict[str, Any]] = [
        {
            "type": "object",
            "properties": {
                "name": {"const": spec.name},
                "arguments": arguments_schema(spec.parameters),
            },
            "required": ["name", "arguments"],
            "additionalProperties": False,
        }
        for spec in specs
    ]
    calls.append(
        {
            "type": "object",
            "properties": {"name": {"const": NO_TOOL}},
            "required": ["name"],
            "additionalProperties": False,
        }
    )
    # One line, as the prompt's examples: fewer tokens to decode than llguidance's free layout.
    compact = {"whitespace_flexible": False, "key_separator": ": ", "item_separator": ", "}
    return {"oneOf": calls, "x-guidance": compact}


def _signature(spec: ToolSpec) -> str:
    props: Mapping[str, Any] = spec.parameters.get("properties", {})
    required = set(spec.parameters.get("required", ()))
    shown = []
    for name, prop in props.items():
        if name in MODEL_NEVER_SETS:
            continue
        enum = prop.get("enum") or (
            spec.parameters.get("$defs", {})
            .get(str(prop.get("$ref", "")).rsplit("/", 1)[-1], {})
            .get("enum")
        )
        kind = "|".join(enum) if enum else prop.get("type", "string")
        shown.append(f"{name}{'' if name in required else '?'}: {kind}")
    return f"- {spec.name}({', '.join(shown)}): {spec.description}"


INSTRUCTIONS = """You are the tool router of Aura, a personal assistant. Read the user's message \
and answer with one JSON object: {"name": <tool>, "arguments": {...}} for the tool that does \
what the user asks, or {"name": "none"} when no tool fits (chat, general questions, things \
Aura cannot do).

Tools:
{tools}

Rules: call a tool only when the user asks Aura to do that thing; otherwise answer \
{"name": "none"}. Copy the user's own words for a time ("at 6pm", "tomorrow at 9am", \
"in 20 minutes"). A list is "todo" or "shopping" unless the user names another. Leave out \
arguments the user did not give.

Examples:
"remind me to feed the dog at 8pm" -> {"name": "create_reminder", "arguments": {"text": "feed \
the dog", "when": "at 8pm"}}
"add batteries to my shopping list" -> {"name": "add_task", "arguments": {"text": "batteries", \
"list": "shopping"}}
"how are you today?" -> {"name": "none"}
"what is the capital of Peru?" -> {"name": "none"}
"""


def system_prompt(specs: Sequence[ToolSpec], *, zone: str, now: datetime) -> str:
    """The tools first (a prefix every call shares, so the runtime caches it), then the user's
    time zone and local now."""
    local = now.astimezone(ZoneInfo(zone))
    tools = "\n".join(_signature(spec) for spec in specs)
    return (
        INSTRUCTIONS.replace("{tools}", tools)
        + f"\nThe user's time zone is {zone}; it is now {local:%A %Y-%m-%d %H:%M} there."
    )


# -- scoring --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Parsed:
    """A model's output read as a tool call: `valid` when it is JSON matching the call schema."""

    name: str | None
    arguments: dict[str, Any]
    valid: bool
    problem: str | None = None


def parse_call(text: str, schema: Mapping[str, Any]) -> Parsed:
    try:
        value = json.loads(text)
    except ValueError as error:
        return Parsed(None, {}, valid=False, problem=f"not JSON: {error}")
    try:
        jsonschema.validate(value, dict(schema))
    except jsonschema.ValidationError as error:
        name = value.get("name") if isinstance(value, dict) else None
        return Parsed(name if isinstance(name, str) else None, {}, False, error.message[:200])
    return Parsed(str(value["name"]), dict(value.get("arguments") or {}), valid=True)


def recorded_args(
    spec: ToolSpec | None, arguments: Mapping[str, Any], *, now: datetime, zone: str
) -> dict[str, Any]:
    """The arguments as the stack records the call: schema defaults filled in (None ones left
    out, as the registry's dump does) and a time in words resolved into `dueAt` / `startAt`."""
    recorded = {k: v for k, v in arguments.items() if v is not None}
    if spec is None:
        return recorded
    for name, prop in spec.parameters.get("properties", {}).items():
        if name not in recorded and prop.get("default") is not None:
            recorded[name] = prop["default"]
    said, resolved_key = TIME_ARGS.get(spec.name, ("", ""))
    words = recorded.get(said)
    if isinstance(words, str) and words.strip():
        resolved = resolve_when(words, now=now, time_zone=zone)
        if resolved is not None:
            recorded[resolved_key] = resolved.at.isoformat()
    return recorded


@dataclass(frozen=True, slots=True)
class Score:
    tool_ok: bool
    slots_ok: bool | None  # None: the case expects no call
    time_ok: bool | None  # None: no time among the expected args (or the wrong tool)
    other_ok: bool | None  # None: no other expected args (or the wrong tool)
    problem: str | None


def _split(args: Fields) -> tuple[Fields, Fields]:
    times = {k: v for k, v in args.items() if isinstance(v.root, TimeSpec)}
    return times, {k: v for k, v in args.items() if k not in times}


def score(case: Case, name: str | None, recorded: Mapping[str, Any], *, now: datetime) -> Score:
    """The stories' rule: the tool's name, then the expected subset of the recorded args."""
    got = name or NO_TOOL
    tool_ok = got == case.tool
    if case.tool == NO_TOOL:
        return Score(tool_ok, None, None, None, None if tool_ok else f"tool: got {got}")
    if not tool_ok:
        return Score(False, False, None, None, f"tool: expected {case.tool}, got {got}")
    ctx = Context(now=now, zone=ZoneInfo(case.zone))
    times, others = _split(case.args or {})
    time_problem = mismatch(Expected(times), recorded, ctx) if times else None
    other_problem = mismatch(Expected(others), recorded, ctx) if others else None
    problem = other_problem or time_problem
    return Score(
        tool_ok=True,
        slots_ok=problem is None,
        time_ok=None if not times else time_problem is None,
        other_ok=None if not others else other_problem is None,
        problem=problem,
    )


def _share(flags: Iterable[bool | None]) -> dict[str, Any]:
    counted = [flag for flag in flags if flag is not None]
    hits = sum(counted)
    return {
        "ok": hits,
        "n": len(counted),
        "pct": round(100 * hits / len(counted), 1) if counted else None,
    }


def summarise(rows: Sequence[Mapping[str, Any]], method: str) -> dict[str, Any]:
    """Accuracy of one method over `rows` (each row holds a `Score` under the method's name)."""
    scores: list[Score] = [row[method]["score"] for row in rows]
    calls = [s for s, row in zip(scores, rows, strict=True) if row["tool"] != NO_TOOL]
    nones = [s for s, row in zip(scores, rows, strict=True) if row["tool"] == NO_TOOL]
    seconds = [float(row[method]["seconds"]) for row in rows]
    valid = [row[method].get("valid") for row in rows]
    return {
        "tool": _share(s.tool_ok for s in scores),
        "slots": _share(s.slots_ok for s in calls),
        "time_args": _share(s.time_ok for s in calls),
        "other_args": _share(s.other_ok for s in calls),
        "none_right": _share(s.tool_ok for s in nones),
        "valid_json": _share(valid),
        "latency_p50_ms": round(1000 * percentile(seconds, 50), 2) if seconds else None,
        "latency_p95_ms": round(1000 * percentile(seconds, 95), 2) if seconds else None,
    }


# -- the two methods ------------------------------------------------------------------------------


@cache
def _analyzer() -> BaselineAnalyzer:
    return BaselineAnalyzer()


def planner_call(case: Case) -> tuple[str | None, dict[str, Any]]:
    """The planner's tool for a single-turn utterance (None for a `Say` or no plan)."""
    intent = _analyzer().analyze([case.utterance])[0].intent.name
    plan = plan_turn(text=case.utterance, intent=intent, pending=None)
    if isinstance(plan, Call | Ask):
        return plan.tool, dict(plan.args)
    return None, {}


@dataclass
class ConstrainedModel:
    """The local model under a grammar, loaded as `LocalProvider` loads it (which takes no
    grammar, so the bench drives the engine itself)."""

    model_id: str
    threads: int
    batch_threads: int
    n_ctx: int
    schema: dict[str, Any]
    grammar: str = ""
    load_s: float = 0.0
    _server: Any = field(default=None, repr=False)

    def load(self) -> None:
        import xllamacpp

        started = time.perf_counter()
        params = xllamacpp.CommonParams()
        params.model.path = str(locate_model(self.model_id))
        params.n_parallel = 1
        params.n_ctx = self.n_ctx
        params.fit_params = False
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.batch_threads
        params.n_threads_http = 1
        params.verbosity = 1
        params.offline = True
        params.ui = False
        params.endpoint_slots = False
        params.endpoint_metrics = False
        params.api_keys = [secrets.token_urlsafe(32)]
        self._server = xllamacpp.Server(params)
        self.grammar = xllamacpp.json_schema_to_grammar(self.schema)
        self.load_s = time.perf_counter() - started

    def complete(self, system: str, utterance: str) -> dict[str, Any]:
        prompt = chatml_prompt(system, (ChatMessage(role=Role.USER, content=utterance),))
        body = {
            "prompt": prompt,
            "grammar": self.grammar,
            "max_tokens": MAX_TOKENS,
            "temperature": 0.0,
            "cache_prompt": True,
            "seed": 1,
        }
        started = time.perf_counter()
        reply = self._server.handle_completions(body)
        seconds = time.perf_counter() - started
        if not isinstance(reply, dict) or "error" in reply:
            return {"text": "", "seconds": seconds, "error": str(reply)[:300]}
        choice = (reply.get("choices") or [{}])[0]
        timings = reply.get("timings") or {}
        return {
            "text": str(choice.get("text") or ""),
            "finish_reason": choice.get("finish_reason"),
            "seconds": seconds,
            "prompt_tokens": int(timings.get("prompt_n", 0)) + int(timings.get("cache_n", 0)),
            "cached_tokens": int(timings.get("cache_n", 0)),
            "output_tokens": int(timings.get("predicted_n", 0)),
        }


# -- the run --------------------------------------------------------------------------------------


def _row(case: Case) -> dict[str, Any]:
    return {
        "source": case.source,
        "kind": case.kind,
        "utterance": case.utterance,
        "zone": case.zone,
        "tool": case.tool,
        "status": case.status,
    }


def run_planner(case: Case, specs: Mapping[str, ToolSpec], now: datetime) -> dict[str, Any]:
    started = time.perf_counter()
    name, args = planner_call(case)
    seconds = time.perf_counter() - started
    recorded = recorded_args(specs.get(name or ""), args, now=now, zone=case.zone)
    return {
        "name": name,
        "args": recorded,
        "seconds": seconds,
        "score": score(case, name, recorded, now=now),
    }


def run_model(
    case: Case, model: ConstrainedModel, specs: Mapping[str, ToolSpec], now: datetime
) -> dict[str, Any]:
    out = model.complete(
        system_prompt(list(specs.values()), zone=case.zone, now=now), case.utterance
    )
    parsed = parse_call(out["text"], model.schema)
    name = None if parsed.name == NO_TOOL else parsed.name
    recorded = recorded_args(specs.get(name or ""), parsed.arguments, now=now, zone=case.zone)
    return {
        **out,
        "name": name,
        "args": recorded,
        "valid": parsed.valid,
        "invalid_because": parsed.problem,
        "score": score(case, name, recorded, now=now),
    }


def _mark(s: Score) -> str:
    right = s.tool_ok if s.slots_ok is None else s.slots_ok
    return "ok" if right else "--"


def _jsonable(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for method in METHODS:
        if method in out:
            result = dict(out[method])
            s: Score = result.pop("score")
            result.update(
                tool_ok=s.tool_ok, slots_ok=s.slots_ok, time_ok=s.time_ok, other_ok=s.other_ok,
                problem=s.problem, seconds=round(float(result["seconds"]), 4),
            )  # fmt: skip
            out[method] = result
    return out


def _pct(share: Mapping[str, Any]) -> str:
    return "-" if share["pct"] is None else f"{share['ok']}/{share['n']} {share['pct']:g}%"


def table(summary: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    """One line per set and method: the shares and the latency."""
    keys = ("tool", "slots", "time_args", "other_args", "none_right", "valid_json")
    lines = [f"{'set':12} {'method':12} " + " ".join(f"{k:>14}" for k in keys) + "   p50/p95 ms"]
    for group, methods in summary.items():
        for method, got in methods.items():
            shares = " ".join(f"{_pct(got[k]):>14}" for k in keys)
            lines.append(
                f"{group:12} {method:12} {shares}   "
                f"{got['latency_p50_ms']:g}/{got['latency_p95_ms']:g}"
            )
    return "\n".join(lines)


def decide(summary: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Which path ships first, and whether the constrained model earns a fallback: it must
    route more paraphrases the planner misses than the chatter it would wrongly act on."""
    stories = summary["stories"]
    first = PLANNER
    if (stories[CONSTRAINED]["slots"]["pct"] or 0) > (stories[PLANNER]["slots"]["pct"] or 0):
        first = CONSTRAINED
    para = summary["paraphrases"][CONSTRAINED]["slots"]
    chatter = summary["chatter"][CONSTRAINED]["none_right"]
    wrongly_acted = chatter["n"] - chatter["ok"]
    gained = para["ok"] - summary["paraphrases"][PLANNER]["slots"]["ok"]
    return {
        "ships_first": first,
        "fallback_gains_paraphrases": gained,
        "fallback_paraphrases_pct": para["pct"],
        "fallback_wrong_calls_on_chatter": wrongly_acted,
        "fallback_worth_it": first == PLANNER and gained > 0 and gained > wrongly_acted,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="story steps naming a tool (all)")
    parser.add_argument("--threads", type=int, default=1, help="decode threads (default 1)")
    parser.add_argument("--batch-threads", type=int, default=2, help="prompt threads (2)")
    parser.add_argument("--model", default=DEFAULT_MODEL_ID)
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    started_run = time.perf_counter()
    machine = {**machine_info(), "xllamacpp": metadata.version("xllamacpp")}
    found, skipped = story_cases(sorted(STORIES.glob("*.yaml")))
    stories = bounded(found, args.limit)
    cases = [*stories, *PARAPHRASES, *CHATTER]
    registry_specs = default_registry().specs()
    specs = {spec.name: spec for spec in registry_specs}
    now = STORY_NOW
    model = ConstrainedModel(
        model_id=args.model,
        threads=args.threads,
        batch_threads=args.batch_threads,
        n_ctx=args.n_ctx,
        schema=call_schema(registry_specs),
    )
    model.load()
    rows: list[dict[str, Any]] = []
    for index, case in enumerate(cases, start=1):
        row = {**_row(case), PLANNER: run_planner(case, specs, now)}
        row[CONSTRAINED] = run_model(case, model, specs, now)
        rows.append(row)
        marks = " ".join(f"{m[:4]} {_mark(row[m]['score'])}" for m in METHODS)
        print(
            f"[{index:3}/{len(cases)}] {marks} {row[CONSTRAINED]['seconds']:5.2f}s "
            f"{case.utterance[:48]!r:50} -> {row[CONSTRAINED]['text'][:70]!r}",
            flush=True,
        )

    groups = {
        "stories": [r for r in rows if r["kind"] == "story"],
        "paraphrases": [r for r in rows if r["kind"] == "paraphrase"],
        "chatter": [r for r in rows if r["kind"] == "chatter"],
    }
    summary = {name: {m: summarise(group, m) for m in METHODS} for name, group in groups.items()}
    decision = decide(summary)
    # The grammar makes every required slot appear: where the planner asks, the model invents.
    asked = [r for r in groups["stories"] if r["status"] == "needs_input"]
    decision["model_filled_a_missing_slot"] = {
        "n": len(asked),
        "filled": sum(1 for r in asked if r[CONSTRAINED]["valid"] and r[CONSTRAINED]["name"]),
        "examples": [r[CONSTRAINED]["text"] for r in asked[:2]],
    }
    result = {
        "when": datetime.now(STORY_NOW.tzinfo).isoformat(timespec="seconds"),
        "command": shlex.join(
            ["python", "-m", "bench.bench_constrained_tools", *(argv or sys.argv[1:])]
        ),
        "now": now.isoformat(),
        "model": args.model,
        "threads": args.threads,
        "batch_threads": args.batch_threads,
        "max_tokens": MAX_TOKENS,
        "load_s": round(model.load_s, 2),
        "decoding": "xllamacpp.json_schema_to_grammar(oneOf of {name, arguments} + none) as "
        "handle_completions' `grammar` (the build returns an llguidance %json grammar)",
        "time_args": "words resolved with resolve_when into dueAt/startAt, matched as the "
        "stories match them",
        "story_steps": {
            "scored": len(stories),
            "naming_a_tool": sum(1 for c in stories if c.tool != NO_TOOL),
            "none": sum(1 for c in stories if c.tool == NO_TOOL),
            "skipped_multi_turn": skipped,
        },
        "summary": summary,
        "decision": decision,
        "run_s": round(time.perf_counter() - started_run, 1),
        "machine": machine,
        "rows": [_jsonable(row) for row in rows],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(table(summary))
    print(json.dumps({k: result[k] for k in ("story_steps", "decision", "run_s")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
