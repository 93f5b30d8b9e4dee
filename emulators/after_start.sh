#!/usr/bin/env bash
# Hook run by exec.sh/start.sh once the emulators are ready: start ai_service locally
# (gunicorn on 127.0.0.1:${AURAOS_AI_PORT:-8081}), wait until it is ready, then create the
# Pub/Sub topics and push subscriptions to it. In `start` mode also seed the demo data.
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

# Keyed by port, so two stacks on different ports never stop each other's ai_service.
PID_FILE="$ROOT/.emulators/ai_service-$PORT.pid"
HOST=127.0.0.1 PORT="$PORT" setsid "$ROOT/.venv/bin/gunicorn" -c ai_service/gunicorn.conf.py \
  >"$LOGS/ai_service-$PORT.log" 2>&1 &
echo $! >"$PID_FILE"

for _ in $(seq 600); do
  if curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; then break; fi
  if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    echo "ai_service failed to start; see $LOGS/ai_service-$PORT.log" >&2
    tail -n 30 "$LOGS/ai_service-$PORT.log" >&2
    exit 1
  fi
  sleep 0.2
done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "ai_service not ready" >&2; exit 1; }

SEED=()
[ "$MODE" = start ] && SEED=(--seed)
"$ROOT/.venv/bin/python" -m tools.local_stack \
  --push-endpoint "http://127.0.0.1:$PORT/pubsub/push" "${SEED[@]}"
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
