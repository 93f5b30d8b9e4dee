#!/usr/bin/env bash
# Attach ai_service to running emulators (however they were started: `make run`,
# `npx firebase emulators:start`, `firebase emulators:exec`):
#
#   emulators/ai_service.sh [--seed] [--foreground]
#
# Starts gunicorn on 127.0.0.1:${AURAOS_AI_PORT:-8081}, waits until it is ready, then creates the
# Pub/Sub topics, the dead-letter topic and the push subscriptions to it (idempotent: existing
# ones are kept). --seed also writes config/flags and the demo account (demo@auraos.dev /
# demo-password). --foreground (`make ai-service`) keeps it in this terminal until Ctrl-C;
# otherwise it keeps running in the background (pid in .emulators/ai_service-PORT.pid, stopped by
# emulators/before_stop.sh). The emulator hosts default to firebase.json's ports.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${AURAOS_AI_PORT:-8081}"
LOGS="$ROOT/.emulators/logs"
SEED=()
FOREGROUND=0
for arg in "$@"; do
  case "$arg" in
    --seed) SEED=(--seed) ;;
    --foreground) FOREGROUND=1 ;;
    *)
      echo "usage: $0 [--seed] [--foreground]" >&2
      exit 64
      ;;
  esac
done
mkdir -p "$LOGS"
cd "$ROOT"

# Clients of the emulators (firebase-tools exports these inside emulators:exec; not otherwise).
export FIRESTORE_EMULATOR_HOST="${FIRESTORE_EMULATOR_HOST:-127.0.0.1:8080}"
export PUBSUB_EMULATOR_HOST="${PUBSUB_EMULATOR_HOST:-127.0.0.1:8085}"
export FIREBASE_AUTH_EMULATOR_HOST="${FIREBASE_AUTH_EMULATOR_HOST:-127.0.0.1:9099}"
export GCLOUD_PROJECT="${GCLOUD_PROJECT:-demo-auraos}"
# The emulators' pushes carry no OIDC token: opt out of push auth, explicitly.
export AURAOS_REQUIRE_PUSH_AUTH="${AURAOS_REQUIRE_PUSH_AUTH:-false}"
# Its spans join the local trace file (emulators/env.sh), unless the caller chose otherwise.
export AURAOS_TRACE_EXPORTER="${AURAOS_TRACE_EXPORTER:-file}"
export AURAOS_TRACE_FILE="${AURAOS_TRACE_FILE:-$ROOT/.emulators/logs/traces.jsonl}"

if ! curl -s -o /dev/null "http://$FIRESTORE_EMULATOR_HOST/" ||
  ! curl -s -o /dev/null "http://$PUBSUB_EMULATOR_HOST/"; then
  echo "ai_service: no emulators at $FIRESTORE_EMULATOR_HOST (Firestore) and $PUBSUB_EMULATOR_HOST" \
    "(Pub/Sub); start them first: make run, or   . emulators/env.sh && npx firebase emulators:start" >&2
  exit 1
fi

# Keyed by port, so two stacks on different ports never stop each other's ai_service.
PID_FILE="$ROOT/.emulators/ai_service-$PORT.pid"
LOG="$LOGS/ai_service-$PORT.log"
HOST=127.0.0.1 PORT="$PORT" setsid "$ROOT/.venv/bin/gunicorn" -c ai_service/gunicorn.conf.py \
  >"$LOG" 2>&1 &
PID=$!
echo "$PID" >"$PID_FILE"

stop() {
  kill -TERM -- "-$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  rm -f "$PID_FILE"
}
[ "$FOREGROUND" = 1 ] && trap stop EXIT

for _ in $(seq 600); do
  if curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; then break; fi
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "ai_service failed to start; see $LOG" >&2
    tail -n 30 "$LOG" >&2
    exit 1
  fi
  sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "ai_service not ready; see $LOG" >&2; exit 1; }

"$ROOT/.venv/bin/python" -m tools.local_stack \
  --push-endpoint "http://127.0.0.1:$PORT/pubsub/push" --warm-up "${SEED[@]}"

if [ "$FOREGROUND" = 1 ]; then
  echo "ai_service on :$PORT, attached to the emulators (log: $LOG). Ctrl-C stops it; chat: make chat"
  trap 'exit 0' INT TERM
  wait "$PID"
fi
