#!/usr/bin/env bash
# Compile-and-load check of the CUDA code paths (not in CI: the CUDA torch wheel and its nvidia-*
# packages are several GB). Installs the CUDA torch wheel from the configured package index into a
# separate venv (.gpu/venv), builds the addon against it with NCCL (ProcessGroupNCCL) and Gloo
# into a separate build dir (.gpu/build), and runs the CPU test suite with that build
# (HEMOSEG_NATIVE_DIR). No GPU is needed; with one, the CUDA tests run too.
#   TORCH_SPEC   pip requirement of the CUDA wheel (default: torch, the newest the index has)
#   GPU_DIR      where the venv and build go (default .gpu)
#   TESTS        test files to run (default: every dist/test/**/*.test.js)
set -euo pipefail
cd "$(dirname "$0")/.."
GPU_DIR=${GPU_DIR:-.gpu}
mkdir -p "$GPU_DIR" && GPU_DIR=$(cd "$GPU_DIR" && pwd)  # absolute: HEMOSEG_NATIVE_DIR below
say() { printf '[cuda-check] %s\n' "$*"; }

if [ ! -x "$GPU_DIR/venv/bin/python" ]; then
  say "creating $GPU_DIR/venv"
  python3 -m venv "$GPU_DIR/venv"
fi
py="$GPU_DIR/venv/bin/python"
# Where the wheel's libtorch is, without importing torch (its Python deps are not installed).
torch_dir() { "$py" -c 'import importlib.util, os; s = importlib.util.find_spec("torch"); print(os.path.dirname(s.origin) if s else "")'; }
if [ ! -f "$(torch_dir)/lib/libtorch_cuda.so" ]; then
  # libtorch needs only the wheel and its native CUDA libraries (nvidia-*, cuda-toolkit), not the
  # Python-side dependencies (cuda-bindings, triton, sympy...), which the index may lack.
  say "installing ${TORCH_SPEC:-torch} (CUDA build) and the CUDA libraries it links: several GB"
  "$GPU_DIR/venv/bin/pip" install --retries "${PIP_RETRIES:-1}" --no-cache-dir --no-deps "${TORCH_SPEC:-torch}"
  mapfile -t native_deps < <("$py" -c 'import importlib.metadata as m
for r in m.requires("torch") or []:
    spec = r.split(";")[0].strip()
    if spec.startswith(("nvidia-", "cuda-toolkit")) and "extra ==" not in r:
        print(spec)')
  "$GPU_DIR/venv/bin/pip" install --retries "${PIP_RETRIES:-1}" --no-cache-dir "${native_deps[@]}"
fi
LIBTORCH=$(torch_dir)
[ -f "$LIBTORCH/lib/libtorch_cuda.so" ] \
  || { say "the installed torch has no CUDA: set TORCH_SPEC to a CUDA wheel the index serves"; exit 1; }
say "torch $("$py" -c 'import importlib.metadata as m; print(m.version("torch"))') at $LIBTORCH"
site=$(dirname "$LIBTORCH")

# NCCL and CUDA runtime headers from the nvidia-* wheels (layouts differ between CUDA 12 and 13).
find_header() { find "$site/nvidia" -name "$1" -path '*/include/*' 2>/dev/null | head -1; }
if [ -z "${NCCL_INCLUDE:-}" ]; then
  h=$(find_header nccl.h)
  if [ -z "$h" ]; then
    say "no nccl.h in $site/nvidia: installing the nvidia-nccl wheel torch asks for"
    nccl=$("$py" -c 'import importlib.metadata as m; print(next((r.split(";")[0].strip() for r in m.requires("torch") or [] if r.startswith("nvidia-nccl")), ""))')
    [ -n "$nccl" ] && "$GPU_DIR/venv/bin/pip" install --retries "${PIP_RETRIES:-1}" --no-cache-dir "$nccl"
    h=$(find_header nccl.h)
  fi
  [ -n "$h" ] && export NCCL_INCLUDE=$(dirname "$h")
fi
if [ -z "${CUDA_INCLUDE:-}" ]; then
  h=$(find_header cuda_runtime_api.h)
  [ -n "$h" ] && export CUDA_INCLUDE=$(dirname "$h")
fi
# CUDA 13's runtime wheel leaves headers that cuda_runtime.h and cuda_fp16.h include to other
# wheels: crt/host_config.h to nvidia-cuda-crt, nv/target (libcu++) to nvidia-cuda-cccl.
if [ -n "${CUDA_INCLUDE:-}" ]; then
  rt=$("$py" -c 'import importlib.metadata as m; print(m.version("nvidia-cuda-runtime"))' 2>/dev/null || true)
  for need in crt/host_config.h:nvidia-cuda-crt nv/target:nvidia-cuda-cccl; do
    [ -n "$rt" ] && [ ! -e "$CUDA_INCLUDE/${need%%:*}" ] || continue
    spec="${need#*:}==$(echo "$rt" | cut -d. -f1-2).*"
    say "no ${need%%:*} beside cuda_runtime.h: installing $spec"
    "$GPU_DIR/venv/bin/pip" install --retries "${PIP_RETRIES:-1}" --no-cache-dir --no-deps "$spec"
  done
fi
say "NCCL_INCLUDE=${NCCL_INCLUDE:-none} CUDA_INCLUDE=${CUDA_INCLUDE:-none}"

export LIBTORCH
BUILD_DIR="$GPU_DIR/build" nice bash scripts/build-native.sh
info="$GPU_DIR/build/native-info.json"
cat "$info"
node -e "const i=require('$info'); if (!i.cuda || !i.nccl) { console.error('[cuda-check] the build lacks CUDA or NCCL'); process.exit(1); }"

[ -d dist ] || npx tsc -p tsconfig.json
say "running the test suite with $GPU_DIR/build"
# shellcheck disable=SC2046
HEMOSEG_NATIVE_DIR="$GPU_DIR/build" node --expose-gc --test --test-concurrency=1 \
  ${TESTS:-$(find dist/test -name '*.test.js' | sort)}
say "passed"
