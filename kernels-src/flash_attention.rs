//! Attention: the FlashAttention-2 forward pass (Dao 2023, "FlashAttention-2: Faster Attention
//! with Better Parallelism and Work Partitioning", arXiv 2307.08691, Algorithm 1), the score
//! matrix never written to memory. A workgroup of 64 invocations takes a block of 64 query rows
//! of one (batch, head), one row per invocation; the keys and values pass through workgroup
//! memory a block of `2048 / D` rows at a time (8 KB each in `f32`, so the two fit WebGPU's
//! default 16 KB), and each invocation keeps its row's running maximum, sum and output
//! accumulator (`D` values) across the key blocks, rescaling them as the maximum grows (the
//! online softmax of Milakov & Gimelshein 2018). Scores are taken in base 2 (`q` is scaled by
//! `scale * log2(e)` once, then `exp2`), as FlashAttention's kernels do. Arithmetic and
//! accumulation are `f32` for every element type; each output is rounded once.

use kernelforge::prelude::*;

/// Scaled dot-product attention of one head, for every (batch, head): `o = softmax(scale q
/// k^T + mask) v` and `lse = ln(sum(exp(scale q k^T + mask)))` per query row, with `q`, `k`,
/// `v` and `o` as `[batch, heads, seq, D]` and `lse` as `[batch, heads, seq]`, all dense and
/// row-major. The mask is none when `causal` is 0; otherwise key `j` is hidden from query `i`
/// when `j > i` (PyTorch's `is_causal`). Launch `Grid::groups([ceil(seq / 64) * batch * heads,
/// 1, 1])`: group `g` takes rows `64 * (g % ceil(seq / 64))..` of head `g / ceil(seq / 64)`;
/// `kernelforge::ops::attention` does.
#[compute_kernel(workgroup_size = 64, T = [f32, f16, bf16], D = [64, 128])]
#[allow(clippy::too_many_arguments)]
pub fn attention<T: Float, const D: u32>(
    seq: u32,
    causal: u32,
    scale: f32,
    q: &[T],
    k: &[T],
    v: &[T],
    o: &mut [T],
    lse: &mut [f32],
) {
    // Keys (and values) per block: 2,048 values of each in workgroup memory.
    const BC: u32 = 2048 / D;
    let kt = shared_array::<f32, 2048>();
    let vt = shared_array::<f32, 2048>();
    let lid = local_id().x;
    let blocks = (seq + 63) / 64;
    let head = group_id().x / blocks;
    let row0 = (group_id().x % blocks) * 64;
    let row = row0 + lid;
    let base = head * seq * D;
    let live = row < seq;
    let c = scale * std::f32::consts::LOG2_E;
    let mut qv = [0.0f32; D];
    if live {
        for d in 0..D {
            qv[d] = q[base + row * D + d] as f32 * c;
        }
    }
    let mut acc = [0.0f32; D];
    let mut mx = f32::NEG_INFINITY;
    let mut sum = 0.0f32;
    // With the mask, no key past the block's last row is seen by any of its rows.
    let kend = if causal != 0 {
        min(seq, row0 + 64)
    } else {
        seq
    };
    for k0 in (0..kend).step_by(BC) {
        // The block's keys and values, consecutive in memory: 32 of each per invocation,
        // consecutive invocations reading consecutive elements. Past `seq`, zeros.
        for e in 0..32 {
            let idx = lid + e * 64;
            let inside = k0 + idx / D < seq;
            kt[idx] = if inside {
                k[base + k0 * D + idx] as f32
            } else {
                0.0
            };
            vt[idx] = if inside {
                v[base + k0 * D + idx] as f32
            } else {
                0.0
            };
        }
        barrier();
        // Scores of the block (base 2), masked ones -inf, and the new running maximum.
        let mut s = [0.0f32; BC];
        let mut bm = mx;
        for j in 0..BC {
            let key = k0 + j;
            // Sixteen partial sums (one AVX-512 vector on the CPU), and inner loops of constant
            // length, which every compiler unrolls: fewer loop trips (llvmpipe counts them,
            // see `ops::attention`) and independent chains for the FMA units.
            let mut part = [0.0f32; 16];
            for d in (0..D).step_by(16) {
                for u in 0..16 {
                    part[u] = qv[d + u].mul_add(kt[j * D + d + u], part[u]);
                }
            }
            for u in 0..8 {
                part[u] += part[u + 8];
            }
            let dot = ((part[0] + part[1]) + (part[2] + part[3]))
                + ((part[4] + part[5]) + (part[6] + part[7]));
            let seen = key < seq && (causal == 0 || key <= row);
            s[j] = if seen { dot } else { f32::NEG_INFINITY };
            bm = max(bm, s[j]);
        }
        // A row that has seen no key yet keeps -inf; shifting by 0 then gives exp2(-inf) = 0
        // rather than the NaN of -inf - -inf.
        let shift = if bm == f32::NEG_INFINITY { 0.0 } else { bm };
        let alpha = exp2(mx - shift);
        sum *= alpha;
        for d in (0..D).step_by(8) {
            for u in 0..8 {
                acc[d + u] *= alpha;
            }
        }
        // The weights first, in a loop of their own (which vectorises on the CPU), then the
        // weighted values.
        for j in 0..BC {
            s[j] = exp2(s[j] - shift);
        }
        for j in 0..BC {
            let p = s[j];
            sum += p;
            for d in (0..D).step_by(8) {
                for u in 0..8 {
                    acc[d + u] = p.mul_add(vt[j * D + d + u], acc[d + u]);
                }
            }
        }
        mx = bm;
        barrier();
    }
    if live {
        let inv = 1.0 / sum;
        for d in 0..D {
            o[base + row * D + d] = (acc[d] * inv) as T;
        }
        lse[head * seq + row] = (mx + log2(sum)) * std::f32::consts::LN_2;
    }
}
