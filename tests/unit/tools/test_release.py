"""auraos-release against a local server speaking the Cloud Run Admin API v2 over REST.

The real `google-cloud-run` client (REST transport) talks to the fake; the tests assert the exact
requests it sends (method, path, query, JSON body) and what the tool prints.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from google.cloud import run_v2

from tools.release import (
    ReleaseError,
    Split,
    current_split,
    main,
    plan_promote,
    plan_rollback,
    plan_shift,
    smoke,
)

PROJECT, REGION, SERVICE = "auraos-dev", "europe-west1", "ai-service"
NAME = f"projects/{PROJECT}/locations/{REGION}/services/{SERVICE}"
PATH = f"/v2/{NAME}"
REVISIONS_PATH = f"{PATH}/revisions"
ALT = "json;enum-encoding=int"  # what the REST transport asks for on every call
REVISION, LATEST = 2, 1  # TrafficTargetAllocationType, as the transport encodes enums
OLD, PREV, NEW = "ai-service-00001-aaa", "ai-service-00002-bbb", "ai-service-00003-ccc"


def _uri(tag: str) -> str:
    return f"https://{tag}---ai-service-x7-ew.a.run.app"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class FakeCloudRun:
    """One service and its revisions; PATCH applies `traffic` and answers a done operation."""

    traffic: list[dict[str, Any]]
    latest_ready: str = NEW
    etag: int = 1
    requests: list[Recorded] = field(default_factory=list)
    fail_next_patch: tuple[int, str] | None = None
    endpoint: str = ""
    tag_uris: dict[str, str] = field(default_factory=dict)

    def service(self) -> dict[str, Any]:
        statuses = []
        for target in self.traffic:
            status = {**target}
            if target.get("type") == LATEST:
                status["revision"] = self.latest_ready
            if target.get("tag"):
                status["uri"] = self.tag_uris.get(target["tag"], _uri(target["tag"]))
            statuses.append(status)
        return {
            "name": NAME,
            "uri": "https://ai-service-x7-ew.a.run.app",
            "etag": f'"{self.etag}"',
            "latestReadyRevision": f"{NAME}/revisions/{self.latest_ready}",
            "traffic": self.traffic,
            "trafficStatuses": statuses,
        }

    def revisions(self) -> dict[str, Any]:
        created = {OLD: "2026-11-20T09:00:00Z", PREV: "2026-11-24T09:00:00Z"}
        created[NEW] = "2026-11-26T09:00:00Z"
        return {
            "revisions": [
                {"name": f"{NAME}/revisions/{r}", "createTime": t} for r, t in created.items()
            ]
        }

    def handle(self, method: str, raw_path: str, body: Any) -> tuple[int, Any]:
        url = urlsplit(raw_path)
        self.requests.append(Recorded(method, url.path, parse_qs(url.query), body))
        if method == "GET" and url.path == PATH:
            return 200, self.service()
        if method == "GET" and url.path == REVISIONS_PATH:
            return 200, self.revisions()
        if method == "PATCH" and url.path == PATH:
            if self.fail_next_patch:
                status, message = self.fail_next_patch
                self.fail_next_patch = None
                return status, {"error": {"code": status, "message": message}}
            if body.get("etag") != f'"{self.etag}"':
                return 409, {
                    "error": {"code": 409, "message": "etag mismatch", "status": "ABORTED"}
                }
            self.traffic = body["traffic"]
            self.etag += 1
            return 200, {
                "name": f"projects/{PROJECT}/locations/{REGION}/operations/op-{self.etag}",
                "done": True,
                "response": {
                    "@type": "type.googleapis.com/google.cloud.run.v2.Service",
                    **self.service(),
                },
            }
        return 404, {"error": {"code": 404, "message": f"no route {method} {url.path}"}}

    def patches(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "PATCH"]


@pytest.fixture
def fake() -> Iterator[FakeCloudRun]:
    # After `gcloud run deploy --no-traffic --tag green`: PREV serves, NEW only has its tag URL.
    state = FakeCloudRun(
        traffic=[
            {"type": REVISION, "revision": PREV, "percent": 100},
            {"type": REVISION, "revision": OLD, "tag": "blue"},
            {"type": REVISION, "revision": NEW, "tag": "green"},
        ]
    )

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, answer = state.handle(self.command, self.path, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.endpoint = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def run(fake: FakeCloudRun, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    argv = ["--project", PROJECT, "--region", REGION, "--service", SERVICE]
    argv += ["--endpoint", fake.endpoint, "--anonymous", *args]
    code = main(argv, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _rev(revision: str, percent: int = 0, tag: str = "") -> dict[str, Any]:
    """A target as the client serialises it: zero percent and empty tag are left out."""
    target: dict[str, Any] = {"type": REVISION, "revision": revision}
    if percent:
        target["percent"] = percent
    if tag:
        target["tag"] = tag
    return target


def test_list_shows_revisions_newest_first_with_traffic_and_tags(fake: FakeCloudRun) -> None:
    code, out, err = run(fake, "list")

    assert (code, err) == (0, "")
    assert out == (
        f"service {NAME}\n"
        "url https://ai-service-x7-ew.a.run.app\n"
        "REVISION              TRAFFIC  TAGS   CREATED\n"
        f"{NEW}  0%       green  2026-11-26T09:00:00+00:00\n"
        f"{PREV}  100%     -      2026-11-24T09:00:00+00:00\n"
        f"{OLD}  0%       blue   2026-11-20T09:00:00+00:00\n"
    )
    assert [(r.method, r.path, r.query, r.body) for r in fake.requests] == [
        ("GET", PATH, {"$alt": [ALT]}, None),
        ("GET", REVISIONS_PATH, {"$alt": [ALT]}, None),
    ]


def test_url_prints_the_tag_url_for_smoke_tests(fake: FakeCloudRun) -> None:
    assert run(fake, "url", "--tag", "green") == (0, _uri("green") + "\n", "")
    code, out, err = run(fake, "url", "--tag", "purple")
    assert (code, out) == (1, "")
    assert "no URL is reported for tag 'purple'" in err


@dataclass
class FakeRevisionApp:
    """The candidate revision behind its tag URL: answers `statuses` in turn, then the last."""

    statuses: list[int]
    seen: list[tuple[str, str | None]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def app() -> Iterator[FakeRevisionApp]:
    state = FakeRevisionApp(statuses=[200])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append((self.path, self.headers.get("Authorization")))
            status = state.statuses.pop(0) if len(state.statuses) > 1 else state.statuses[0]
            body = b'{"status": "ready"}' if status == 200 else b"starting"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True).start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_smoke_gets_the_tag_url_until_it_is_ready(fake: FakeCloudRun, app: FakeRevisionApp) -> None:
    fake.tag_uris["green"] = app.url + "/"
    app.statuses = [503, 503, 200]

    code, out, err = run(
        fake, "smoke", "--tag", "green", "--path", "/readyz", "--attempts", "3", "--interval", "0"
    )

    assert (code, err) == (0, "")
    assert re.fullmatch(
        rf"smoke ok: GET {app.url}/readyz -> 200 in \d+\.\d\ds \(attempt 3\)\n", out
    )
    assert app.seen == [("/readyz", None)] * 3  # --anonymous: no token


def test_a_failing_smoke_test_exits_1_with_the_last_answer(
    fake: FakeCloudRun, app: FakeRevisionApp
) -> None:
    fake.tag_uris["green"] = app.url
    app.statuses = [503]

    code, out, err = run(fake, "smoke", "--tag", "green", "--attempts", "2", "--interval", "0")

    assert (code, out) == (1, "")
    assert f"GET {app.url}/readyz after 2 attempts; last: HTTP 503: starting" in err
    assert fake.patches() == []


def test_smoke_sends_an_id_token_for_the_tag_origin(app: FakeRevisionApp) -> None:
    audiences: list[str] = []
    pauses: list[float] = []

    def id_token(audience: str) -> str:
        audiences.append(audience)
        return f"token-{len(audiences)}"

    app.statuses = [500, 200]
    summary = smoke(url=f"{app.url}/readyz", id_token=id_token, interval_s=2.5, sleep=pauses.append)

    assert summary.startswith(f"smoke ok: GET {app.url}/readyz -> 200")
    assert audiences == [app.url, app.url]
    assert app.seen == [("/readyz", "Bearer token-1"), ("/readyz", "Bearer token-2")]
    assert pauses == [2.5]


def test_smoke_reports_connection_failures() -> None:
    with pytest.raises(ReleaseError, match="ConnectionError"):
        smoke(url="http://127.0.0.1:9/readyz", id_token=None, attempts=2, sleep=lambda _: None)


def test_shift_sends_only_the_traffic_with_the_etag_it_read(fake: FakeCloudRun) -> None:
    code, out, err = run(fake, "shift", "--tag", "green", "--percent", "10")

    assert (code, err) == (0, "")
    [patch] = fake.patches()
    assert patch.path == PATH
    assert patch.query == {"updateMask": ["traffic"], "$alt": [ALT]}
    # `blue` moves from OLD to PREV, what served before this release: rollback's target.
    assert patch.body == {
        "etag": '"1"',
        "traffic": [_rev(PREV, 90, "blue"), _rev(NEW, 10, "green")],
    }
    assert out == (
        f"shift: {SERVICE}\n"
        "REVISION              TRAFFIC  TAGS\n"
        f"{PREV}  90%      blue\n"
        f"{NEW}  10%      green\n"
    )


def test_steps_then_promote_then_rollback(fake: FakeCloudRun) -> None:
    for percent in ("10", "50"):
        assert run(fake, "shift", "--tag", "green", "--percent", percent)[0] == 0
    code, out, _ = run(fake, "promote", "--tag", "green")
    assert code == 0

    bodies = [p.body for p in fake.patches()]
    assert [b["etag"] for b in bodies] == ['"1"', '"2"', '"3"']
    assert bodies[1]["traffic"] == [_rev(PREV, 50, "blue"), _rev(NEW, 50, "green")]
    # Promote: all traffic to green; the revision it replaced stays `blue`.
    assert bodies[2]["traffic"] == [_rev(NEW, 100, "green"), _rev(PREV, 0, "blue")]
    assert out.endswith(f"{NEW}  100%     green\n{PREV}  0%       blue\n")

    code, out, _ = run(fake, "rollback", "--to-tag", "blue")
    assert code == 0
    assert fake.patches()[-1].body == {
        "etag": '"4"',
        "traffic": [_rev(PREV, 100, "blue"), _rev(NEW, 0, "green")],
    }
    assert out == (
        f"rollback: {SERVICE}\n"
        "REVISION              TRAFFIC  TAGS\n"
        f"{PREV}  100%     blue\n"
        f"{NEW}  0%       green\n"
    )


def test_a_rollback_mid_release_returns_to_what_served_before(fake: FakeCloudRun) -> None:
    assert run(fake, "shift", "--tag", "green", "--percent", "10")[0] == 0
    assert run(fake, "rollback", "--to-tag", "blue")[0] == 0
    assert fake.patches()[-1].body["traffic"] == [_rev(PREV, 100, "blue"), _rev(NEW, 0, "green")]


def test_dry_run_sends_nothing(fake: FakeCloudRun) -> None:
    code, out, _ = run(fake, "promote", "--tag", "green", "--previous-tag", "", "--dry-run")

    assert code == 0
    assert out == (
        "would set traffic:\n"
        "REVISION              TRAFFIC  TAGS\n"
        f"{NEW}  100%     green\n"
        f"{OLD}  0%       blue\n"
    )
    assert fake.patches() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("shift", "--tag", "purple", "--percent", "10"), "no revision is tagged 'purple'"),
        (("rollback", "--to-tag", "red"), "tags: blue, green"),
        (("shift", "--tag", "green", "--percent", "101"), "between 0 and 100"),
        (("promote", "--tag", "green", "--previous-tag", "green"), "must differ"),
    ],
)
def test_impossible_changes_are_refused_before_any_write(
    fake: FakeCloudRun, args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(fake, *args)
    assert (code, out) == (1, "")
    assert message in err
    assert fake.patches() == []


def test_a_concurrent_change_fails_on_the_etag(fake: FakeCloudRun) -> None:
    fake.fail_next_patch = (409, "etag mismatch")
    code, _, err = run(fake, "shift", "--tag", "green", "--percent", "10")
    assert code == 1
    assert "409" in err
    assert "etag mismatch" in err


def test_an_api_error_is_reported_not_raised(fake: FakeCloudRun) -> None:
    fake.fail_next_patch = (403, "caller lacks run.services.update")
    code, _, err = run(fake, "rollback", "--to-tag", "blue")
    assert code == 1
    assert "run.services.update" in err


def test_project_and_region_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AURAOS_RELEASE_PROJECT", raising=False)
    monkeypatch.delenv("AURAOS_RELEASE_REGION", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["list"], stdout=io.StringIO(), stderr=io.StringIO())
    assert exit_info.value.code == 2


# The traffic arithmetic, without HTTP.


def _service(*targets: run_v2.TrafficTarget, latest: str = "r-latest") -> run_v2.Service:
    return run_v2.Service(
        name=NAME, latest_ready_revision=f"{NAME}/revisions/{latest}", traffic=list(targets)
    )


def test_latest_is_resolved_to_the_latest_ready_revision() -> None:
    service = _service(
        run_v2.TrafficTarget(
            type_=run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST,
            percent=100,
        ),
        run_v2.TrafficTarget(revision="r-new", tag="green"),
    )
    assert current_split(service) == Split(percents={"r-latest": 100}, tags={"green": "r-new"})


def test_the_rest_keeps_its_proportions() -> None:
    split = Split(percents={"a": 70, "b": 30}, tags={"green": "c"})
    assert plan_shift(split, tag="green", percent=10).percents == {"a": 63, "b": 27, "c": 10}
    even = Split(percents={"a": 50, "b": 50}, tags={"green": "c"})
    assert plan_shift(even, tag="green", percent=5).percents == {"a": 48, "b": 47, "c": 5}
    assert plan_shift(split, tag="green", percent=0).percents == {"a": 70, "b": 30}


def test_shifting_a_tag_that_already_serves_moves_only_the_difference() -> None:
    split = Split(percents={"a": 50, "c": 50}, tags={"green": "c"})
    assert plan_shift(split, tag="green", percent=80).percents == {"a": 20, "c": 80}
    assert plan_shift(split, tag="green", percent=100).percents == {"c": 100}


def test_a_shift_needs_somewhere_for_the_rest() -> None:
    split = Split(percents={"c": 100}, tags={"green": "c"})
    with pytest.raises(Exception, match="nothing to keep the other 90%"):
        plan_shift(split, tag="green", percent=10)


def test_shift_without_a_previous_tag_leaves_tags_alone() -> None:
    split = Split(percents={"a": 100}, tags={"green": "c", "blue": "z"})
    assert plan_shift(split, tag="green", percent=10, previous_tag=None).tags == split.tags
    assert plan_shift(split, tag="green", percent=10).tags == {"green": "c", "blue": "a"}


def test_promote_tags_the_biggest_previous_share_and_rollback_keeps_tags() -> None:
    split = Split(percents={"a": 20, "b": 60, "c": 20}, tags={"green": "c", "blue": "z"})
    promoted = plan_promote(split, tag="green", previous_tag="blue")
    assert promoted == Split(percents={"c": 100}, tags={"green": "c", "blue": "b"})
    assert plan_promote(promoted, tag="green", previous_tag="blue") == promoted  # idempotent
    assert plan_rollback(promoted, to_tag="blue") == Split(percents={"b": 100}, tags=promoted.tags)


def test_targets_put_serving_revisions_first_and_keep_every_tag() -> None:
    split = Split(percents={"a": 10, "b": 90}, tags={"x": "b", "y": "b", "old": "z"})
    assert [(t.revision, t.percent, t.tag) for t in split.targets()] == [
        ("b", 90, "x"),
        ("b", 0, "y"),
        ("a", 10, ""),
        ("z", 0, "old"),
    ]
