"""PyTorch peers of `kernelforge bench`, timed on the same GPU in the same command
(scripts/gpu-check.sh): GELU (tanh form, as kernelforge's) over 16,777,216 f32, and layer_norm
and softmax over 4096 rows of 4096 f32, the bench's default shapes; the matrix products of
issue 18 (`torch.matmul` and `F.linear` + `F.gelu(approximate='tanh')` in f32 at 1024, the
bench's shape, and in bf16 at M = N = K = 4096) and attention (`scaled_dot_product_attention`
in f32 with 4 heads of 64 at 1,024 positions, the bench's shape, and in bf16 with head_dim 128
at 4,096 positions, causal and not). CUDA events around each call, 3 warm-up calls, median of
11, printed as JSON lines beside the effective bandwidth (bytes read + written once / time)
and, for the products and attention, TFLOP/s."""
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
    for name, f, flops in matrix_cases(dev, g):
        ms = median_ms(f)
        print(json.dumps({"peer": "pytorch " + torch.__version__, "kernel": name,
                          "median_ms": round(ms, 4), "tflops": round(flops / ms / 1e9, 2),
                          "gpu": torch.cuda.get_device_name()}))


def matrix_cases(dev, g):
    """(name, call, flops) of the matrix products and attention."""
    out = []
    for dtype, side in [(torch.float32, 1024), (torch.bfloat16, 4096)]:
        t = str(dtype).removeprefix("torch.")
        a = torch.rand(side, side, device=dev, generator=g).to(dtype) * 2 - 1
        w = torch.rand(side, side, device=dev, generator=g).to(dtype) * 2 - 1
        bias = torch.rand(side, device=dev, generator=g).to(dtype) * 2 - 1
        flops = 2 * side ** 3
        out.append((f"matmul_{t}_{side}", lambda a=a, w=w: torch.matmul(a, w), flops))
        out.append((f"linear_gelu_{t}_{side}",
                    lambda a=a, w=w, bias=bias: F.gelu(F.linear(a, w, bias), approximate="tanh"),
                    flops))
    for dtype, heads, seq, d in [(torch.float32, 4, 1024, 64), (torch.bfloat16, 16, 4096, 128)]:
        t = str(dtype).removeprefix("torch.")
        q, k, v = (torch.rand(1, heads, seq, d, device=dev, generator=g).to(dtype) * 2 - 1
                   for _ in range(3))
        flops = 4 * heads * seq * seq * d
        for causal in (False, True):
            name = f"attention_{t}_h{heads}_s{seq}_d{d}" + ("_causal" if causal else "")
            out.append((name,
                        lambda q=q, k=k, v=v, causal=causal:
                        F.scaled_dot_product_attention(q, k, v, is_causal=causal),
                        flops // 2 if causal else flops))
    return out


if __name__ == "__main__":
    main()
