#!/usr/bin/env bash
# Rebuilds what the sources changed, so tests never run against a stale build: the native addon
# when a file in native/ is newer than it (against the libtorch it was built with), then the
# TypeScript into a fresh dist/ (a deleted source leaves no stale compiled file behind).
set -euo pipefail
cd "$(dirname "$0")/.."
addon=build/Release/hemoseg_native.node
if [ ! -f "$addon" ] || [ ! -f build/native-info.json ]; then
  echo "no native build: run 'bash scripts/setup.sh' first" >&2
  exit 1
fi
if [ -n "$(find native binding.gyp scripts/build-native.sh -newer "$addon" -print -quit)" ]; then
  LIBTORCH=$(node -p "require('./build/native-info.json').libtorch") bash scripts/build-native.sh
fi
rm -rf dist
npx tsc -p tsconfig.json
