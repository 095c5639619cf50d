#!/usr/bin/env bash
# For a GPU machine without Node.js or network: prepares .gpu/ in the project root (ignored by
# git) with a compressed copy of this machine's Node.js binary, the Node-API headers and
# scripts/gpu/on-device.sh. Copy the project (with .gpu/, node_modules/ and dist/) to the GPU
# machine, then follow docs/gpu.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu/include
node_bin=$(readlink -f "$(command -v node)")
[ -f .gpu/node.xz ] || xz -T2 -6 -c "$node_bin" > .gpu/node.xz
inc=$(dirname "$(dirname "$node_bin")")/include/node
cp "$inc"/js_native_api.h "$inc"/js_native_api_types.h "$inc"/node_api.h "$inc"/node_api_types.h .gpu/include/
cp scripts/gpu/on-device.sh .gpu/on-device.sh
du -sh .gpu
