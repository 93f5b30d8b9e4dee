# Sourced by the container scripts: picks the engine and its settings.
#   ENGINE            docker when its daemon answers, else podman (AURAOS_CONTAINER_ENGINE overrides)
#   ENGINE_BUILD      the build command with the flags this machine needs
#   AURAOS_LOCAL_BASE the tag of the debootstrap base (container/base.sh)
#   AURAOS_IMAGE      the ai_service image's tag
# A docker client without a daemon does not count: `docker info` must answer.
AURAOS_LOCAL_BASE="${AURAOS_LOCAL_BASE:-localhost/python-base:3.11-bookworm}"
AURAOS_IMAGE="${AURAOS_IMAGE:-localhost/auraos-ai-service:dev}"

auraos_pick_engine() {
  if [ -n "${AURAOS_CONTAINER_ENGINE:-}" ]; then
    echo "$AURAOS_CONTAINER_ENGINE"
  elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    echo docker
  elif command -v podman >/dev/null 2>&1; then
    echo podman
  fi
}

ENGINE="$(auraos_pick_engine)"
if [ -z "$ENGINE" ]; then
  echo "[container] neither a docker daemon nor podman is available (make setup installs podman as root)" >&2
  return 1 2>/dev/null || exit 1
fi
if [ "$ENGINE" = podman ] && [ -z "${CONTAINERS_CONF:-}" ]; then
  # The project's podman settings (runc, cgroupfs, file events, ulimits this machine allows).
  CONTAINERS_CONF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/containers.conf"
  export CONTAINERS_CONF
fi
ENGINE_BUILD=("$ENGINE" build)
# Builds reach the package index through the host's network (podman's default build network
# needs netavark/slirp settings a sandbox may not have).
[ "$ENGINE" = podman ] && ENGINE_BUILD+=(--network=host)
export AURAOS_LOCAL_BASE AURAOS_IMAGE ENGINE
