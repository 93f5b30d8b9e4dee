#!/usr/bin/env bash
# Hook run before the emulators stop: stop what after_start.sh started (the scheduler, ai_service).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${AURAOS_AI_PORT:-8081}"

stop() {
  local pid_file="$1" pid
  [ -f "$pid_file" ] || return 0
  pid="$(cat "$pid_file")"
  # Started with setsid: stop the whole group (gunicorn master and workers).
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pid_file"
}

stop "$ROOT/.emulators/scheduler.pid"
stop "$ROOT/.emulators/ai_service-$PORT.pid"
