#!/usr/bin/env bash
# Installs every Debian package bitlab needs to build, test and run its demo.
# Idempotent: when everything is already installed it changes nothing and
# touches no network. docs/dependencies.md says why each package is here.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config   # toolchain (C++20, CMake + Ninja)
  libtorch-dev                       # LibTorch 1.13 (CPU): training modules
  nlohmann-json3-dev                 # configs, metadata, metrics
  libfmt-dev                         # formatting of messages and tables
  libcli11-dev                       # the bitlab command line
  zlib1g-dev                         # gzip-compressed IDX datasets
  libsqlite3-dev                     # the experiment lab's results store (lab/core)
  libgtest-dev libgmock-dev          # unit tests
  librapidcheck-dev                  # property tests
  libbenchmark-dev                   # benchmarks (bench/)
  clang-14 libclang-rt-14-dev        # libFuzzer target of the graph loader (fuzz/, BITLAB_BUILD_FUZZERS)
  dataset-fashion-mnist              # the embedded default dataset
  libonnx-dev                        # ONNX / QONNX export, import and checker (src/onnx)
  libglpk-dev libeigen3-dev          # search: integer programs (GLPK), Gaussian processes (Eigen)
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm      # codegen: Cortex-M4 build + emulation
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc  # codegen: rv32 build + emulation
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
