"""What `docker build -f ai_service/Dockerfile .` sends: small, and nothing secret.

Cloud Build runs the build in a workspace where earlier steps created `.venv`, `functions/venv`,
`node_modules`, `.emulators` and `.toolchain`; a developer's checkout has the same and more. The
rules are checked on synthetic paths, on a fresh checkout (git's files), and on this very tree.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from .dockerignore import is_ignored, parse, sent_files

ROOT = Path(__file__).resolve().parents[3]
PATTERNS = parse((ROOT / ".dockerignore").read_text(encoding="utf-8"))
CODE_BUDGET_BYTES = 8 * 1024 * 1024  # everything but the model artifacts: well under 2 MB today
TOTAL_BUDGET_BYTES = 256 * 1024 * 1024  # with the trained artifacts under ai_service/models/
MODELS = "ai_service/models/"
PRIVATE_KEY = re.compile(rb"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----")


# The matcher itself, against the examples in Docker's .dockerignore documentation.
@pytest.mark.parametrize(
    ("rules", "path", "ignored"),
    [
        ("*/temp*", "somedir/temporary.txt", True),
        ("*/temp*", "temp", False),
        ("*/*/temp*", "somedir/subdir/temporary.txt", True),
        ("temp?", "tempa", True),
        ("temp?", "sub/tempa", False),
        ("**/*.go", "a/b/c.go", True),
        ("**/*.go", "c.go", True),
        ("*.md\n!README*.md\nREADME-secret.md", "README-secret.md", True),
        ("*.md\n!README*.md\nREADME-secret.md", "README.md", False),
        ("*.md\n!README*.md\nREADME-secret.md", "docs/x.md", False),  # `*.md` is top-level only
        ("/node_modules", "node_modules/a/b.js", True),  # a matching parent excludes its files
        ("*\n!keep/", "keep/sub/file.txt", False),
        ("*\n!keep/", "other/file.txt", True),
    ],
)
def test_the_matcher_follows_dockers_rules(rules: str, path: str, ignored: bool) -> None:
    assert is_ignored(path, parse(rules)) is ignored


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/bin/python",
        "functions/venv/lib/python3.11/site-packages/x.py",
        "ai_service/venv/bin/python",
        "ai_service/.venv/lib/x.py",
        "node_modules/firebase-tools/package.json",
        "shared/node_modules/x/index.js",
        ".emulators/fake-adc.json",
        ".emulators/logs/firestore-debug.log",
        ".toolchain/bin/node",
        "firebase-debug.log",
        "ai_service/app/debug.log",
        ".env",
        ".env.prod",
        "ai_service/.env",
        "ai_service/.env.local",
        "shared/keys/signing.pem",
        "ai_service/tls.key",
        "ai_service/cert.p12",
        "deploy-sa.json",
        "ai_service/config/auraos-prod-sa.json",
        "shared/service-account.json",
        "ai_service/google-credentials.json",
        "ai_service/fake-adc.json",
        "ai_service/application_default_credentials.json",
        "ai_service/models/llm/qwen.gguf",
        "ai_service/data/clinc150/data_full.json",
        "ai_service/training/intent.py",
        "ai_service/__pycache__/config.cpython-311.pyc",
        "shared/models/__pycache__/base.cpython-311.pyc",
        ".mypy_cache/3.11/x.json",
        "tests/unit/test_x.py",
        "functions/main.py",
        "docs/deploy.md",
        "cloudbuild.yaml",
    ],
)
def test_secrets_environments_logs_and_unrelated_code_stay_out(path: str) -> None:
    assert is_ignored(path, PATTERNS), f"{path} would be sent to the Docker daemon"


@pytest.mark.parametrize(
    "path",
    [
        "ai_service/requirements.txt",
        "ai_service/gunicorn.conf.py",
        "ai_service/wsgi.py",
        "ai_service/app/push.py",
        "ai_service/models/llm/checksums.json",
        "ai_service/models/intent/card.json",
        "ai_service/ml/artifacts.py",
        "shared/__init__.py",
        "shared/models/flags.py",
    ],
)
def test_what_the_image_needs_is_sent(path: str) -> None:
    assert not is_ignored(path, PATTERNS)


def _git(*args: str) -> list[str]:
    result = subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return [line for line in result.stdout.splitlines() if line]


def _check(paths: list[str]) -> None:
    code = models = 0
    for rel in paths:
        path = ROOT / rel
        if not path.is_file():
            continue
        assert rel.split("/", 1)[0] in {"ai_service", "shared"}, f"{rel} is sent"
        data = path.read_bytes()
        if rel.startswith(MODELS):
            models += len(data)
        else:
            code += len(data)
        assert not PRIVATE_KEY.search(data), f"{rel} holds a private key and would be sent"
    assert code < CODE_BUDGET_BYTES, f"the context's code and data would be {code} bytes"
    assert code + models < TOTAL_BUDGET_BYTES, f"the context would be {code + models} bytes"


def test_a_fresh_checkout_sends_only_the_service_and_shared_code() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    candidates = _git("ls-files") + _git("ls-files", "--others", "--exclude-standard")
    sent = [p for p in candidates if not is_ignored(p, PATTERNS)]
    assert "ai_service/gunicorn.conf.py" in sent
    _check(sent)


def test_this_working_tree_with_its_venvs_and_caches_stays_small() -> None:
    sent = list(sent_files(ROOT, PATTERNS))
    assert "shared/__init__.py" in sent
    _check(sent)


def test_serving_code_does_not_read_the_datasets_left_out_of_the_image() -> None:
    """ai_service/data/ and ai_service/training/ are not sent; nothing that serves may need them."""
    offenders = []
    for path in sorted((ROOT / "ai_service").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(("ai_service/training/", "ai_service/data/")):
            continue
        text = path.read_text(encoding="utf-8")
        if rel != "ai_service/ml/artifacts.py" and "DATA_DIR" in text:
            offenders.append(f"{rel}: DATA_DIR")
        if re.search(r"^\s*(from|import)\s+(ai_service\.training|\.+training)\b", text, re.M):
            offenders.append(f"{rel}: imports ai_service.training")
    assert offenders == [], "update .dockerignore (and this test) if serving needs them"
