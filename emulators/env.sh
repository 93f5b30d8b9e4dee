# shellcheck shell=bash
# Source me:  . emulators/env.sh
#
# Loads .emulators/env.sh (written by emulators/setup.sh; runs setup first if it
# is missing): Java >= 21 on PATH/JAVA_HOME and, when a Cloud SDK is installed,
# PUBSUB_EMULATOR_BINARY_PATH / FIRESTORE_EMULATOR_BINARY_PATH. Also sets
# GCLOUD_PROJECT=demo-auraos.
#
# The *_EMULATOR_HOST variables are NOT exported by default: firebase-tools sets
# them itself for the functions and for the `emulators:exec` command. For a
# client in another shell against running emulators (e.g. `emulators/start.sh`),
# call `auraos_emulator_client_env`, or source this file with
# AURAOS_EMULATOR_CLIENT_ENV=1.

AURAOS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export AURAOS_ROOT
export AURAOS_PROJECT_ID=demo-auraos

if [ ! -f "$AURAOS_ROOT/.emulators/env.sh" ]; then
  bash "$AURAOS_ROOT/emulators/setup.sh" || return 1 2>/dev/null || exit 1
fi
# shellcheck disable=SC1091
. "$AURAOS_ROOT/.emulators/env.sh"

export GCLOUD_PROJECT="$AURAOS_PROJECT_ID"

# firebase_admin.firestore.client() calls google.auth.default(), which fails on a
# machine without Application Default Credentials even when FIRESTORE_EMULATOR_HOST
# is set. If there are none, point GOOGLE_APPLICATION_CREDENTIALS at a dummy
# authorized_user file (never valid against real Google APIs). Used by exec.sh and
# start.sh (so the Python functions get it) and by auraos_emulator_client_env.
# Set AURAOS_FAKE_ADC=0 to disable.
auraos_emulator_adc_env() {
  [ "${AURAOS_FAKE_ADC:-1}" = 0 ] && return 0
  [ -n "${GOOGLE_APPLICATION_CREDENTIALS:-}" ] && return 0
  [ -f "${CLOUDSDK_CONFIG:-$HOME/.config/gcloud}/application_default_credentials.json" ] && return 0
  [ -f "$AURAOS_ROOT/.emulators/fake-adc.json" ] || return 0
  export GOOGLE_APPLICATION_CREDENTIALS="$AURAOS_ROOT/.emulators/fake-adc.json"
}

auraos_emulator_client_env() {
  export FIRESTORE_EMULATOR_HOST=127.0.0.1:8080
  export FIREBASE_AUTH_EMULATOR_HOST=127.0.0.1:9099
  export PUBSUB_EMULATOR_HOST=127.0.0.1:8085
  auraos_emulator_adc_env
}

# Spans of the functions and ai_service go to one JSON-lines file that `python -m tools.trace`
# reads (shared/tracing.py). exec.sh and start.sh begin each session with an empty file.
export AURAOS_TRACE_EXPORTER="${AURAOS_TRACE_EXPORTER:-file}"
export AURAOS_TRACE_FILE="${AURAOS_TRACE_FILE:-$AURAOS_ROOT/.emulators/logs/traces.jsonl}"
auraos_trace_env() {
  mkdir -p "$(dirname "$AURAOS_TRACE_FILE")"
  : >"$AURAOS_TRACE_FILE"
}

# One stack at a time on firebase.json's ports: a second exec.sh, start.sh or test run waits for
# the first instead of failing on a taken port (the lock is an flock on fd 9, released when the
# holder exits; the emulators themselves never inherit it). AURAOS_EMULATOR_LOCK_WAIT_S bounds
# the wait (default 1800 s). The ports belong to the machine, not to a checkout: one lock file
# in /tmp serves every clone (AURAOS_PORTS_LOCK overrides it).
AURAOS_PORTS_LOCK="${AURAOS_PORTS_LOCK:-/tmp/auraos-emulator-ports.lock}"
export AURAOS_PORTS_LOCK
auraos_ports_lock() {
  exec 9>>"$AURAOS_PORTS_LOCK"
  flock -n 9 && return 0
  echo "[emulators] another run is using the emulator ports; waiting for it to finish ..." >&2
  flock -w "${AURAOS_EMULATOR_LOCK_WAIT_S:-1800}" 9 && return 0
  echo "[emulators] the emulator ports are still in use; giving up" >&2
  return 1
}

# firebase-tools 15.x leaks the Python functions runtime: it kills the
# `sh -c '. venv/bin/activate && functions-framework'` wrapper but not the Python
# process under it, which survives emulator shutdown holding its port
# (firebase/firebase-tools#11069). exec.sh/start.sh tag their process tree with
# a unique AURAOS_EMULATOR_SESSION and, after firebase-tools exits, stop every
# process that still carries that exact tag (and nothing else).
auraos_session_begin() {
  AURAOS_EMULATOR_SESSION="$$.$(date +%s%N)"
  export AURAOS_EMULATOR_SESSION
}

auraos_session_pids() {
  local f pid
  [ -n "${AURAOS_EMULATOR_SESSION:-}" ] || return 0
  for f in /proc/[0-9]*/environ; do
    pid="${f#/proc/}"
    pid="${pid%/environ}"
    [ "$pid" = "$$" ] && continue
    if grep -qzxF -- "AURAOS_EMULATOR_SESSION=$AURAOS_EMULATOR_SESSION" "$f" 2>/dev/null; then
      echo "$pid"
    fi
  done
  return 0
}

auraos_session_reap() {
  local pids _
  pids="$(auraos_session_pids)"
  [ -n "$pids" ] || return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    pids="$(auraos_session_pids)"
    [ -n "$pids" ] || return 0
    sleep 0.3
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
}

# The emulators' Pub/Sub pushes carry no OIDC token: the local stack opts out of push auth,
# which ai_service otherwise requires (ai_service/config.py).
export AURAOS_REQUIRE_PUSH_AUTH="${AURAOS_REQUIRE_PUSH_AUTH:-false}"

# Sourced in a developer's shell, this is all `npx firebase emulators:start` / `emulators:exec`
# need: Java >= 21 and the SDK's emulators (above) and credentials the functions can load.
auraos_emulator_adc_env

if [ "${AURAOS_EMULATOR_CLIENT_ENV:-0}" = 1 ]; then
  auraos_emulator_client_env
fi
