#!/usr/bin/env bash
# Build the ai_service image (`make image`) with docker or podman, whichever is present:
#
#   container/build.sh [extra build flags...]
#
# The base is the Dockerfile's official Python image when it is present or can be pulled, else a
# local debootstrap base (container/base.sh): the same Dockerfile, one build argument.
# AURAOS_PYTHON_IMAGE forces a base; AURAOS_IMAGE names the result (default
# localhost/auraos-ai-service:dev).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=container/engine.sh
. "$ROOT/container/engine.sh"

base="${AURAOS_PYTHON_IMAGE:-}"
if [ -z "$base" ]; then
  official="$(sed -nE 's/^ARG PYTHON_IMAGE=(.+)$/\1/p' ai_service/Dockerfile | head -n 1)"
  if "$ENGINE" image inspect "$official" >/dev/null 2>&1 ||
    timeout 120 "$ENGINE" pull -q "$official" >/dev/null 2>&1; then
    base="$official"
  else
    echo "[container/build] $official cannot be pulled (no registry reachable): using a local base"
    bash "$ROOT/container/base.sh"
    base="$AURAOS_LOCAL_BASE"
  fi
fi

echo "[container/build] $ENGINE: building $AURAOS_IMAGE from $base ..."
started=$SECONDS
"${ENGINE_BUILD[@]}" -f ai_service/Dockerfile --build-arg "PYTHON_IMAGE=$base" \
  -t "$AURAOS_IMAGE" "$@" .
size="$("$ENGINE" image inspect --format '{{.Size}}' "$AURAOS_IMAGE")"
echo "[container/build] built $AURAOS_IMAGE in $((SECONDS - started)) s: $((size / 1000000)) MB"
