#!/usr/bin/env bash
# The main job: every built-in kernel on every backend present, with peers, in release mode.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
cargo run --release -p kernelforge-cli --bin kernelforge -- bench "$@"
