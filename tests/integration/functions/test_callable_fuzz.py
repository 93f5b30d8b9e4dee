"""Callable fuzz suite: every exported callable, >= 1,000 seeded hostile requests over HTTP.

Each request goes to the Functions emulator the way the Firebase client SDKs send it (POST,
`{"data": ...}`, a Bearer ID token), as a signed-in user and, for the admin callables, as an
admin. Every answer must be a success or a typed error of the callable protocol: never
INTERNAL (and never a 5xx). A rejected request must change nothing: the documents it could
have written are snapshotted before and after it.

The cases come from `random.Random(<callable name>)`: the same cases on every run (no
shrinking, no flaky counterexamples), each a mostly well-formed request with some fields
replaced by hostile values (ids Firestore reserves, path separators, extreme dates, 1 MB
strings, unpaired surrogates, wrong types). `CASES_PER_CALLABLE` bounds the run time.
"""

from __future__ import annotations

import json
import os
import random
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.models.security import AlertSeverity, SecurityAlert
from tools.emulator_auth import SignedInUser, sign_up
from tools.local_stack import PROJECT_ID

from ..helpers import FUNCTIONS, call_function, make_admin
from .test_callable_validation import MALFORMED_BODIES

# Per callable; the two expensive ones (5 calls an hour per user) get fewer, each on a fresh user.
CASES_PER_CALLABLE = 80
FEW_CASES = 12
# The per-callable limit is 60 a minute: a caller is replaced before it could trip it.
CALLS_PER_CALLER = 50
ADMIN_CALLABLES = (
    "getAnalyticsSummary",
    "listSecurityAlerts",
    "acknowledgeAlert",
    "setUserActive",
    "setUserRole",
)
USER_CALLABLES = (
    "sendMessage",
    "getProfile",
    "updateProfile",
    "setConsent",
    "trackEvents",
    "getRecommendations",
    "addTask",
    "completeTask",
    "deleteTask",
    "createReminder",
    "cancelReminder",
    "addNote",
    "deleteNote",
    "markNotificationsRead",
    "registerDevice",
    "unregisterDevice",
    "searchConversations",
)
COSTLY_CALLABLES = ("exportMyData", "deleteMyAccount")  # 5 calls an hour per user
ALL_CALLABLES = USER_CALLABLES + ADMIN_CALLABLES + COSTLY_CALLABLES
TYPED_ERRORS = frozenset(
    {
        "INVALID_ARGUMENT",
        "FAILED_PRECONDITION",
        "OUT_OF_RANGE",
        "UNAUTHENTICATED",
        "PERMISSION_DENIED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "ABORTED",
        "RESOURCE_EXHAUSTED",
        "CANCELLED",
        "UNAVAILABLE",
        "DEADLINE_EXCEEDED",
    }
)
MEGABYTE = "u" * 1_000_000

# ------------------------------------------------------------------ hostile values

