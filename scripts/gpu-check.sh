#!/usr/bin/env bash
# Builds, here and with the pinned toolkit, everything that must run on a lent H100/H200 into
# .gpu/ (under the device tool's 64 MiB), and prints the one command that runs it there:
# `kernelforge info`, every test binary with KERNELFORGE_REQUIRE=cuda, compute-sanitizer's
# memcheck and racecheck over the CUDA equivalence tests, and `kernelforge bench` beside
# PyTorch's GELU, layer_norm, softmax, matmul, linear + GELU and attention (scripts/gpu_peers.py),
# each result in a file of $OUT (seven: the device tool brings back at most eight).
# Each step there has its own timeout (below). ../shared/GPU.md says
# how the machine is reached. Usage: scripts/gpu-check.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
out=.gpu
if [ "${1:-}" != "--no-build" ]; then
  # Release builds: the timings are reported. PTX comes from the pinned nvcc (ISA 9.0, which
  # driver 580 loads).
  cargo build --release --features cuda,wgpu --bin kernelforge
  cargo test --release --features cuda,wgpu --no-run --message-format=json -p kernelforge \
    | jq -r 'select(.executable != null and .target.kind == ["test"]) | .executable' \
    > /tmp/kf-gpu-test-bins
  rm -rf "$out" && mkdir -p "$out/tests"
  cp target/release/kernelforge "$out/"
  while read -r bin; do
    name="$(basename "$bin" | sed 's/-[0-9a-f]*$//')"
    # Tests that need no GPU (the compiler's, UI, snapshots, the architecture rules, the
    # downstream build, which calls cargo) stay here.
    case "$name" in
      ui|snapshots|architecture|downstream|hygiene|soak) continue ;;
    esac
    cp "$bin" "$out/tests/$name"
  done < /tmp/kf-gpu-test-bins
  # The bench again with PTX for compute_90 (JIT-compiled for the H100/H200): the default
  # compute_75 PTX has no bf16/f16 mma.sync, so the matrix tiles run as warp shuffles there.
  # The matrix products' and attention's tests too: with compute_90 PTX their half-type tiles
  # run `mma.sync` (the default build's tests run `ldmatrix` and the shuffles).
  KERNELFORGE_CUDA_ARCH=compute_90 cargo build --release --features cuda,wgpu --bin kernelforge
  cp target/release/kernelforge "$out/kernelforge-compute90"
  for t in matmul attention; do
    KERNELFORGE_CUDA_ARCH=compute_90 cargo test --release --features cuda,wgpu --no-run \
      --message-format=json -p kernelforge --test "$t" \
      | jq -r 'select(.executable != null and .target.kind == ["test"]) | .executable' \
      | while read -r bin; do cp "$bin" "$out/$t-compute90"; done
  done
  strip "$out/kernelforge" "$out/kernelforge-compute90" "$out"/*-compute90 "$out"/tests/*
  # About 6 MB each stripped, 180 MB together, mostly the same runtime and kernels: one xz
  # stream with a dictionary larger than the whole dedups them to about 14 MB.
  (cd "$out" && tar cf - kernelforge kernelforge-compute90 matmul-compute90 attention-compute90 tests | xz -9 --lzma2=preset=9,dict=256MiB -T1 > bins.tar.xz)
  rm -rf "$out/kernelforge" "$out/kernelforge-compute90" "$out"/*-compute90 "$out/tests"
  cp scripts/gpu_peers.py "$out/"
fi

cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs on the GPU machine from the repository root, .gpu/ carried; results go to $OUT.
cd "$(dirname "$0")/.."
OUT="${OUT:-/tmp/kf-gpu-out}"; mkdir -p "$OUT"
bin=/tmp/kf-gpu; rm -rf "$bin"; mkdir -p "$bin"
tar xJf .gpu/bins.tar.xz -C "$bin" || { echo "gpu-check: cannot unpack .gpu/bins.tar.xz"; exit 1; }
export KERNELFORGE_REQUIRE=cuda RUST_BACKTRACE=1 KERNELFORGE_CACHE_DIR=/tmp/kf-cache
started=$(date +%s)
{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  timeout 30 "$bin/kernelforge" info
} > "$OUT/info.txt" 2>&1
# Each step's timeout: info 30 s, tests 150 s (the whole run took 98 s on an H200) and 2 x 45
# for the compute_90 matmul and attention tests, sanitizers 2 x 60 s, the bounds-checked
# equivalence tests 30 s, the finite-field bench 2 x 40 s, bench 90 s, the compute_90 bench
# 60 s, peers 45 s: 695 s if every step ran to its limit, past the device tool's 600 s a
# command, so the last steps are the ones a slow run loses (what is in $OUT still comes back).
fails=0
for t in "$bin"/tests/*; do
  left=$(( 150 - ($(date +%s) - started) ))
  if [ "$left" -lt 10 ]; then echo "stopped before $(basename "$t"): out of time"; break; fi
  echo "=== $(basename "$t")"
  timeout $(( left < 90 ? left : 90 )) "$t" --skip cuda_host 2>&1; rc=$?
  if [ "$rc" -ne 0 ]; then echo "FAILED: $(basename "$t") (exit $rc)"; fails=$((fails+1)); fi
done > "$OUT/tests.txt" 2>&1
for t in matmul attention; do
  echo "=== $t (compute_90 PTX: mma.sync)"
  timeout 45 "$bin/$t-compute90" _cuda --skip cuda_host 2>&1; rc=$?
  if [ "$rc" -ne 0 ]; then echo "FAILED: $t-compute90 (exit $rc)"; fails=$((fails+1)); fi
done >> "$OUT/tests.txt" 2>&1
echo "test binaries failed: $fails" >> "$OUT/tests.txt"
{
  for tool in memcheck racecheck; do
    echo "=== compute-sanitizer --tool $tool: equivalence _cuda"
    timeout 60 compute-sanitizer --tool "$tool" --error-exitcode 9 \
      "$bin"/tests/equivalence _cuda --skip cuda_host 2>&1 | tail -40
    echo "exit: ${PIPESTATUS[0]}"
  done
} > "$OUT/sanitizer.txt" 2>&1
# Every built-in's bounds-checked CUDA C (NVRTC) in bounds: the unchecked results.
# (In sanitizer.txt: the device tool brings back at most 8 files.)
{
  echo "=== KERNELFORGE_CHECK=bounds: equivalence _cuda"
  KERNELFORGE_CHECK=bounds timeout 30 "$bin"/tests/equivalence _cuda --skip cuda_host 2>&1 | tail -20
  echo "exit: ${PIPESTATUS[0]}"
} >> "$OUT/sanitizer.txt" 2>&1
# KERNELFORGE_PROFILE=1: each kernel's device time (CUDA events: mean, min, max per launch)
# in a table at the end, beside the bench's wall-clock medians (which include the launch and
# the wait: at 70 us a run, a large share; PyTorch's figures are CUDA events).
# The finite-field cases first (issue 19's GPU figures: Montgomery products a second, both
# BN254 kernels, u64 and 13-bit limbs; NTT 2^20; MSM 2^16, 2^18), with their CPU peers: the
# general bench below runs them last, where its timeout may cut them.
for f in goldilocks bn254; do
  KERNELFORGE_BACKEND=cuda timeout 40 "$bin/kernelforge" bench --only "$f" --runs 5 2>&1 | tail -16
done > "$OUT/bench.txt" 2>&1
KERNELFORGE_PROFILE=1 KERNELFORGE_BACKEND=cuda timeout 90 "$bin/kernelforge" bench --json "$OUT/bench.json" >> "$OUT/bench.txt" 2>&1
# The bf16 products and attention (tensor cores) with the compute_90 PTX.
KERNELFORGE_PROFILE=1 KERNELFORGE_BACKEND=cuda KERNELFORGE_CACHE_DIR=/tmp/kf-cache90 timeout 60 "$bin/kernelforge-compute90" \
  bench --only bfloat16 --json "$OUT/bench-compute90.json" >> "$OUT/bench.txt" 2>&1
PYTHONUNBUFFERED=1 timeout 45 python3 .gpu/gpu_peers.py > "$OUT/peers.txt" 2>&1
echo "gpu-check: $(( $(date +%s) - started )) s; test binaries failed: $fails" | tee -a "$OUT/info.txt"
tail -3 "$OUT/tests.txt"; grep -E "ERROR SUMMARY|exit:" "$OUT/sanitizer.txt"; tail -5 "$OUT/peers.txt"
RUN
chmod +x "$out/run.sh"
du -sh "$out"
size=$(du -sb "$out" | cut -f1)
if [ "$size" -ge $((64 * 1024 * 1024)) ]; then
  echo "gpu-check: $out is $size bytes, over the device tool's 64 MiB" >&2
  exit 1
fi
echo "On a lent GPU machine (device tool: run, carry [\".gpu\"], timeout_s 600):"
echo "  bash .gpu/run.sh"
