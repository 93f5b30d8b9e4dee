"""Plays stories against the running local stack through the client path.

Each story gets a fresh Auth emulator user and fresh conversations. Its profile time zone is set
through the `updateProfile` callable (`{timeZone}`), or, where that callable does not take it yet,
written as the server would. Turns are written as the user (security rules apply) and followed
through a Firestore realtime listener until they end, as the PWA does; what the turn did is then
read back (the turn, its conversation's `pendingAction`, the user's collections) as the server.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from shared import paths
from shared.models.assistant import CalendarEvent, Note, Reminder, ReminderStatus, Task

from ..emulator_auth import SignedInUser, sign_up
from ..local_stack import PROJECT_ID
from ..user_firestore import user_client
from .checks import Check, Context, Observed, StepResult, check_state, check_step
from .story import NO_TOOL, TURN_STATES, Setup, StateCheck, Step, Story, TimeSpec
from .timing import expected_instants, utc_now

TERMINAL = frozenset(TURN_STATES)


@dataclass(frozen=True, slots=True)
class StackConfig:
    project: str = PROJECT_ID
    functions_url: str = "http://127.0.0.1:5001"
    region: str = "us-central1"
    turn_timeout_s: float = 120.0
    # A pendingAction or a tool's document may land a moment after the turn's last write.
    settle_s: float = 5.0

    @classmethod
    def from_env(cls, *, turn_timeout_s: float = 120.0) -> StackConfig:
        return cls(
            project=os.environ.get("GCLOUD_PROJECT", PROJECT_ID),
            functions_url=os.environ.get("AURAOS_FUNCTIONS_URL", "http://127.0.0.1:5001"),
            turn_timeout_s=turn_timeout_s,
        )


def admin_client(project: str) -> Any:
    """Rules bypassed: the emulator's owner, as the server (setup and read-back only)."""
    return firestore.Client(project=project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]


class _TurnListener:
    """Keeps the latest snapshot of one turn; `ended` is set once its status is terminal."""

    def __init__(self) -> None:
        self.latest: dict[str, Any] = {}
        self.ended = threading.Event()

    def __call__(self, docs: list[Any], _changes: object, _read_time: object) -> None:
        for doc in docs:
            data = doc.to_dict() or {}
            self.latest = data
            if (data.get("status") or {}).get("state") in TERMINAL:
                self.ended.set()


