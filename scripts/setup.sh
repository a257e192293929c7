#!/usr/bin/env bash
# Installs cupilot's build dependencies (Debian 12 + LLVM 22 packages) and
# configures and builds it in ./build. Idempotent: a second run only rebuilds
# what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(clang-22 libclang-22-dev libclang-cpp22-dev llvm-22-dev llvm-22-tools
  libmlir-22-dev mlir-22-tools libyaml-cpp-dev libcurl4-openssl-dev
  libsqlite3-dev libgtest-dev ninja-build cmake clang-format-22 clang-tidy-22
  libclang-rt-22-dev python3 python3-yaml chromium)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if [[ ! -x "${CUDA_PATH:-/usr/local/cuda}/bin/nvcc" ]]; then
  echo "setup: warning: no CUDA toolkit at ${CUDA_PATH:-/usr/local/cuda};" \
    "parsing CUDA sources needs its headers" >&2
fi

BUILD_DIR=${BUILD_DIR:-build}
if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
  cmake -G Ninja -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DClang_DIR=/usr/lib/llvm-22/lib/cmake/clang \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DCUPILOT_CUDA_PATH="${CUDA_PATH:-/usr/local/cuda}" \
    -DCMAKE_CXX_COMPILER=clang++-22 -DCMAKE_C_COMPILER=clang-22 \
    ${CUPILOT_CMAKE_ARGS:-}
fi
ninja -C "$BUILD_DIR"
