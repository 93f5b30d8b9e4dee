#!/usr/bin/env bash
# Hook run before the emulators stop: stop the ai_service that after_start.sh started.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PID_FILE="$ROOT/.emulators/ai_service.pid"
[ -f "$PID_FILE" ] || exit 0
PID="$(cat "$PID_FILE")"
# gunicorn was started in its own session: stop the whole group (master and workers).
kill -TERM -- "-$PID" 2>/dev/null || kill -TERM "$PID" 2>/dev/null || true
for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
kill -KILL -- "-$PID" 2>/dev/null || true
rm -f "$PID_FILE"
