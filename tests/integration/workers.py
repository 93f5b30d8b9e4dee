"""Extra ai_service workers for tests that race, kill or misconfigure one (the stack's own worker
on :8081 keeps serving the push subscription)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Worker:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def push(self, body: dict[str, object], *, timeout_s: float = 120) -> requests.Response:
        return push(self.url, body, timeout_s=timeout_s)

    def kill(self) -> None:
        """SIGKILL the whole worker: no cleanup, as a crashed Cloud Run instance."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def push(url: str, body: dict[str, object], *, timeout_s: float = 120) -> requests.Response:
    """Deliver a Pub/Sub push request to the ai_service at `url`, as Pub/Sub would."""
    return requests.post(f"{url}/pubsub/push", json=body, timeout=timeout_s)


def free_port() -> int:
    """A port nothing listens on now (the Functions emulator's workers take ports near 8081)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_worker(port: int | None = None, *, env: dict[str, str] | None = None) -> Worker:
    """Start ai_service under gunicorn on `port` (a free one by default) and wait until ready."""
    port = port or free_port()
    log_path = ROOT / ".emulators" / "logs" / f"ai_service-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), **(env or {})}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "ai_service/gunicorn.conf.py"],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = Worker(port=port, process=process, log_path=log_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited: {log_path.read_text()[-2000:]}")
        try:
            if requests.get(f"{worker.url}/readyz", timeout=1).ok:
                return worker
        except requests.RequestException:
            pass  # not listening yet, or still loading models
        time.sleep(0.2)
    worker.kill()
    raise RuntimeError(f"worker on {port} not ready: {log_path.read_text()[-2000:]}")