class StoryPlayer:
    """One story, one fresh user; `play` returns a result row per step (and one for `final`)."""

    def __init__(self, story: Story, *, config: StackConfig, admin: Any) -> None:
        self.story = story
        self.config = config
        self.admin = admin
        self.zone = ZoneInfo(story.time_zone)
        self.user: SignedInUser | None = None
        self.db: Any = None
        self.conversations: dict[str, str] = {}
        # "updateProfile", or "server write" where the callable did not take the time zone.
        self.time_zone_set_by = ""

    # -- arranging --------------------------------------------------------------------------

    def _sign_up(self) -> SignedInUser:
        email = f"story-{uuid.uuid4().hex[:12]}@example.com"
        user = sign_up(email, f"pw-{uuid.uuid4().hex}")
        self.db = user_client(project=self.config.project, id_token=user.id_token)
        return user

    def _set_time_zone(self, user: SignedInUser) -> str:
        """Through updateProfile when it takes `timeZone`; else written as the server."""
        url = (
            f"{self.config.functions_url}/{self.config.project}/{self.config.region}/updateProfile"
        )
        try:
            response = requests.post(
                url,
                json={"data": {"timeZone": self.story.time_zone}},
                headers={"Authorization": f"Bearer {user.id_token}"},
                timeout=60,
            )
            profile = (response.json() or {}).get("result") or {} if response.ok else {}
        except (requests.RequestException, ValueError):
            profile = {}
        if profile.get("timeZone") == self.story.time_zone:
            return "updateProfile"
        self.admin.document(paths.user(user.uid)).update({"timeZone": self.story.time_zone})
        return "server write"

    def _arrange(self, setup: Setup, uid: str, now: datetime) -> None:
        zone, tz = self.zone, self.story.time_zone

        def at(spec: TimeSpec) -> datetime:
            return expected_instants(spec, now=now, zone=zone)[0]

        documents: list[tuple[str, dict[str, Any]]] = []
        for r in setup.reminders:
            reminder = Reminder(
                text=r.text,
                due_at=at(r.due),
                time_zone=tz,
                status=ReminderStatus(r.status),
                created_at=now,
            )
            documents.append((paths.REMINDERS, reminder.to_document()))
        for t in setup.tasks:
            task = Task(
                text=t.text,
                list=t.list,
                done=t.done,
                created_at=now,
                done_at=now if t.done else None,
            )
            documents.append((paths.TASKS, task.to_document()))
        for n in setup.notes:
            documents.append(
                (paths.NOTES, Note(text=n.text, created_at=now, updated_at=now).to_document())
            )
        for e in setup.events:
            start = at(e.start)
            event = CalendarEvent(
                title=e.title,
                start_at=start,
                end_at=start + timedelta(minutes=e.duration_minutes),
                time_zone=tz,
                location=e.location,
                created_at=now,
            )
            documents.append((paths.EVENTS, event.to_document()))
        for collection, data in documents:
            item = uuid.uuid4().hex[:20]
            self.admin.document(paths.user_item(uid, collection, item)).set(data)

    def _conversation(self, uid: str, label: str) -> str:
        if label not in self.conversations:
            cid = uuid.uuid4().hex[:20]
            self.db.document(paths.conversation(uid, cid)).create(
                {"createdAt": firestore.SERVER_TIMESTAMP}
            )
            self.conversations[label] = cid
        return self.conversations[label]

    # -- acting and reading back ------------------------------------------------------------

    def _send(self, uid: str, cid: str, prompt: str) -> tuple[str, dict[str, Any], bool]:
        turn_path = paths.turn(uid, cid, uuid.uuid4().hex)
        ref = self.db.document(turn_path)
        listener = _TurnListener()
        ref.create({"prompt": prompt, "createTime": firestore.SERVER_TIMESTAMP})
        watch = ref.on_snapshot(listener)
        try:
            ended = listener.ended.wait(self.config.turn_timeout_s)
        finally:
            watch.unsubscribe()
        if ended:
            # The listener may have seen an earlier snapshot last; the stored turn is the truth.
            listener.latest = self.admin.document(turn_path).get().to_dict() or listener.latest
        return turn_path, listener.latest, ended

    def _pending(self, uid: str, cid: str, expected: str) -> str | None:
        """The conversation's pendingAction.tool, waited for (up to `settle_s`) to be `expected`."""

        def read() -> str | None:
            data = self.admin.document(paths.conversation(uid, cid)).get().to_dict() or {}
            pending = data.get("pendingAction") or {}
            return str(pending["tool"]) if pending.get("tool") else None

        deadline = time.monotonic() + self.config.settle_s
        got = read()
        while (got or NO_TOOL) != expected and time.monotonic() < deadline:
            time.sleep(0.25)
            got = read()
        return got

    def _documents(self, uid: str, collection: str) -> list[dict[str, Any]]:
        return [
            {"id": doc.id, **(doc.to_dict() or {})}
            for doc in self.admin.collection(f"{paths.user(uid)}/{collection}").stream()
        ]

    def _settled(self, probe: Callable[[], list[Check]]) -> list[Check]:
        """`probe` until all its checks hold or `settle_s` passes; its last answer."""
        deadline = time.monotonic() + self.config.settle_s
        checks = probe()
        while not all(c.ok for c in checks) and time.monotonic() < deadline:
            time.sleep(0.25)
            checks = probe()
        return checks

    def _state_checks(
        self, uid: str, checks: tuple[StateCheck, ...], ctx: Context, label: str
    ) -> list[Check]:
        def probe() -> list[Check]:
            cache: dict[str, list[dict[str, Any]]] = {}
            out = []
            for check in checks:
                if check.collection not in cache:
                    cache[check.collection] = self._documents(uid, check.collection)
                out.append(check_state(check, cache[check.collection], ctx, label=label))
            return out

        return self._settled(probe) if checks else []

    def _play_step(self, index: int, step: Step, uid: str) -> StepResult:
        started = time.monotonic()
        cid = self._conversation(uid, step.conversation)
        ctx = Context(now=utc_now(), zone=self.zone)
        turn_path, turn, ended = self._send(uid, cid, step.user)
        status = turn.get("status") or {}
        seen = Observed(
            state=str(status.get("state")) if ended else None,
            reply=str(turn.get("response") or ""),
            intent=(turn.get("intent") or {}).get("name"),
            tool_calls=tuple(turn.get("toolCalls") or ()),
            pending=self._pending(uid, cid, step.pending) if step.pending is not None else None,
            error=(status.get("error") or {}).get("message"),
        )
        checks = check_step(step, seen, ctx)
        checks += self._state_checks(uid, step.state, ctx, "state")
        return StepResult(
            story=self.story.name,
            index=index,
            utterance=step.user,
            checks=tuple(checks),
            expects_call=step.expects_call,
            reply=str(turn.get("response") or ""),
            turn_path=turn_path,
            seconds=time.monotonic() - started,
        )

    def play(self) -> list[StepResult]:
        started = utc_now()
        try:
            user = self.user = self._sign_up()
            self.time_zone_set_by = self._set_time_zone(user)
            self._arrange(self.story.setup, user.uid, started)
        except Exception as error:  # reported as the story's failure
            return self._all_failed(f"{type(error).__name__}: {error}")
        results: list[StepResult] = []
        for index, step in enumerate(self.story.steps, start=1):
            try:
                results.append(self._play_step(index, step, user.uid))
            except Exception as error:  # a broken step must not end the run
                results.append(self._failed_row(index, step.user, step.expects_call, error))
        if self.story.final:
            ctx = Context(now=started, zone=self.zone)
            begun = time.monotonic()
            checks = self._state_checks(user.uid, self.story.final, ctx, "final")
            results.append(
                StepResult(
                    story=self.story.name,
                    index=0,
                    utterance="(final state)",
                    checks=tuple(checks),
                    expects_call=False,
                    seconds=time.monotonic() - begun,
                )
            )
        return results

    def _failed_row(
        self, index: int, utterance: str, expects_call: bool, error: BaseException | str
    ) -> StepResult:
        got = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        return StepResult(
            story=self.story.name,
            index=index,
            utterance=utterance,
            checks=(Check("run", "the step to run", got, False),),
            expects_call=expects_call,
        )

    def _all_failed(self, reason: str) -> list[StepResult]:
        rows = [
            self._failed_row(i, s.user, s.expects_call, f"setup failed: {reason}")
            for i, s in enumerate(self.story.steps, start=1)
        ]
        if self.story.final:
            rows.append(self._failed_row(0, "(final state)", False, f"setup failed: {reason}"))
        return rows


