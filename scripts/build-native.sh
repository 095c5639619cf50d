#!/usr/bin/env bash
# Builds the native addon with g++ directly: build/Release/hemoseg_native.node.
# LIBTORCH (a libtorch dir: include/ and lib/) is required; NODE_API_INCLUDE defaults to this
# node's headers. Writes build/native-info.json, which the loader checks at start-up.
# BUILD_DIR (default build) puts the addon elsewhere (HEMOSEG_NATIVE_DIR loads it from there).
# For binding.gyp (the node-gyp build): --abi, --libs, --std and --dist-flags print the ABI flag,
# the link libraries, the C++ standard and the c10d backend flags (USE_C10D_GLOO where Gloo's
# headers are found, NCCL on a CUDA libtorch); --info-only writes build/native-info.json after a
# node-gyp build.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LIBTORCH:?set LIBTORCH to a libtorch directory (scripts/setup.sh finds one)}"
node_bin=$(readlink -f "$(command -v node)")
NODE_API_INCLUDE=${NODE_API_INCLUDE:-$(dirname "$(dirname "$node_bin")")/include/node}
ADDON_API=$(node -p "require('node-addon-api').include_dir" 2>/dev/null || echo node_modules/node-addon-api)
[ -f "$NODE_API_INCLUDE/node_api.h" ] || { echo "node_api.h not found in $NODE_API_INCLUDE (set NODE_API_INCLUDE)" >&2; exit 1; }
[ -f "$LIBTORCH/include/ATen/ATen.h" ] || { echo "$LIBTORCH does not look like libtorch (no include/ATen/ATen.h)" >&2; exit 1; }

if [ -z "${LIBTORCH_CXX11_ABI:-}" ]; then
  if [ "$(nm -D "$LIBTORCH/lib/libc10.so" 2>/dev/null | grep -c cxx11)" -gt 0 ]; then LIBTORCH_CXX11_ABI=1; else LIBTORCH_CXX11_ABI=0; fi
fi
version=$(cat "$LIBTORCH"/include/torch/csrc/api/include/torch/version.h "$LIBTORCH"/include/torch/headeronly/version.h \
  2>/dev/null | awk '/define TORCH_VERSION_(MAJOR|MINOR|PATCH) /{printf "%s%s", sep, $3; sep="."}')
libs=(-ltorch -ltorch_cpu -lc10)
cuda=false
if [ -f "$LIBTORCH/lib/libtorch_cuda.so" ]; then libs+=(-ltorch_cuda -lc10_cuda); cuda=true; fi

# C++17, or C++20 where the libtorch asks for it (2.14's ATen.h refuses anything older).
cxxstd=c++17
grep -q 'C++20 or later' "$LIBTORCH/include/ATen/ATen.h" 2>/dev/null && cxxstd=c++20
# c10d backends for native/ops_dist.cpp: Gloo needs Gloo's own headers (Debian libgloo-dev; the
# torch wheel ships c10d's but not Gloo's), NCCL needs a CUDA libtorch plus nccl.h and the CUDA
# runtime headers (pip nvidia-nccl-cu12 / nvidia-cuda-runtime-cu12 beside the torch wheel).
# Without them the addon still builds and distributed use says what to install.
dist_flags=()
notes=()
GLOO_INCLUDE=${GLOO_INCLUDE:-/usr/include}
if [ -f "$GLOO_INCLUDE/gloo/config.h" ]; then
  dist_flags+=(-DUSE_C10D_GLOO)
  [ "$GLOO_INCLUDE" = /usr/include ] || dist_flags+=(-I"$GLOO_INCLUDE")
  gloo=true
else
  gloo=false
  notes+=("Gloo headers not found ($GLOO_INCLUDE/gloo/config.h): distributed training on CPU disabled (apt-get install libgloo-dev, or scripts/install-gloo.sh)")
