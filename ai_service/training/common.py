"""Helpers shared by the training commands: paths, seeds, model cards, checksums, the encoder."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import random
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..ml.artifacts import DATA_DIR, MODELS_DIR

__all__ = [
    "DATA_DIR",
    "MODELS_DIR",
    "emit",
    "seed_everything",
    "sha256_file",
    "warmup_then_linear_decay",
    "write_model_card",
]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    try:
        import torch  # noqa: PLC0415 - only the torch-based commands have it

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - the sklearn-only commands run without torch
        pass


def warmup_then_linear_decay(*, warmup: int, total: int) -> Callable[[int], float]:
    """The learning-rate factor of step `step` (for LambdaLR): linear warm-up, then linear decay.

    The warm-up starts at 1 / warmup rather than 0, so the first step already moves the weights.
    """

    def factor(step: int) -> float:
        if step < warmup:
            return float((step + 1) / max(1, warmup))
        return float(max(0.0, (total - step) / max(1, total - warmup)))

    return factor


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_model_card(
    directory: Path,
    *,
    name: str,
    version: str,
    summary: str,
    data: str,
    licence: str,
    metrics: Mapping[str, Any],
    training: Mapping[str, Any],
    command: str,
) -> None:
    """MODEL.md (for people) and card.json (for code), plus checksums of every artifact file."""
    directory.mkdir(parents=True, exist_ok=True)
    files = sorted(
        p for p in directory.iterdir() if p.is_file() and p.name not in {"MODEL.md", "card.json"}
    )
    card: dict[str, Any] = {
        "name": name,
        "version": version,
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "summary": summary,
        "data": data,
        "licence": licence,
        "metrics": dict(metrics),
        "training": dict(training),
        "command": command,
        "python": platform.python_version(),
        "files": {p.name: sha256_file(p) for p in files},
    }
    (directory / "card.json").write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    metric_rows = "\n".join(f"| {k} | {_fmt(v)} |" for k, v in metrics.items())
    train_rows = "\n".join(f"| {k} | {_fmt(v)} |" for k, v in training.items())
    file_rows = "\n".join(f"| `{n}` | `{h[:16]}…` |" for n, h in card["files"].items())
    (directory / "MODEL.md").write_text(
        f"# {name} (version {version})\n\n{summary}\n\n"
        f"- Date trained: {card['date']}\n- Data: {data}\n- Licence: {licence}\n"
        f"- Reproduce: `{command}`\n\n"
        f"## Metrics\n\n| metric | value |\n|---|---|\n{metric_rows}\n\n"
        f"## Training\n\n| setting | value |\n|---|---|\n{train_rows}\n\n"
        f"## Files (sha256)\n\n| file | sha256 |\n|---|---|\n{file_rows}\n"
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def emit(text: str) -> None:
    """A command's result line on stdout (progress bars go to stderr)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
