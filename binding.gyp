# node-gyp build of the addon (alternative to scripts/build-native.sh, which setup.sh uses):
#   LIBTORCH=/path/to/libtorch npm run build:gyp
# The C++ standard and the c10d backend flags (-DUSE_C10D_GLOO where Gloo's headers are found,
# NCCL on a CUDA libtorch) come from build-native.sh, as in its own build.
{
  "targets": [
    {
      "target_name": "hemoseg_native",
      "sources": ["<!@(ls native/*.cpp)"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(echo $LIBTORCH)/include",
        "<!(echo $LIBTORCH)/include/torch/csrc/api/include"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "_GLIBCXX_USE_CXX11_ABI=<!(bash scripts/build-native.sh --abi)"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": [
        "<!(bash scripts/build-native.sh --std)",
        "-frtti", "-fexceptions", "-Wno-unused-parameter", "-Wno-deprecated-declarations", "-Wno-c++20-extensions",
        "<!@(bash scripts/build-native.sh --dist-flags)"
      ],
      "libraries": [
        "-L<!(echo $LIBTORCH)/lib",
        "-Wl,--no-as-needed",
        "<!@(bash scripts/build-native.sh --libs)",
        "-Wl,--as-needed",
        "-Wl,-rpath,<!(echo $LIBTORCH)/lib"
      ]
    }
  ]
}
