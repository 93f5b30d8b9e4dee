"""The container engine the image scripts use (container/engine.sh), for Python callers.

docker when its daemon answers, else podman with the project's settings
(container/containers.conf); AURAOS_CONTAINER_ENGINE overrides. None when there is neither.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGE = "localhost/auraos-ai-service:dev"


def image_tag() -> str:
    return os.environ.get("AURAOS_IMAGE", DEFAULT_IMAGE)


def _answers(argv: list[str]) -> bool:
    # Fixed argv of our own (engine name and subcommand), never shell text.
    done = subprocess.run(argv, capture_output=True, timeout=60, check=False)  # noqa: S603
    return done.returncode == 0


def container_engine() -> str | None:
    """The engine's command name, with CONTAINERS_CONF set for podman; None without one."""
    engine = os.environ.get("AURAOS_CONTAINER_ENGINE")
    if not engine:
        if shutil.which("docker") and _answers(["docker", "info"]):
            engine = "docker"
        elif shutil.which("podman"):
            engine = "podman"
        else:
            return None
    if engine == "podman":
        os.environ.setdefault("CONTAINERS_CONF", str(ROOT / "container" / "containers.conf"))
    return engine


def image_exists(engine: str, image: str) -> bool:
    return _answers([engine, "image", "inspect", image])
