#!/usr/bin/env bash
# Build web/dist, the PWA the Hosting emulator serves, for the emulators (VITE_* defaults: the
# ports in firebase.json). exec.sh and start.sh run it before the emulators start; `make setup`
# too. Idempotent: it installs web/node_modules when missing or stale and rebuilds only when a
# source is newer than the last emulator build (the stamp dist/.emulator-build, which a
# `build:deploy` removes with the rest of dist/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WEB="$ROOT/web"
STAMP="$WEB/dist/.emulator-build"

if [ ! -f "$WEB/node_modules/.package-lock.json" ] ||
  [ "$WEB/package-lock.json" -nt "$WEB/node_modules/.package-lock.json" ]; then
  npm --prefix "$WEB" ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi

if [ -f "$STAMP" ] && [ -z "$(find "$WEB/index.html" "$WEB/vite.config.js" "$WEB/package-lock.json" \
  "$WEB/src" "$WEB/sw" "$WEB/public" -newer "$STAMP" -print -quit)" ]; then
  exit 0
fi
(cd "$WEB" && VITE_USE_EMULATORS=true node_modules/.bin/vite build --logLevel warn)
touch "$STAMP"
