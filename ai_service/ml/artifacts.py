"""Where the artifacts and the carried datasets live, and how an artifact is verified."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shared.errors import ConfigurationError

PACKAGE_DIR = Path(__file__).resolve().parent.parent
MODELS_DIR = PACKAGE_DIR / "models"
DATA_DIR = PACKAGE_DIR / "data"


class ArtifactError(ConfigurationError):
    """An artifact is missing or does not match the checksum in its model card."""


def read_card(directory: Path) -> dict[str, Any]:
    path = directory / "card.json"
    if not path.is_file():
        raise ArtifactError(f"no model card at {path}: run the training command first")
    card: dict[str, Any] = json.loads(path.read_text())
    return card


def verify(directory: Path, card: dict[str, Any]) -> None:
    """Check every file the card lists against its sha256 (cheap: tens of MB at start-up)."""
    for name, expected in card.get("files", {}).items():
        path = directory / name
        if not path.is_file():
            raise ArtifactError(f"{path} is missing")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != expected:
            raise ArtifactError(f"{path} does not match its model card (sha256 {digest})")


def open_artifact(directory: Path, *, check: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model card, config.json) of a trained model, its files checked against the card first
    when `check`; without `check` the card is not read and comes back empty."""
    card = read_card(directory) if check else {}
    if check:
        verify(directory, card)
    config: dict[str, Any] = json.loads((directory / "config.json").read_text())
    return card, config


def float32_arrays(path: Path) -> dict[str, NDArray[np.float32]]:
    """Every array of an `.npz` artifact as float32 (the file is closed before returning)."""
    with np.load(path) as archive:
        return {name: np.asarray(archive[name], dtype=np.float32) for name in archive.files}
