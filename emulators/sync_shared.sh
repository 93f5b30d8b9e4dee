#!/usr/bin/env bash
# Mirror shared/ (the common Python package) into functions/shared/ so the
# functions codebase is self-contained for the emulator and for deploy
# (firebase.json functions[].predeploy runs this). functions/shared/ is
# gitignored; never edit it by hand. Stale files are deleted; __pycache__ and
# *.pyc are not copied. Unchanged files keep their mtime, so a running
# functions emulator only reloads when something really changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/shared"
DST="$ROOT/functions/shared"

if [ ! -d "$SRC" ]; then
  echo "[emulators/sync_shared] $SRC does not exist" >&2
  exit 1
fi
mkdir -p "$ROOT/functions"

if command -v rsync >/dev/null 2>&1; then
  # "-p" (perishable) excludes do not keep a deleted directory alive.
  rsync -a --delete \
    --filter='-p __pycache__/' --filter='-p *.pyc' --filter='-p *.pyo' \
    "$SRC/" "$DST/"
elif [ -d "$DST" ] && diff -rq -x __pycache__ -x '*.py[co]' "$SRC" "$DST" >/dev/null 2>&1; then
  : # already in sync
else
  TMP="$DST.tmp.$$"
  rm -rf "$TMP"
  cp -a "$SRC" "$TMP"
  find "$TMP" -name __pycache__ -type d -prune -exec rm -rf {} +
  find "$TMP" -name '*.py[co]' -type f -delete
  rm -rf "$DST"
  mv "$TMP" "$DST"
fi
