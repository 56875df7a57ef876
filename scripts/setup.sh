#!/usr/bin/env bash
# Installs what kernelforge's tests and benchmarks need, when it is missing:
#  - lavapipe (Debian mesa-vulkan-drivers), so every WGSL kernel runs for real without a GPU;
#  - g++ (C++20), which nvcc needs and which runs the generated CUDA C on the host;
#  - the pinned CUDA toolkit from pip (nvcc, NVRTC) into $KERNELFORGE_TOOLS (default .tools/),
#    pinned because pip's nvidia-cuda-nvcc==13.0.88 alone pulls 13.5 parts that emit PTX 9.5,
#    which driver 580 (CUDA 13.0) refuses.
# Source it (`. scripts/setup.sh`): it exports KERNELFORGE_NVCC, PATH and LD_LIBRARY_PATH.
set -u
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${KERNELFORGE_TOOLS:-$root/.tools}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
  echo "setup: installing lavapipe (mesa-vulkan-drivers)" >&2
  if [ "$(id -u)" = 0 ]; then sudo_=""; else sudo_="sudo"; fi
  $sudo_ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq \
    mesa-vulkan-drivers libvulkan1 >&2 || echo "setup: could not install lavapipe" >&2
fi

# A C++20 compiler: nvcc needs gcc even for `-ptx`, and the tests run the generated CUDA C on
# the host with it (Device::cuda_host).
if ! command -v g++ >/dev/null 2>&1; then
  echo "setup: installing g++" >&2
  if [ "$(id -u)" = 0 ]; then sudo_=""; else sudo_="sudo"; fi
  $sudo_ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq \
    g++ >&2 || echo "setup: could not install g++" >&2
fi

cu="$tools/cuda"
# nvidia-cuda-cccl brings <nv/target>, which cuda_fp16.h and cuda_bf16.h include (the f16 and
# bf16 kernels); a toolkit installed before it was added gets it on its own.
if [ ! -x "$cu/nvidia/cu13/bin/nvcc" ] || [ ! -e "$cu/nvidia/cu13/lib/libnvrtc.so.13" ]; then
  echo "setup: installing the pinned CUDA 13.0 toolkit into $cu" >&2
  python3 -m pip install -q --disable-pip-version-check --no-warn-script-location --target "$cu" \
    nvidia-cuda-nvcc==13.0.88 nvidia-nvvm==13.0.88 nvidia-cuda-crt==13.0.88 \
    nvidia-cuda-runtime==13.0.96 nvidia-cuda-nvrtc==13.0.88 nvidia-cuda-cccl==13.0.85 >&2 \
    || echo "setup: could not install the CUDA toolkit from pip" >&2
elif [ ! -e "$cu/nvidia/cu13/include/nv/target" ]; then
  echo "setup: adding the CUDA 13.0 C++ core headers (cccl) to $cu" >&2
  python3 -m pip install -q --disable-pip-version-check --no-warn-script-location --no-deps \
    --target "$cu.cccl" nvidia-cuda-cccl==13.0.85 >&2 \
    && cp -r "$cu.cccl/nvidia/cu13/include/." "$cu/nvidia/cu13/include/" && rm -rf "$cu.cccl" \
    || echo "setup: could not install the CUDA C++ core headers from pip" >&2
fi
if [ -x "$cu/nvidia/cu13/bin/nvcc" ]; then
  export KERNELFORGE_NVCC="$cu/nvidia/cu13/bin/nvcc"
  export PATH="$cu/nvidia/cu13/bin:$PATH"
  export LD_LIBRARY_PATH="$cu/nvidia/cu13/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
