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

SEED=()
[ "$MODE" = start ] && SEED=(--seed)
bash "$ROOT/emulators/ai_service.sh" "${SEED[@]}"
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
