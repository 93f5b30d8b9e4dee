"""Where the local model's cache and parts are looked for (`default_cache_dir`, `part_path`)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path

import pytest

from ai_service.generation.local_model import (
    CACHE_DIR_ENV,
    ModelPart,
    ModelUnavailable,
    default_cache_dir,
    part_path,
)


def _part(package: str, path: str = "weights.bin", size: int = 4) -> ModelPart:
    return ModelPart(
        package=package, path=path, size=size, sha256="0" * 64, distribution=f"{package}==1.0"
    )


def test_the_cache_is_the_explicit_folder_when_one_is_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "llm"))
    monkeypatch.setenv("XDG_CACHE_HOME", "/ignored")

    assert default_cache_dir() == tmp_path / "llm"


def test_the_cache_is_under_xdg_cache_home_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    assert default_cache_dir() == tmp_path / "auraos" / "llm"


def test_the_cache_is_under_the_home_folder_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(CACHE_DIR_ENV, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))

    assert default_cache_dir() == tmp_path / ".cache" / "auraos" / "llm"


def test_a_part_in_a_single_module_distribution_is_found_beside_the_module(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "auraos_single_module_part.py").write_text("", encoding="utf-8")
    (tmp_path / "weights.bin").write_bytes(b"1234")
    monkeypatch.syspath_prepend(str(tmp_path))

    assert part_path(_part("auraos_single_module_part")) == tmp_path / "weights.bin"
    assert "auraos_single_module_part" not in sys.modules  # located, never imported


def test_a_part_of_the_wrong_size_names_the_distribution_to_reinstall(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "auraos_short_part.py").write_text("", encoding="utf-8")
    (tmp_path / "weights.bin").write_bytes(b"12")
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(ModelUnavailable, match=r"has 2 bytes, expected 4; reinstall"):
        part_path(_part("auraos_short_part"))


def test_a_package_name_that_cannot_be_looked_up_counts_as_not_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(name: str) -> None:
        raise ValueError(f"{name}.__spec__ is None")

    monkeypatch.setattr(importlib.util, "find_spec", refuse)

    with pytest.raises(ModelUnavailable, match=r"not installed; pip install broken==1\.0"):
        part_path(_part("broken"))


def test_a_package_without_a_location_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.machinery.ModuleSpec("nowhere", loader=None)  # no origin, no folders
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)

    with pytest.raises(ModelUnavailable, match=r"cannot locate the files of package 'nowhere'"):
        part_path(_part("nowhere"))
