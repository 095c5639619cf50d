#!/usr/bin/env bash
# Source on the GPU machine from the project root: `source .gpu/on-device.sh` (after
# scripts/gpu/pack.sh made .gpu/). Unpacks Node.js into .gpu/bin, points LIBTORCH at the CUDA
# PyTorch of the machine's python3 and exports the ABI flag and Node-API headers that
# scripts/build-native.sh needs when node-gyp's headers are not there.
mkdir -p .gpu/bin
[ -x .gpu/bin/node ] || { xz -dc .gpu/node.xz > .gpu/bin/node && chmod +x .gpu/bin/node; }
export PATH=$PWD/.gpu/bin:$PATH
export NODE_API_INCLUDE=$PWD/.gpu/include
export LIBTORCH=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')
export LIBTORCH_CXX11_ABI=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
echo "node $(node --version); libtorch $LIBTORCH (torch $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)'))"
