#!/usr/bin/env bash
# One-stop, idempotent set-up: finds (or installs) libtorch, installs npm packages from the lock
# file, builds the native addon and the TypeScript. Safe to run again; it redoes only what changed.
#
# Also installs Debian's Chromium for the HTML report's browser test, and Gloo's headers (Debian
# libgloo-dev) for distributed training on CPU (the addon builds without them, minus that).
# libtorch is taken from, in order: $LIBTORCH; the torch package of a python3 on PATH or in
# .venv/; a new .venv/ with `pip install torch` (CPU build); Debian's libtorch-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[setup] %s\n' "$*"; }

torch_dir() { "$1" -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null; }

find_libtorch() {
  if [ -n "${LIBTORCH:-}" ]; then echo "$LIBTORCH"; return; fi
  local d
  for py in python3 .venv/bin/python; do
    if command -v "$py" >/dev/null 2>&1 && d=$(torch_dir "$py") && [ -f "$d/include/ATen/ATen.h" ]; then
      echo "$d"; return
    fi
  done
  say "no libtorch found: creating .venv/ and installing PyTorch (CPU) with pip" >&2
  if python3 -m venv .venv >&2 && .venv/bin/pip install --retries "${PIP_RETRIES:-1}" torch >&2 \
     && d=$(torch_dir .venv/bin/python) && [ -f "$d/include/ATen/ATen.h" ]; then
    echo "$d"; return
  fi
  say "pip install torch failed: trying Debian's libtorch-dev (1.13: no fused attention)" >&2
  if [ ! -f /usr/include/ATen/ATen.h ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libtorch-dev) >&2
  fi
  mkdir -p build/libtorch-debian
  ln -sfn /usr/include build/libtorch-debian/include
  ln -sfn "/usr/lib/$(gcc -dumpmachine)" build/libtorch-debian/lib
  echo "$PWD/build/libtorch-debian"
}

LIBTORCH=$(find_libtorch)
export LIBTORCH
say "libtorch: $LIBTORCH"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund
fi

bash scripts/install-gloo.sh >/dev/null || say "could not install libgloo-dev: distributed training on CPU will be disabled"
have_gloo=false
[ -f "${GLOO_INCLUDE:-/usr/include}/gloo/config.h" ] && have_gloo=true
addon=build/Release/hemoseg_native.node
if [ ! -f "$addon" ] || [ "$(node -p "require('./build/native-info.json').libtorch" 2>/dev/null)" != "$LIBTORCH" ] \
   || [ "$(node -p "require('./build/native-info.json').gloo === true" 2>/dev/null)" != "$have_gloo" ] \
   || [ -n "$(find native -newer "$addon" -print -quit)" ]; then
  bash scripts/build-native.sh
fi
say "compiling TypeScript"
npx tsc -p tsconfig.json
bash scripts/install-browser.sh >/dev/null || say "could not install Chromium: the report's browser test will fail"
node -e "const i=require('./build/native-info.json'); console.log('[setup] ready: libtorch ' + i.version + ' at ' + i.libtorch + (i.cuda ? ' (CUDA)' : ' (CPU only)') + '; distributed: ' + ([i.gloo && 'gloo', i.nccl && 'nccl'].filter(Boolean).join(', ') || 'none'))"