# Ids that pass a naive [A-Za-z0-9_-] check but Firestore refuses, or that are not ids at all.
HOSTILE_IDS: tuple[Any, ...] = (
    "__turn__",
    "__conv__",
    "__abcdefgh__",
    "__",
    "a/b",
    ".",
    "..",
    "",
    " ",
    "x" * 65,
    "x" * 1500,
    "id\x00nul",
    "émoji😀",
    "\ud800",
    None,
    0,
    True,
    [],
    {},
)
HOSTILE_STRINGS: tuple[Any, ...] = (
    "",
    " ",
    "\n",
    "x" * 4001,
    "😀" * 2001,
    "😀" * 4000,
    "\ud800 unpaired",
    "a\x00b",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "2*3+" + "-" * 1500 + "1",
    "\u0301" * 2600,
    42,
    -1,
    1.5,
    1e308,
    2**63,
    True,
    None,
    [],
    {},
    ["x"],
    {"a": "b"},
)
TIMES: tuple[Any, ...] = (
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+05:00",
    "0001-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "2024-02-30T00:00:00Z",
    "2024-01-01T25:00:00Z",
    "not a time",
    "",
    0,
    -1,
    1e20,
    253402300800,
    None,
    [],
)
DATES: tuple[Any, ...] = (
    "9999-12-31",
    "9999-12-30",
    "0001-01-01",
    "2024-02-30",
    "2024-13-01",
    "1900-01-01",
    "yesterday",
    "",
    20240101,
    None,
    {},
)


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def any_json(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value: scalars, hostile strings, containers, deep nesting."""
    makers: tuple[Callable[[], Any], ...] = (
        lambda: rng.choice(HOSTILE_STRINGS),
        lambda: rng.choice(HOSTILE_IDS),
        lambda: rng.choice((None, True, False, 0, -(2**63), 2**64, 3.14, -0.0)),
        lambda: rng.choice(TIMES + DATES),
        lambda: "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(12))),
        lambda: [any_json(rng, depth + 1) for _ in range(rng.randrange(4))],
        lambda: {
            rng.choice(("a", "data", "uid", "__name__", "x.y", "", "😀")): any_json(rng, depth + 1)
            for _ in range(rng.randrange(4))
        },
        lambda: nested(rng.choice((20, 200, 900))),
        dict,
    )
    return rng.choice(makers if depth < 3 else makers[:5])()


def pick(rng: random.Random, valid: Any, hostile: tuple[Any, ...], p_hostile: float = 0.4) -> Any:
    """Mostly `valid` (called when callable), sometimes a hostile value."""
    if rng.random() < p_hostile:
        return rng.choice(hostile)
    return valid() if callable(valid) else valid


def request_body(rng: random.Random, fields: dict[str, Any]) -> Any:
    """The fields, each sometimes dropped, sometimes an extra one; rarely not an object."""
    roll = rng.random()
    if roll < 0.05:
        return any_json(rng)
    body = {k: v for k, v in fields.items() if rng.random() > 0.1}
    if roll > 0.93:
        body[rng.choice(("extra", "role", "uid", "__proto__"))] = any_json(rng)
    return body


def fresh_id() -> str:
    return "f" + uuid.uuid4().hex[:20]


# ------------------------------------------------------------------ requests per callable


@dataclass
class Targets:
    """What the generated requests refer to: the victim of admin calls, a stored alert."""

    victim_uid: str
    admin_uid: str
    alert_id: str = "alert-fuzz-1"


def event(rng: random.Random) -> Any:
    kind = rng.choice(("app_open", "page_view", "feature_used", "search", "error", "bogus"))
    schemas: dict[str, dict[str, Any]] = {
        "app_open": {},
        "page_view": {"path": "/home"},
        "feature_used": {"feature": "voice"},
        "search": {"query": "pets"},
        "error": {"code": "E1", "message": "boom"},
        "bogus": {"x": 1},
    }
    data = schemas[kind]
    if rng.random() < 0.3:
        data = {k: rng.choice(HOSTILE_STRINGS) for k in data} or {"extra": 1}
    fields = {
        "eventId": pick(rng, fresh_id, HOSTILE_IDS, 0.3),
        "type": pick(rng, kind, HOSTILE_STRINGS, 0.1),
        "data": data,
        "sessionId": pick(rng, "session-1", HOSTILE_STRINGS, 0.2),
        "clientTime": pick(rng, "2026-01-02T03:04:05Z", TIMES, 0.4),
    }
    return {k: v for k, v in fields.items() if rng.random() > 0.05}


def send_message(rng: random.Random, _: Targets) -> Any:
    prompts = ("hi", "x" * 4000, "😀" * 2000)
    return request_body(
        rng,
        {
            "prompt": pick(rng, lambda: rng.choice(prompts), HOSTILE_STRINGS),
            "conversationId": pick(rng, fresh_id, HOSTILE_IDS),
            "turnId": pick(rng, fresh_id, HOSTILE_IDS),
        },
    )


def update_profile(rng: random.Random, _: Targets) -> Any:
    return request_body(
        rng,
        {
            "displayName": pick(rng, "Ann", HOSTILE_STRINGS),
            "avatarUrl": pick(rng, "https://example.com/a.png", HOSTILE_STRINGS),
        },
    )


def set_consent(rng: random.Random, _: Targets) -> Any:
    return request_body(
        rng,
        {
            "analytics": pick(rng, True, HOSTILE_STRINGS),
            "personalization": pick(rng, True, HOSTILE_STRINGS),
        },
    )


def track_events(rng: random.Random, _: Targets) -> Any:
    if rng.random() < 0.08:
        return {"events": rng.choice(([], [{}] * 101, "events", None, {"0": {}}))}
    return request_body(rng, {"events": [event(rng) for _ in range(rng.randrange(1, 6))]})


def analytics_summary(rng: random.Random, _: Targets) -> Any:
    return request_body(
        rng,
        {"from": pick(rng, "2026-01-01", DATES, 0.5), "to": pick(rng, "2026-01-03", DATES, 0.5)},
    )


def list_alerts(rng: random.Random, _: Targets) -> Any:
    limits = (0, -1, 201, 2**63, 1.5, "10", None)
    return request_body(
        rng,
        {
            "acknowledged": pick(rng, False, HOSTILE_STRINGS),
            "limit": pick(rng, 10, limits, 0.5),
        },
    )


def acknowledge_alert(rng: random.Random, targets: Targets) -> Any:
    return request_body(rng, {"alertId": pick(rng, targets.alert_id, HOSTILE_IDS, 0.7)})


def target_uid(rng: random.Random, targets: Targets) -> Any:
    uids = (*HOSTILE_IDS, MEGABYTE, "nobody", targets.admin_uid)
    return pick(rng, targets.victim_uid, uids, 0.6)


def set_user_active(rng: random.Random, targets: Targets) -> Any:
    active = pick(rng, lambda: rng.random() < 0.5, HOSTILE_STRINGS)
    return request_body(rng, {"uid": target_uid(rng, targets), "active": active})


def set_user_role(rng: random.Random, targets: Targets) -> Any:
    role = pick(rng, lambda: rng.choice(("admin", "user")), HOSTILE_STRINGS)
    return request_body(rng, {"uid": target_uid(rng, targets), "role": role})


def item_id(rng: random.Random) -> Any:
    return pick(rng, fresh_id, HOSTILE_IDS)


def add_task(rng: random.Random, _: Targets) -> Any:
    text = pick(rng, lambda: rng.choice(("milk", "call the bank", "ünïcødé ✓")), HOSTILE_STRINGS)
    name = pick(rng, lambda: rng.choice(("shopping", "todo", "Packing")), HOSTILE_STRINGS)
    return request_body(rng, {"text": text, "list": name})


def complete_task(rng: random.Random, _: Targets) -> Any:
    done = pick(rng, lambda: rng.random() < 0.5, HOSTILE_STRINGS)
    return request_body(rng, {"taskId": item_id(rng), "done": done})


def by_id(field: str) -> Callable[[random.Random, Targets], Any]:
    def generate(rng: random.Random, _: Targets) -> Any:
        return request_body(rng, {field: item_id(rng)})

    return generate


def create_reminder(rng: random.Random, _: Targets) -> Any:
    soon = (datetime.now(UTC) + timedelta(hours=rng.randint(1, 48))).isoformat()
    due = pick(rng, soon, (*HOSTILE_STRINGS, "2001-01-01T00:00:00Z", "tomorrow", "2026-13-40"))
    text = pick(rng, "water the plants", HOSTILE_STRINGS)
    return request_body(rng, {"text": text, "dueAt": due})


def add_note(rng: random.Random, _: Targets) -> Any:
    return request_body(
        rng, {"text": pick(rng, "the wifi password is on the router", HOSTILE_STRINGS)}
    )


def mark_notifications_read(rng: random.Random, _: Targets) -> Any:
    ids = pick(
        rng,
        lambda: [fresh_id() for _ in range(rng.randint(1, 3))],
        ([], [fresh_id() for _ in range(51)], "not-a-list", [None], HOSTILE_IDS[:5]),
    )
    return request_body(rng, {"ids": ids})


def device_token(rng: random.Random, _: Targets) -> Any:
    token = pick(rng, lambda: "fcm-" + uuid.uuid4().hex, HOSTILE_STRINGS)
    return request_body(rng, {"token": token})


def search_conversations(rng: random.Random, _: Targets) -> Any:
    queries = ("hiking", "mountain trip", "x" * 500, "😀" * 250, "Café crème", "tyre")
    limits = (0, -1, 21, 2**63, 1.5, "10", True, None)
    tokens = (
        *HOSTILE_STRINGS,
        "v1.s.10.0123456789abcdef",
        "v1.t.0.0123456789abcdef",
        "v1.s.999.0123456789abcdef",
        "v1.x.10.0123456789abcdef",
    )
    return request_body(
        rng,
        {
            "query": pick(rng, lambda: rng.choice(queries), HOSTILE_STRINGS),
            "limit": pick(rng, lambda: rng.randint(1, 20), limits, 0.5),
            "pageToken": pick(rng, None, tokens, 0.5),
        },
    )


def no_data(rng: random.Random, _: Targets) -> Any:
    """Callables that take no data: whatever a client might send."""
    return any_json(rng)


GENERATORS: dict[str, Callable[[random.Random, Targets], Any]] = {
    "sendMessage": send_message,
    "getProfile": no_data,
    "updateProfile": update_profile,
    "setConsent": set_consent,
    "trackEvents": track_events,
    "getRecommendations": no_data,
    "addTask": add_task,
    "completeTask": complete_task,
    "deleteTask": by_id("taskId"),
    "createReminder": create_reminder,
    "cancelReminder": by_id("reminderId"),
    "addNote": add_note,
    "deleteNote": by_id("noteId"),
    "markNotificationsRead": mark_notifications_read,
    "registerDevice": device_token,
    "unregisterDevice": device_token,
    "searchConversations": search_conversations,
    "getAnalyticsSummary": analytics_summary,
    "listSecurityAlerts": list_alerts,
    "acknowledgeAlert": acknowledge_alert,
    "setUserActive": set_user_active,
    "setUserRole": set_user_role,
    "exportMyData": no_data,
    "deleteMyAccount": no_data,
}


# ------------------------------------------------------------------ the emulators' documents

# Written as a side effect of every call (rate limits), or later by triggers and ai_service.
_IGNORED = ("rate_limits/", "processed_events/", "counters/", "recommendations/")
# Documents the pipeline and triggers keep updating: only their existence is compared.
_NAMES_ONLY = ("analytics_events/",)


def _firestore() -> str:
    return "http://" + os.environ["FIRESTORE_EMULATOR_HOST"]


def snapshot() -> dict[str, Any]:
    """Every document of the emulator that a callable could write, by path."""
    response = requests.post(
        f"{_firestore()}/v1/projects/{PROJECT_ID}/databases/(default)/documents:runQuery",
        json={"structuredQuery": {"from": [{"allDescendants": True}]}},
        headers={"Authorization": "Bearer owner"},
        timeout=60,
    )
    response.raise_for_status()
    prefix = f"projects/{PROJECT_ID}/databases/(default)/documents/"
    documents: dict[str, Any] = {}
    for row in response.json():
        document = row.get("document")
        if document is None:
            continue
        path = document["name"].removeprefix(prefix)
        parts = path.split("/")
        fields = document.get("fields", {})
        if path.startswith(_IGNORED) or (len(parts) > 2 and parts[2] in ("stats", "sessions")):
            continue
        if path.startswith("audit_logs/") and (
            fields.get("action", {}).get("stringValue") == "rate_limit_tripped"
        ):
            continue
        if path.startswith(_NAMES_ONLY) or "/conversations/" in path:
            documents[path] = None
        elif path.startswith("security_alerts/"):
            documents[path] = fields.get("acknowledged")
        else:
            documents[path] = fields
    return documents


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Paths created, deleted or changed by the call.

    Not the call's: a new security alert and its audit entry (ai_service's anomaly model, for
    events stored earlier) and a conversation that has turns (the turn trigger creates the
    conversation of a turn written earlier).
    """

    def by_trigger(path: str) -> bool:
        parts = path.split("/")
        if len(parts) == 4 and parts[2] == "conversations":
            return any(p.startswith(path + "/messages/") for p in after)
        return path.startswith(("security_alerts/", "audit_logs/anomaly-"))

    changed = [p for p in before if after.get(p, "<deleted>") != before[p]]
    created = [p for p in after if p not in before and not by_trigger(p)]
    return sorted(changed + created)


# ------------------------------------------------------------------ callers


class Callers:
    """Signed-in users (with a profile and consent) and admins, replaced before a rate limit."""

    def __init__(self) -> None:
        self.user = self._user()
        self.admin = make_admin(self._user())
        self.calls = 0

    @staticmethod
    def _user() -> SignedInUser:
        user = sign_up(f"fuzz-{uuid.uuid4().hex[:10]}@example.com", "secret-pass-1")
        consent = call_function(
            "setConsent", {"analytics": True, "personalization": True}, id_token=user.id_token
        )
        assert consent.status_code == 200, consent.text
        return user

    def next(self, *, admin: bool, fresh: bool = False) -> SignedInUser:
        self.calls += 1
        if fresh or self.calls % CALLS_PER_CALLER == 0:
            self.user = self._user()
            if admin:
                self.admin = make_admin(self._user())
        return self.admin if admin else self.user


@dataclass(frozen=True)
class Outcome:
    status: int
    code: str | None  # the error's status; None on success

    def problem(self) -> str | None:
        if self.code is None:
            return None if self.status == 200 else f"HTTP {self.status} without an error"
        if self.code not in TYPED_ERRORS or self.status >= 500:
            return f"HTTP {self.status} {self.code}"
        return None


def outcome(response: requests.Response) -> Outcome:
    try:
        body = response.json()
    except ValueError:
        return Outcome(response.status_code, f"not JSON: {response.text[:80]!r}")
    if not isinstance(body, dict):
        return Outcome(response.status_code, f"not an object: {body!r:.80}")
    if "error" in body:
        return Outcome(response.status_code, str(body["error"].get("status")))
    if "result" not in body:
        return Outcome(response.status_code, f"neither result nor error: {body!r:.80}")
    return Outcome(response.status_code, None)


def describe(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=True, default=str)
    return text if len(text) <= 160 else text[:160] + f"... ({len(text)} chars)"


def fuzz(name: str, cases: Iterator[tuple[Any, SignedInUser | None]]) -> list[str]:
    """Send each case; the problems found (empty when every answer is typed and clean)."""
    problems: list[str] = []
    before, previous = snapshot(), None
    for data, caller in cases:
        if caller is not previous:  # a new caller's sign-up and sign-in are not the call's
            before, previous = snapshot(), caller
        response = call_function(name, data, id_token=caller.id_token if caller else None)
        result = outcome(response)
        after = snapshot()
        wrong = result.problem()
        if wrong is None and result.code is not None:
            changed = changes(before, after)
            if changed:
                wrong = f"{result.code} but changed {changed[:3]}"
        if wrong:
            problems.append(f"{name}({describe(data)}): {wrong}")
        before = after
    return problems


# ------------------------------------------------------------------ the tests


def _seed_alert(targets: Targets) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore

    db = firestore.Client(project=PROJECT_ID, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    alert = SecurityAlert(
        uid=targets.victim_uid,
        kind="burst",
        severity=AlertSeverity.HIGH,
        score=0.97,
        reason="seeded by the fuzz suite",
        create_time=datetime.now(UTC),
        window="fuzz",
    )
    db.document(f"security_alerts/{targets.alert_id}").set(alert.to_document())


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", ALL_CALLABLES)
def test_every_answer_is_typed_and_a_refusal_changes_nothing(name: str) -> None:
    rng = random.Random(name)
    callers = Callers()
    targets = Targets(
        victim_uid=sign_up(f"victim-{uuid.uuid4().hex[:8]}@example.com", "secret-pass-1").uid,
        admin_uid=callers.admin.uid,
    )
    _seed_alert(targets)
    admin = name in ADMIN_CALLABLES
    costly = name in COSTLY_CALLABLES
    count = FEW_CASES if costly else CASES_PER_CALLABLE

    def cases() -> Iterator[tuple[Any, SignedInUser | None]]:
        for index in range(count):
            data = GENERATORS[name](rng, targets)
            if index % 20 == 19:
                yield data, None  # signed out
            elif admin and index % 20 == 9:
                yield data, callers.next(admin=False)  # a user at an admin callable
            else:
                yield data, callers.next(admin=admin, fresh=costly)

    problems = fuzz(name, cases())

    assert problems == [], f"{len(problems)} of {count} cases:\n" + "\n".join(problems)


@pytest.mark.parametrize("name", ALL_CALLABLES)
def test_malformed_bodies_are_invalid_argument(name: str) -> None:
    """Bodies the SDK cannot parse are refused with a typed 400 before any of our code runs."""
    user = sign_up(f"raw-{uuid.uuid4().hex[:10]}@example.com", "secret-pass-1")
    problems: list[str] = []
    before = snapshot()
    for label, body, content_type in MALFORMED_BODIES:
        headers = {"Authorization": f"Bearer {user.id_token}"}
        if content_type:
            headers["Content-Type"] = content_type
        response = requests.post(
            f"{FUNCTIONS}/{PROJECT_ID}/us-central1/{name}", data=body, headers=headers, timeout=60
        )
        result = outcome(response)
        if result.code != "INVALID_ARGUMENT" or result.status != 400:
            problems.append(f"{name} {label}: HTTP {result.status} {result.code}")
    after = snapshot()

    assert problems == []
    assert changes(before, after) == []


def test_the_suite_covers_every_exported_callable() -> None:
    handlers = Path(__file__).resolve().parents[3] / "functions" / "auraos_functions" / "handlers"
    callables = {
        name
        for path in handlers.glob("*.py")
        for name in re.findall(r"^@callable_function\ndef (\w+)\(", path.read_text(), re.M)
    }

    assert callables == set(ALL_CALLABLES) == set(GENERATORS)


def test_the_suite_sends_at_least_a_thousand_cases() -> None:
    generated = (len(ALL_CALLABLES) - len(COSTLY_CALLABLES)) * CASES_PER_CALLABLE
    generated += len(COSTLY_CALLABLES) * FEW_CASES
    assert generated + len(ALL_CALLABLES) * len(MALFORMED_BODIES) >= 1000