fi
nccl=false
if $cuda; then
  nv=$(dirname "$LIBTORCH")/nvidia
  NCCL_INCLUDE=${NCCL_INCLUDE:-$nv/nccl/include}
  CUDA_INCLUDE=${CUDA_INCLUDE:-$nv/cuda_runtime/include}
  if [ -f "$NCCL_INCLUDE/nccl.h" ] && [ -f "$CUDA_INCLUDE/cuda_runtime_api.h" ]; then
    dist_flags+=(-DUSE_C10D_NCCL -DUSE_CUDA -I"$NCCL_INCLUDE" -I"$CUDA_INCLUDE")
    nccl=true
  else
    notes+=("nccl.h or cuda_runtime_api.h not found (NCCL_INCLUDE, CUDA_INCLUDE): distributed training on CUDA disabled")
  fi
fi
case "${1:-}" in
  --abi) echo "$LIBTORCH_CXX11_ABI"; exit 0 ;;
  --libs) echo "${libs[*]}"; exit 0 ;;
  --std) echo "-std=$cxxstd"; exit 0 ;;
  --dist-flags) echo "${dist_flags[*]}"; exit 0 ;;
esac
for n in "${notes[@]}"; do echo "note: $n" >&2; done

write_info() {
  cat > "$build/native-info.json" <<JSON
{ "libtorch": "$LIBTORCH", "version": "$version", "cuda": $cuda, "cxx11abi": $LIBTORCH_CXX11_ABI, "gloo": ${gloo:-false}, "nccl": ${nccl:-false} }
JSON
}
build=${BUILD_DIR:-build}
if [ "${1:-}" = "--info-only" ]; then mkdir -p "$build"; write_info; exit 0; fi

out=$build/Release
obj=$build/obj
mkdir -p "$out" "$obj"
flags=(-std=$cxxstd -O2 -fPIC -fvisibility=hidden -D_GLIBCXX_USE_CXX11_ABI=$LIBTORCH_CXX11_ABI
  -DNAPI_VERSION=8 -DNODE_ADDON_API_DISABLE_DEPRECATED -DNAPI_CPP_EXCEPTIONS
  -I"$NODE_API_INCLUDE" -I"$ADDON_API" -I"$LIBTORCH/include" -I"$LIBTORCH/include/torch/csrc/api/include"
  -Wno-deprecated-declarations -Wno-unused-parameter -Wno-c++20-extensions)
[ "$(cat $obj/dist.stamp 2>/dev/null)" = "${dist_flags[*]}" ] || rm -f $obj/ops_dist.o
echo "${dist_flags[*]}" > $obj/dist.stamp
stamp="$LIBTORCH|$version|$LIBTORCH_CXX11_ABI|${flags[*]}"
[ "$(cat $obj/stamp 2>/dev/null)" = "$stamp" ] || rm -f $obj/*.o
echo "$stamp" > $obj/stamp

echo "building native addon against libtorch $version at $LIBTORCH (cuda: $cuda, cxx11 abi: $LIBTORCH_CXX11_ABI, gloo: $gloo, nccl: $nccl)"
pids=()
for src in native/*.cpp; do
  o=$obj/$(basename "${src%.cpp}").o
  if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ native/hemoseg.h -nt "$o" ]; then
    extra=()
    [ "$src" = native/ops_dist.cpp ] && extra=("${dist_flags[@]}")
    g++ "${flags[@]}" "${extra[@]}" -c "$src" -o "$o" &
    pids+=($!)
    # two compilers at a time: each needs ~1.5 GB for the libtorch headers
    if [ ${#pids[@]} -ge "${JOBS:-2}" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  fi
done
for p in "${pids[@]}"; do wait "$p"; done
g++ -shared -o "$out/hemoseg_native.node" $obj/*.o -L"$LIBTORCH/lib" -Wl,--no-as-needed "${libs[@]}" \
  -Wl,--as-needed -Wl,-rpath,"$LIBTORCH/lib"
write_info
echo "built $out/hemoseg_native.node"
