"""The private stack of `bench_client.py` for any bench module: its `outer()` with the module
to run inside `firebase emulators:exec` as a parameter (bench_client's own is fixed to itself).

    rc = run_in_private_stack("bench.bench_tools", argv, env={...})

The inner process is `python -m MODULE --inner ARGV...`, run from the repository root with the
emulators' variables set, plus `AURAOS_BENCH_AI_PORT` (a free port for ai_service),
`AURAOS_BENCH_STACK_PORTS` (JSON) and `AURAOS_BENCH_FOLDER` (the run's folder under
`.emulators/`, removed after a successful run). The config, the session tag and the reaping are
bench_client's own (`write_config`, `reap`).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence

from bench.bench_client import PROJECT, SESSION_ENV, reap, write_config
from bench.harness import ROOT, free_port

FOLDER_ENV = "AURAOS_BENCH_FOLDER"


def run_in_private_stack(
    module: str, argv: Sequence[str], *, env: Mapping[str, str] | None = None
) -> int:
    """Run `module --inner argv` inside a private emulator stack; its exit status."""
    name = module.rsplit(".", 1)[-1].replace("_", "-")
    folder = ROOT / ".emulators" / f"{name}-{os.getpid()}"
    ports = write_config(folder)
    tag = f"{name}.{os.getpid()}.{time.time_ns()}"
    ai_port = free_port()
    python = str(ROOT / ".venv" / "bin" / "python")
    inner_cmd = shlex.join([python, "-m", module, "--inner", *argv])
    # firebase-tools gives the script only its own stdout (the log file): write to ours instead.
    me = os.getpid()
    script = (
        f"cd {shlex.quote(str(ROOT))} && exec >>/proc/{me}/fd/1 2>>/proc/{me}/fd/2 && {inner_cmd}"
    )
    firebase = shlex.join(
        [
            str(ROOT / "node_modules" / ".bin" / "firebase"),
            "--config",
            str(folder / "firebase.json"),
            "emulators:exec",
            "--project",
            PROJECT,
            "--only",
            "auth,firestore,pubsub,functions",
            script,
        ]
    )
    full_env = {
        **os.environ,
        **(env or {}),
        SESSION_ENV: tag,
        FOLDER_ENV: str(folder),
        "AURAOS_BENCH_AI_PORT": str(ai_port),
        "AURAOS_BENCH_STACK_PORTS": json.dumps(ports),
    }
    log = folder / "emulators.log"
    print(f"private stack: {ports}, ai_service :{ai_port} (log {log})", flush=True)
    shell = (
        f"cd {shlex.quote(str(ROOT))} && . emulators/env.sh && auraos_emulator_adc_env && "
        f"export AURAOS_PROJECT_ID={PROJECT} && bash emulators/sync_shared.sh && "
        f"cd {shlex.quote(str(folder))} && exec {firebase}"
    )

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)  # runs the cleanup below

    signal.signal(signal.SIGTERM, stop)
    rc = 1
    proc: subprocess.Popen[bytes] | None = None
    try:
        with log.open("w", encoding="utf-8") as sink:
            proc = subprocess.Popen(
                ["bash", "-c", shell], env=full_env, stdout=sink, stderr=subprocess.STDOUT
            )
            rc = proc.wait()
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
        reap(tag)  # ai_service, the emulators and their leftovers all carry the tag
    if rc != 0:
        print(f"exit {rc}; the last lines of {log}:", file=sys.stderr)
        print("\n".join(log.read_text(encoding="utf-8").splitlines()[-40:]), file=sys.stderr)
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return rc
