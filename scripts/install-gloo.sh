#!/usr/bin/env bash
# Installs Gloo's headers (Debian libgloo-dev) for c10d's ProcessGroupGloo: the torch wheel ships
# c10d's headers but not Gloo's, and without them the addon builds with distributed training on
# CPU disabled. Idempotent: returns at once when /usr/include/gloo/config.h exists (or GLOO_INCLUDE).
set -euo pipefail

if [ -f "${GLOO_INCLUDE:-/usr/include}/gloo/config.h" ]; then
  echo "gloo headers: ${GLOO_INCLUDE:-/usr/include}/gloo"
  exit 0
fi
bash "$(dirname "$0")/apt-install.sh" install-gloo.sh libgloo-dev
echo "gloo headers: /usr/include/gloo"
