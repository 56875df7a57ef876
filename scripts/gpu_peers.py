"""PyTorch peers of `kernelforge bench`, timed on the same GPU in the same command
(scripts/gpu-check.sh): GELU (tanh form, as kernelforge's) over 16,777,216 f32, and layer_norm
and softmax over 4096 rows of 4096 f32, the bench's default shapes. CUDA events around each
call, 3 warm-up calls, median of 11, printed as JSON lines beside the effective bandwidth
(bytes read + written once / time)."""
import json
import statistics

import torch
import torch.nn.functional as F

N, ROWS, COLS = 16_777_216, 4096, 4096


def median_ms(f, runs=11, warm=3):
    for _ in range(warm):
        f()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        f()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times)


def main():
    dev = torch.device("cuda")
    g = torch.Generator(device=dev).manual_seed(7)
    x = torch.rand(N, device=dev, generator=g) * 16 - 8
    m = x.view(ROWS, COLS)
    w = torch.rand(COLS, device=dev, generator=g)
    b = torch.rand(COLS, device=dev, generator=g)
    cases = [
        ("gelu", lambda: F.gelu(x, approximate="tanh"), 2 * 4 * N),
        ("layer_norm", lambda: F.layer_norm(m, (COLS,), w, b, 1e-5), 2 * 4 * N),
        ("softmax", lambda: torch.softmax(m, dim=-1), 2 * 4 * N),
    ]
    for name, f, nbytes in cases:
        ms = median_ms(f)
        print(json.dumps({"peer": "pytorch " + torch.__version__, "kernel": name,
                          "median_ms": round(ms, 4), "gb_s": round(nbytes / ms / 1e6, 1),
                          "gpu": torch.cuda.get_device_name()}))


if __name__ == "__main__":
    main()
