#!/usr/bin/env bash
# Hook run by exec.sh/start.sh once the emulators are ready: start ai_service locally
# (gunicorn on 127.0.0.1:${AURAOS_AI_PORT:-8081}), wait until it is ready, then create the
# Pub/Sub topics and push subscriptions to it. In `start` mode also seed the demo data. Then
# start the local scheduler (tools/local_scheduler.py), which fires the scheduled functions.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODE="${1:-exec}"
PORT="${AURAOS_AI_PORT:-8081}"
LOGS="$ROOT/.emulators/logs"
mkdir -p "$LOGS"
cd "$ROOT"

# Clients of the emulators (firebase-tools exports these for exec; start mode needs them here).
export FIRESTORE_EMULATOR_HOST="${FIRESTORE_EMULATOR_HOST:-127.0.0.1:8080}"
export PUBSUB_EMULATOR_HOST="${PUBSUB_EMULATOR_HOST:-127.0.0.1:8085}"
export FIREBASE_AUTH_EMULATOR_HOST="${FIREBASE_AUTH_EMULATOR_HOST:-127.0.0.1:9099}"
export GCLOUD_PROJECT="${GCLOUD_PROJECT:-demo-auraos}"

SEED=()
[ "$MODE" = start ] && SEED=(--seed)
bash "$ROOT/emulators/ai_service.sh" "${SEED[@]}"

# Cloud Scheduler's part: the Functions emulator never fires scheduled functions.
SCHEDULER_LOG="$LOGS/scheduler.log"
rm -f "$ROOT/.emulators/scheduler.paused"
if [ "$MODE" = start ]; then # shown in make run's output, and kept in the log
  setsid bash -c 'exec "$0" -m tools.local_scheduler 2>&1 | tee "$1"' \
    "$ROOT/.venv/bin/python" "$SCHEDULER_LOG" &
else
  setsid "$ROOT/.venv/bin/python" -m tools.local_scheduler >"$SCHEDULER_LOG" 2>&1 &
fi
echo $! >"$ROOT/.emulators/scheduler.pid"
if [ "$MODE" = start ]; then
  # The Hosting emulator serves web/dist (built by start.sh); it moves to the next free port
  # when its own is taken, so ask the hub where it is.
  WEB_URL="$(curl -sf "http://${FIREBASE_EMULATOR_HUB:-127.0.0.1:4400}/emulators" |
    "$ROOT/.venv/bin/python" -c 'import json, sys; print("http://%(host)s:%(port)s/" % json.load(sys.stdin)["hosting"])' ||
    echo "http://127.0.0.1:5173/")"
  cat <<MSG

  AuraOS is running on the emulators (project demo-auraos); ai_service on :$PORT.
  PWA:   $WEB_URL   (Hosting emulator; sign in as demo@auraos.dev / demo-password)
  Terminal chat, from another terminal:   make chat
MSG
fi