def preflight(config: StackConfig) -> str | None:
    """None when the emulators and ai_service answer; else what is missing, readably."""
    targets = {
        "the Auth emulator": "http://"
        + os.environ.get("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099"),
        "the Firestore emulator": "http://"
        + os.environ.get("FIRESTORE_EMULATOR_HOST", "127.0.0.1:8080"),
        "the Functions emulator": config.functions_url,
        "ai_service": f"http://127.0.0.1:{os.environ.get('AURAOS_AI_PORT', '8081')}/healthz",
    }
    for name, url in targets.items():
        try:
            requests.get(url, timeout=5)
        except requests.RequestException:
            return f"{name} does not answer at {url}: start the local stack first (make run)"
    return None


def play_all(
    stories: list[Story],
    *,
    config: StackConfig,
    jobs: int = 1,
    on_story: Callable[[StoryPlayer, list[StepResult]], None] | None = None,
) -> list[StepResult]:
    """Every story (up to `jobs` at a time, each on its own user); rows in story order."""
    admin = admin_client(config.project)

    def one(story: Story) -> list[StepResult]:
        player = StoryPlayer(story, config=config, admin=admin)
        rows = player.play()
        if on_story is not None:
            on_story(player, rows)
        return rows

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return [row for rows in pool.map(one, stories) for row in rows]
