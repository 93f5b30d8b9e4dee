#!/usr/bin/env bash
# Start auth, firestore, pubsub, functions and hosting (the PWA) emulators in the foreground
# (Ctrl-C stops them). Extra arguments go to `firebase emulators:start`
# (e.g. --import=DIR --export-on-exit).
#
# Clients in another shell:  . emulators/env.sh && auraos_emulator_client_env
#
# Hooks (optional, run from the repo root with AURAOS_EMULATORS_PHASE=start):
#   emulators/after_start.sh start  in the background, once firebase-tools
#                                   reports "All emulators ready" (functions loaded).
#   emulators/before_stop.sh start  after firebase-tools has exited.
# Whatever is still running from this session after firebase-tools exits (e.g.
# the Python functions runtime it leaks, or services a hook forgot) is stopped;
# see auraos_session_reap in emulators/env.sh.
# Logs: .emulators/logs/ (firebase-debug.log, firestore-debug.log, pubsub-debug.log).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

bash "$ROOT/emulators/setup.sh"
bash "$ROOT/emulators/sync_shared.sh"
bash "$ROOT/emulators/build_web.sh"
# shellcheck source=emulators/env.sh
. "$ROOT/emulators/env.sh"
auraos_emulator_adc_env
auraos_ports_lock || exit 2
auraos_session_begin
auraos_trace_env

LOGS="$ROOT/.emulators/logs"
mkdir -p "$LOGS"
export FIREBASE_DEBUG_PATH="$LOGS/firebase-debug.log"
: >"$FIREBASE_DEBUG_PATH"
export AURAOS_EMULATORS_PHASE=start

HOOK_PID=""
if [ -f "$ROOT/emulators/after_start.sh" ]; then
  (
    for _ in $(seq 1200); do # up to 10 minutes
      grep -q "All emulators ready" "$FIREBASE_DEBUG_PATH" 2>/dev/null && break
      sleep 0.5
    done
    grep -q "All emulators ready" "$FIREBASE_DEBUG_PATH" 2>/dev/null || exit 0
    cd "$ROOT" && exec bash emulators/after_start.sh start
  ) &
  HOOK_PID=$!
fi

on_exit() {
  if [ -n "$HOOK_PID" ] && kill -0 "$HOOK_PID" 2>/dev/null; then
    kill "$HOOK_PID" 2>/dev/null || true
  fi
  if [ -f "$ROOT/emulators/before_stop.sh" ]; then
    (cd "$ROOT" && bash emulators/before_stop.sh start) || true
  fi
  auraos_session_reap
}
trap on_exit EXIT

# Run from .emulators/logs so the *-debug.log files of the emulators land there.
cd "$LOGS"
"$ROOT/node_modules/.bin/firebase" --config "$ROOT/firebase.json" \
  emulators:start --project demo-auraos --only auth,firestore,pubsub,functions,hosting "$@"
