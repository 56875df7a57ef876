#!/usr/bin/env bash
# The test command: installs lavapipe and the pinned CUDA toolkit when missing (scripts/setup.sh),
# then runs every test with wgpu, nvcc, NVRTC and the host C++ compiler required, so WGSL
# kernels run for real on lavapipe, PTX is generated and checked by ptxas, and the generated
# CUDA C runs on the host (Device::cuda_host).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
export KERNELFORGE_REQUIRE="${KERNELFORGE_REQUIRE:-wgpu,nvcc,nvrtc,cuda-host}"
cargo fmt --all -- --check
cargo fmt --manifest-path examples/downstream/Cargo.toml -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The runtime alone and the facade without the GPU features (CPU only) must build cleanly too.
cargo clippy -p kernelforge-runtime --all-targets -- -D warnings
cargo clippy --no-default-features --all-targets -- -D warnings
cargo test --workspace
