#!/usr/bin/env bash
# Run a command against freshly started emulators, then stop them:
#
#   emulators/exec.sh 'pytest -q tests/ && echo ok'   # one argument: a shell string
#   emulators/exec.sh pytest -q -k "a or b"            # several: an argv, quoted as given
#
# Starts auth, firestore, pubsub, functions and hosting (firebase emulators:exec), runs CMD
# from the repo root with FIRESTORE_EMULATOR_HOST, FIREBASE_AUTH_EMULATOR_HOST,
# PUBSUB_EMULATOR_HOST, GCLOUD_PROJECT, FIREBASE_CONFIG set by firebase-tools,
# and exits with CMD's status (1 or 2 if the emulators fail to start).
#
# Hooks (optional, run from the repo root with AURAOS_EMULATORS_PHASE=exec):
#   emulators/after_start.sh exec   before CMD, once all emulators are ready;
#                                   must return (background long-running services
#                                   itself); a non-zero status skips CMD and fails.
#                                   (before_stop.sh still runs.)
#   emulators/before_stop.sh exec   after CMD, before the emulators stop.
# Logs: .emulators/logs/ (emulators.log: what firebase-tools printed, shown in part only when
# the run fails; firebase-debug.log, firestore-debug.log, pubsub-debug.log, ai_service-*.log).
# AURAOS_COVERAGE=1 (`make test`) measures every Python process under the emulators (CMD's
# pytest, ai_service's gunicorn, the Functions emulator's workers; pyproject.toml
# [tool.coverage.*]): data in .emulators/coverage/, reported by `make coverage`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -eq 0 ]; then
  echo "usage: $0 CMD..." >&2
  exit 64
fi
if [ $# -eq 1 ]; then
  CMD="$1"
else
  CMD="$(printf '%q ' "$@")"
fi

bash "$ROOT/emulators/setup.sh"
bash "$ROOT/emulators/sync_shared.sh"
bash "$ROOT/emulators/build_web.sh"
if [ "${AURAOS_COVERAGE:-0}" = 1 ]; then
  # The .pth that the coverage wheel installs starts coverage in each Python that sees these;
  # paths are absolute since the Functions workers run from functions/.
  export COVERAGE_PROCESS_START="$ROOT/pyproject.toml" AURAOS_COVERAGE_ROOT="$ROOT"
  mkdir -p "$ROOT/.emulators/coverage"
  if ! "$ROOT/functions/venv/bin/python" -c 'import coverage' 2>/dev/null; then
    echo "[emulators] coverage is not in functions/venv (make test installs it): the functions" \
      "are not measured" >&2
  fi
fi
# shellcheck source=emulators/env.sh
. "$ROOT/emulators/env.sh"
auraos_emulator_adc_env
auraos_ports_lock || exit 2
auraos_session_begin
auraos_trace_env
if [ "${AURAOS_COVERAGE:-0}" = 1 ]; then
  # Each measured process saves its data as it exits: give the many Functions workers time to
  # (up to 30 s, on SIGTERM) before auraos_session_reap kills what is left.
  auraos_coverage_reap() {
    local pids _
    pids="$(auraos_session_pids)"
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -TERM $pids 2>/dev/null || true
      for _ in $(seq 30); do # each look scans /proc: not too often while they save
        sleep 1
        [ -n "$(auraos_session_pids)" ] || break
      done
    fi
    auraos_session_reap
  }
  trap auraos_coverage_reap EXIT
else
  trap auraos_session_reap EXIT
fi

LOGS="$ROOT/.emulators/logs"
mkdir -p "$LOGS"
export FIREBASE_DEBUG_PATH="$LOGS/firebase-debug.log"
: >"$FIREBASE_DEBUG_PATH"
export AURAOS_EMULATORS_PHASE=exec

# firebase-tools prints every emulator and function log line; they go to a file, and only CMD
# (and the hooks) write to this script's own stdout/stderr, reopened through /proc since
# firebase-tools passes its children no descriptor but its own three. AURAOS_EMULATOR_LOGS=1
# shows everything as before.
EMULATOR_LOG="$LOGS/emulators.log"
OUT="/proc/$$/fd/1"
ERR="/proc/$$/fd/2"
# Where stdout is a file, both sides write in append mode, so neither overwrites the other.
if [ -f "$OUT" ]; then exec 1>>"$OUT"; fi
if [ -f "$ERR" ]; then exec 2>>"$ERR"; fi
qroot="$(printf '%q' "$ROOT")"
SCRIPT="cd $qroot || exit 1
if [ \"\${AURAOS_EMULATOR_LOGS:-0}\" != 1 ] && { true >>$OUT && true >>$ERR; } 2>/dev/null; then
  exec >>$OUT 2>>$ERR
fi
rc=0
if [ -f emulators/after_start.sh ]; then bash emulators/after_start.sh exec || rc=\$?; fi
if [ \$rc -eq 0 ]; then
( $CMD
) || rc=\$?
fi
if [ -f emulators/before_stop.sh ]; then bash emulators/before_stop.sh exec || true; fi
exit \$rc"

# Run from .emulators/logs so the *-debug.log files of the emulators land there.
cd "$LOGS"
rc=0
EMULATOR_OUT=/dev/stdout
if [ "${AURAOS_EMULATOR_LOGS:-0}" != 1 ]; then
  EMULATOR_OUT="$EMULATOR_LOG"
  : >"$EMULATOR_LOG"
  echo "[emulators] starting auth, firestore, pubsub, functions, hosting (log: $EMULATOR_LOG)"
fi
"$ROOT/node_modules/.bin/firebase" --config "$ROOT/firebase.json" \
  emulators:exec --project demo-auraos --only auth,firestore,pubsub,functions,hosting "$SCRIPT" \
  >>"$EMULATOR_OUT" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] && [ "$EMULATOR_OUT" = "$EMULATOR_LOG" ]; then
  echo "[emulators] exit $rc; the last lines of $EMULATOR_LOG:" >&2
  tail -n 80 "$EMULATOR_LOG" >&2
fi
exit "$rc"
