#!/usr/bin/env bash
# The test command: installs lavapipe and the pinned CUDA toolkit when missing (scripts/setup.sh),
# then runs every test with wgpu, nvcc, NVRTC and the host C++ compiler required, so WGSL
# kernels run for real on lavapipe, PTX is generated and checked by ptxas, and the generated
# CUDA C runs on the host (Device::cuda_host).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
export KERNELFORGE_REQUIRE="${KERNELFORGE_REQUIRE:-wgpu,nvcc,nvrtc,cuda-host}"
# Tests run many at once: autotuning timed there would measure the contention and keep it in
# the cache directory for later processes. The operators run their default instances instead;
# tests/autotune.rs times in child processes of its own, with timing on and a cache of their own.
export KERNELFORGE_AUTOTUNE=off
cargo fmt --all -- --check
cargo fmt --manifest-path examples/downstream/Cargo.toml -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The runtime alone and the facade without the GPU features (CPU only) must build cleanly too.
cargo clippy -p kernelforge-runtime --all-targets -- -D warnings
cargo clippy --no-default-features --all-targets -- -D warnings
cargo test --workspace
