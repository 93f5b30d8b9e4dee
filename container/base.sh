#!/usr/bin/env bash
# Make a Python 3.11 base image without a container registry:
#
#   container/base.sh [TAG]      # default localhost/python-base:3.11-bookworm
#
# debootstrap's minimal Debian bookworm (its python3 is 3.11) from the mirror apt already uses
# here, with python3-venv and ca-certificates, apt's docker-clean settings as the official Debian
# images have them, and this machine's CA bundle (a TLS-intercepting proxy in front of the package
# index must stay trusted inside the build). Imported into the engine as TAG; a TAG that exists is
# kept. The Dockerfile takes it as `--build-arg PYTHON_IMAGE=TAG` (container/build.sh does that).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=container/engine.sh
. "$ROOT/container/engine.sh"
TAG="${1:-$AURAOS_LOCAL_BASE}"

if "$ENGINE" image exists "$TAG" 2>/dev/null || "$ENGINE" image inspect "$TAG" >/dev/null 2>&1; then
  echo "[container/base] $TAG exists"
  exit 0
fi
command -v debootstrap >/dev/null || {
  echo "[container/base] debootstrap is missing (apt-get install debootstrap)" >&2
  exit 1
}

# The first Debian mirror apt is configured with (deb822 or one-line format), unless given.
mirror="${AURAOS_DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  mirror="$(sed -nE 's/^URIs:[[:space:]]*([^[:space:]]+).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -v security | head -n 1 || true)"
fi
if [ -z "$mirror" ]; then
  mirror="$(sed -nE 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm[[:space:]].*/\2/p' \
    /etc/apt/sources.list 2>/dev/null | head -n 1 || true)"
fi
[ -n "$mirror" ] || {
  echo "[container/base] no Debian mirror found in apt's sources; set AURAOS_DEBIAN_MIRROR" >&2
  exit 1
}

rootfs="$(mktemp -d "${TMPDIR:-/tmp}/auraos-rootfs.XXXXXX")"
trap 'rm -rf "$rootfs"' EXIT
echo "[container/base] debootstrap bookworm into $rootfs ..."
debootstrap --variant=minbase --include=python3,python3-venv,python-is-python3,ca-certificates \
  bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
  tail -n 20 "$rootfs.log" >&2
  exit 1
}
rm -f "$rootfs.log"

cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  # pip bundles its own CA list; point it at the system one, which now trusts the proxy too.
  printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$rootfs/etc/pip.conf"
fi
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log

tar -C "$rootfs" -c . | "$ENGINE" import --change 'CMD ["python3"]' - "$TAG" >/dev/null
echo "[container/base] imported $TAG"
