"""cloudbuild.yaml against Cloud Build's documented build-config structure and our promises.

Cloud Build cannot run here; this checks what it would reject (unknown fields, bad waitFor,
undeclared or unused substitutions under MUST_MATCH, unescaped `$`) and what the pipeline
promises: tests before the image, a no-traffic tagged revision smoke-tested before any traffic
moves, a rollback on failure, and the same `make` targets as a developer runs.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.events import Topic
from tools.release import build_parser as release_parser

ROOT = Path(__file__).resolve().parents[3]
CONFIG: dict[str, Any] = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text(encoding="utf-8"))
STEPS: list[dict[str, Any]] = CONFIG["steps"]
SUBS: dict[str, str] = CONFIG["substitutions"]
BY_ID = {step["id"]: step for step in STEPS}

# https://cloud.google.com/build/docs/build-config-file-schema
BUILD_FIELDS = {
    "steps", "timeout", "queueTtl", "logsBucket", "options", "substitutions", "tags",
    "serviceAccount", "secrets", "availableSecrets", "artifacts", "images",
}  # fmt: skip
STEP_FIELDS = {
    "name", "args", "env", "dir", "id", "waitFor", "entrypoint", "secretEnv", "volumes",
    "timeout", "script", "automapSubstitutions", "allowFailure", "allowExitCodes",
}  # fmt: skip
OPTION_FIELDS = {
    "env", "secretEnv", "volumes", "sourceProvenanceHash", "machineType", "diskSizeGb",
    "substitutionOption", "dynamicSubstitutions", "automapSubstitutions", "logStreamingOption",
    "logging", "defaultLogsBucketBehavior", "pool", "requestedVerifyOption",
}  # fmt: skip
MACHINE_TYPES = {"UNSPECIFIED", "E2_MEDIUM", "E2_HIGHCPU_8", "E2_HIGHCPU_32", "N1_HIGHCPU_8",
                 "N1_HIGHCPU_32", "E2_HIGHMEM_8", "E2_HIGHMEM_16", "E2_STANDARD_2"}  # fmt: skip
BUILT_INS = {
    "PROJECT_ID", "PROJECT_NUMBER", "BUILD_ID", "LOCATION", "TRIGGER_NAME", "COMMIT_SHA",
    "REVISION_ID", "SHORT_SHA", "REPO_NAME", "REPO_FULL_NAME", "BRANCH_NAME", "TAG_NAME",
    "REF_NAME", "TRIGGER_BUILD_CONFIG_PATH", "SERVICE_ACCOUNT_EMAIL", "SERVICE_ACCOUNT",
}  # fmt: skip
FAKE_BUILT_INS = {"BUILD_ID": "b-1234", "COMMIT_SHA": "0" * 40, "PROJECT_ID": "auraos-build"}
REFERENCE = re.compile(r"\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|.|$)", re.S)


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def _references(text: str) -> list[str]:
    """Substitution names used in `text`; `$$` is an escaped `$`; a bare `$` is an error."""
    names = []
    for match in REFERENCE.finditer(text):
        if match.group(1) == "$":
            continue
        name = match.group(2) or match.group(3)
        assert name, f"unescaped '$' in {text[max(0, match.start() - 30) : match.end() + 30]!r}"
        names.append(name)
    return names


def _substitute(text: str, values: dict[str, str]) -> str:
    """What Cloud Build would run: references replaced, `$$` turned into `$`."""

    def one(match: re.Match[str]) -> str:
        if match.group(1) == "$":
            return "$"
        return values[match.group(2) or match.group(3)]

    return REFERENCE.sub(one, text)


def _resolved_substitutions() -> dict[str, str]:
    values = dict(FAKE_BUILT_INS)
    for _ in range(5):  # dynamic substitutions may refer to each other
        for key, value in SUBS.items():
            values[key] = _substitute(value, {**dict.fromkeys(BUILT_INS, ""), **values})
    return values


VALUES = _resolved_substitutions()


def _needs(step_id: str) -> set[str]:
    """Every step `step_id` waits for, directly or not (no waitFor: all earlier steps)."""
    index = [s["id"] for s in STEPS].index(step_id)
    step = STEPS[index]
    direct = step.get("waitFor")
    if direct is None:
        direct = [s["id"] for s in STEPS[:index]]
    found: set[str] = set()
    for dep in direct:
        if dep != "-":
            found |= {dep} | _needs(dep)
    return found


def _script(step: dict[str, Any]) -> str:
    return " ".join(str(a) for a in step.get("args", []))


def test_only_documented_fields() -> None:
    assert set(CONFIG) <= BUILD_FIELDS
    assert set(CONFIG["options"]) <= OPTION_FIELDS
    for step in STEPS:
        assert set(step) <= STEP_FIELDS, step.get("id")
        assert isinstance(step["name"], str)
        assert step["name"]
        assert all(isinstance(arg, str) for arg in step.get("args", []))
        assert "script" not in step or "args" not in step


def test_step_ids_are_unique_and_wait_only_for_earlier_steps() -> None:
    ids = [step.get("id") for step in STEPS]
    assert all(ids)
    assert len(ids) == len(set(ids))
    for index, step in enumerate(STEPS):
        for dep in step.get("waitFor", []):
            assert dep == "-" or dep in ids[:index], f"{step['id']} waits for unknown {dep}"


def test_substitutions_are_user_defined_strings_and_all_used() -> None:
    for key, value in SUBS.items():
        assert re.fullmatch(r"_[A-Z0-9_]+", key), key
        assert isinstance(value, str), f"{key} must be a string (quote it)"
    used = {name for text in _strings(CONFIG) for name in _references(text)}
    assert used - set(SUBS) <= BUILT_INS, f"undeclared: {used - set(SUBS) - BUILT_INS}"
    # MUST_MATCH: each one used by the build itself, not only inside another substitution.
    build = {k: v for k, v in CONFIG.items() if k != "substitutions"}
    in_build = {name for text in _strings(build) for name in _references(text)}
    assert set(SUBS) <= in_build, f"declared but unused (MUST_MATCH fails): {set(SUBS) - in_build}"


def test_options() -> None:
    options = CONFIG["options"]
    assert options["substitutionOption"] == "MUST_MATCH"
    assert options["dynamicSubstitutions"] is True  # _IMAGE is built from other substitutions
    assert options["logging"] == "CLOUD_LOGGING_ONLY"
    assert options["machineType"] in MACHINE_TYPES
    assert re.fullmatch(r"\d+s", CONFIG["timeout"])
    for tag in CONFIG["tags"]:
        assert re.fullmatch(r"[\w][\w.-]{0,127}", _substitute(tag, VALUES)), tag


def test_the_per_environment_project_ids_are_declared() -> None:
    assert SUBS["_ENV"] == "dev"
    assert SUBS["_DEPLOY_PROJECT"] == SUBS["_DEV_PROJECT"]
    assert {SUBS["_DEV_PROJECT"], SUBS["_STAGING_PROJECT"], SUBS["_PROD_PROJECT"]} == {
        "auraos-dev",
        "auraos-staging",
        "auraos-prod",
    }


def test_images_are_official_and_pinned() -> None:
    for step in STEPS:
        image = _substitute(step["name"], VALUES)
        assert "latest" not in image
        if image.startswith("gcr.io/cloud-builders/"):
            assert image in {"gcr.io/cloud-builders/docker", "gcr.io/cloud-builders/gcloud"}
        else:
            assert re.fullmatch(r"(python|node):\d+\.\d+\.\d+-bookworm", image), image
    python = _substitute(SUBS["_PYTHON_IMAGE"], VALUES)
    assert python.startswith("python:3.11.")


def test_the_built_image_is_pushed_before_deploy_and_listed() -> None:
    image = "${_IMAGE}:${_IMAGE_TAG}"
    assert CONFIG["images"] == [image]
    assert VALUES["_IMAGE"] == "europe-west1-docker.pkg.dev/auraos-dev/auraos/ai-service"
    assert f"--tag={image}" in BY_ID["build"]["args"]
    assert BY_ID["build"]["args"][-1] == "."  # the repo root is the context (.dockerignore)
    assert "--file=ai_service/Dockerfile" in BY_ID["build"]["args"]
    assert BY_ID["push"]["args"] == ["push", image]
    assert f"--image={image}" in _script(BY_ID["deploy-candidate"])


def test_the_same_make_targets_as_the_readme() -> None:
    targets = {
        step_id: (step.get("entrypoint"), step.get("args"))
        for step_id, step in BY_ID.items()
        if step_id in {"lint", "unit"}
    }
    assert targets == {"lint": ("make", ["lint"]), "unit": ("make", ["unit"])}
    assert "make integration" in _script(BY_ID["integration"])
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("lint", "unit", "integration", "test"):
        assert re.search(rf"^{target}:", makefile, re.M), target
    # (`image` may come between: the suite runs the image it built.)
    assert re.search(r"^test: .*\blint unit (image )?integration\b", makefile, re.M)
    # `deps` builds the same stamps the Makefile's targets depend on.
    assert BY_ID["deps"]["args"][:2] == [".venv/.installed", "functions/venv/.installed"]
    assert "$(VENV)/.installed:" in makefile
    assert "$(FN_VENV)/.installed:" in makefile
    assert re.search(r"^VENV := \.venv$", makefile, re.M)
    assert re.search(r"^FN_VENV := functions/venv$", makefile, re.M)


def test_order_tests_build_deploy_smoke_shift_functions() -> None:
    tests = {"lint", "unit", "integration"}
    assert tests <= _needs("build")
    assert tests <= _needs("firestore-config")
    assert {"build", "push"} <= _needs("deploy-candidate")
    assert "deploy-candidate" in _needs("smoke")
    assert "smoke" in _needs("traffic")
    assert "traffic" in _needs("functions")
    assert "deps" in _needs("smoke")  # the release tool runs from the venv built there


def test_the_candidate_is_deployed_tagged_without_traffic() -> None:
    script = _script(BY_ID["deploy-candidate"])
    assert "traffic=(--no-traffic)" in script
    assert "--tag=${_CANDIDATE_TAG}" in script
    assert "--no-allow-unauthenticated" in script
    assert "--service-account=${_RUNTIME_SA}" in script
    for name in ("AURAOS_REQUIRE_PUSH_AUTH=true", "AURAOS_PUSH_AUDIENCE", "AURAOS_PUSH_SERVICE"):
        assert name in script
    assert "--concurrency=${_CONCURRENCY}" in script
    assert "--min-instances=${_MIN_INSTANCES}" in script


def _release_argv(words: list[str]) -> list[str]:
    start = words.index("tools.release") + 1
    return [w for w in words[start:] if w]


def test_release_tool_invocations_parse() -> None:
    parser = release_parser()
    smoke = [_substitute(a, VALUES) for a in BY_ID["smoke"]["args"]]
    args = parser.parse_args(_release_argv(smoke))
    assert (args.command, args.tag, args.path) == ("smoke", "green", "/readyz")
    traffic = _substitute(_script(BY_ID["traffic"]), VALUES)
    prefix = ["--project=auraos-dev", "--region=europe-west1", "--service=ai-service"]
    calls = re.findall(r"release ((?:list|shift|promote|rollback|smoke)[^|\n]*)", traffic)
    commands = set()
    for call in calls:
        words = [w for w in shlex.split(call.replace("\\", " ")) if not w.startswith("$")]
        words = [w if "$" not in w else w.split("=")[0] + "=10" for w in words]
        parsed = parser.parse_args(prefix + words)
        commands.add(parsed.command)
    assert commands == {"list", "shift", "promote", "rollback", "smoke"}
    assert "rollback --to-tag=blue" in traffic
    assert "--previous-tag=blue" in traffic


def test_default_traffic_steps_are_ascending_and_end_at_100() -> None:
    steps = [int(p) for p in SUBS["_TRAFFIC_STEPS"].split(",")]
    assert steps == sorted(set(steps))
    assert steps[-1] == 100
    assert steps[0] > 0


@pytest.mark.parametrize("step_id", [s["id"] for s in STEPS if s.get("entrypoint") == "bash"])
def test_bash_scripts_parse(step_id: str) -> None:
    args = BY_ID[step_id]["args"]
    assert args[0] == "-c"
    script = _substitute(args[1], VALUES)
    result = subprocess.run(
        ["bash", "-n", "-c", script], capture_output=True, text=True, check=False, timeout=30
    )
    assert result.returncode == 0, result.stderr


def _run_check_config(**overrides: str) -> subprocess.CompletedProcess[str]:
    script = _substitute(BY_ID["check-config"]["args"][1], {**VALUES, **overrides})
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=False, timeout=30
    )


def test_check_config_accepts_the_defaults_and_refuses_mismatches() -> None:
    assert _run_check_config().returncode == 0
    ok = _run_check_config(_ENV="prod", _DEPLOY_PROJECT="auraos-prod", _TRAFFIC_STEPS="5,25,100")
    assert ok.returncode == 0
    assert "deploying ai-service to auraos-prod (prod)" in ok.stdout
    for bad in (
        {"_ENV": "prod"},  # still aimed at auraos-dev
        {"_ENV": "qa"},
        {"_TRAFFIC_STEPS": "50,10,100"},
        {"_TRAFFIC_STEPS": "10,50"},
        {"_TRAFFIC_STEPS": "10,x,100"},
        {"_TRAFFIC_STEPS": "10,150"},
    ):
        assert _run_check_config(**bad).returncode == 1, bad


def test_the_deploy_guide_names_every_substitution_topic_and_account() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    missing = [key for key in SUBS if key not in guide]
    assert missing == []
    for topic in Topic:
        assert topic.value in guide
    for account in ("ai-service@", "pubsub-push@", "roles/iam.serviceAccountTokenCreator"):
        assert account in guide
