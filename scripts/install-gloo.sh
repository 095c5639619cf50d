#!/usr/bin/env bash
# Installs Gloo's headers (Debian libgloo-dev) for c10d's ProcessGroupGloo: the torch wheel ships
# c10d's headers but not Gloo's, and without them the addon builds with distributed training on
# CPU disabled. Idempotent: returns at once when /usr/include/gloo/config.h exists (or GLOO_INCLUDE).
set -euo pipefail

if [ -f "${GLOO_INCLUDE:-/usr/include}/gloo/config.h" ]; then
  echo "gloo headers: ${GLOO_INCLUDE:-/usr/include}/gloo"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-gloo.sh: no apt-get here; install Gloo's headers (gloo/config.h) and set GLOO_INCLUDE" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "install-gloo.sh: installing libgloo-dev needs root (or sudo)" >&2
    exit 1
  fi
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends libgloo-dev
echo "gloo headers: /usr/include/gloo"
