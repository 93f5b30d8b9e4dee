#!/usr/bin/env bash
# Run a command with ai_service attached to running emulators, then stop ai_service: the
# command for `firebase emulators:exec` (what emulators/exec.sh does with its hooks):
#
#   . emulators/env.sh && npx firebase emulators:exec 'emulators/with_ai_service.sh make chat ARGS="-m hi"'
#
# Exits with CMD's status. AURAOS_AI_PORT picks ai_service's port (default 8081).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -eq 0 ]; then
  echo "usage: $0 CMD..." >&2
  exit 64
fi
trap 'bash "$ROOT/emulators/before_stop.sh"' EXIT
bash "$ROOT/emulators/ai_service.sh" --seed
"$@"
