"""ai_service cold start: process start to the first 200 on /readyz, as Cloud Run measures it.

    .venv/bin/python -m bench.bench_cold_start --runs 5
    .venv/bin/python -m bench.bench_cold_start --runs 5 --image   # the built image (make image)

Starts `gunicorn -c ai_service/gunicorn.conf.py` with the production settings (trained models and
the local LLM loaded at start-up) on a free port, polls /readyz, stops it; repeats. Firestore is
not contacted before the first request, so no emulator is needed. With --image the clock starts
at `ENGINE run` of the image (read-only root, tmpfs /tmp, the host's loopback) instead.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

from bench.harness import free_port
from tools.container import container_engine, image_exists, image_tag

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "cold_start.json"
IMAGE_RESULTS = ROOT / "bench" / "results" / "cold_start_image.json"


def _until_ready(port: int, started: float, timeout_s: float) -> float:
    while time.monotonic() - started < timeout_s:
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).ok:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError("ai_service did not become ready")


def one_container_start(engine: str, image: str, *, timeout_s: float = 180) -> float:
    port = free_port()
    name = f"auraos-bench-{port}"
    started = time.monotonic()
    flags = ["--network=host", "--read-only", "--tmpfs", "/tmp"]
    env = [f"PORT={port}", "HOST=127.0.0.1", "GCLOUD_PROJECT=demo-bench"]
    env.append("AURAOS_REQUIRE_PUSH_AUTH=false")
    env.append("FIRESTORE_EMULATOR_HOST=127.0.0.1:1")  # never contacted before a request
    subprocess.run(
        [engine, "run", "--detach", "--name", name, *flags, *(f"--env={e}" for e in env), image],
        check=True,
        capture_output=True,
    )
    try:
        return _until_ready(port, started, timeout_s)
    finally:
        subprocess.run([engine, "rm", "-f", "-t", "0", name], check=False, capture_output=True)


def one_start(*, timeout_s: float = 180) -> float:
    port = free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "GCLOUD_PROJECT": "demo-bench",
        "FIRESTORE_EMULATOR_HOST": "127.0.0.1:1",  # never contacted before a request
        "AURAOS_REQUIRE_PUSH_AUTH": "false",
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    started = time.monotonic()
    process = subprocess.Popen(
        [gunicorn, "-c", "ai_service/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        return _until_ready(port, started, timeout_s)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--image", action="store_true", help="start the built image instead")
    args = parser.parse_args()
    command = f".venv/bin/python -m bench.bench_cold_start --runs {args.runs}"
    extra: dict[str, object] = {}
    if args.image:
        engine, image = container_engine(), image_tag()
        if engine is None or not image_exists(engine, image):
            raise SystemExit(f"no container engine or no image {image}: run `make image` first")
        seconds = [one_container_start(engine, image) for _ in range(args.runs)]
        command += " --image"
        extra = {"engine": engine, "image": image}
    else:
        seconds = [one_start() for _ in range(args.runs)]
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        **extra,
        "runs_s": [round(s, 2) for s in seconds],
        "median_s": round(statistics.median(seconds), 2),
        "load_avg_1m": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }
    (IMAGE_RESULTS if args.image else RESULTS).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
