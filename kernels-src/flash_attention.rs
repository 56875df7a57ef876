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

/// [`attention`] on matrix tiles (tensor cores on CUDA), for the 16-bit types: the same
/// parameters, launch and results, within the tolerance of rounding the softmax weights to `T`
/// before they multiply `v` (as FlashAttention-2 does). A workgroup of 4 warps takes 64 query
/// rows of one (batch, head), 16 per warp; keys and values pass through workgroup memory 32
/// rows at a time. Each warp keeps its rows of `q` in `D / 16` A fragments for the whole pass
/// and its rows of the output in `D / 16` accumulators, multiplying them by `exp2(m_old -
/// m_new)` (`matrix_scale_rows`) as each row's running maximum grows; the scores of a key block
/// (`q k^T`, two accumulators) go through workgroup memory, where the first 16 lanes of the
/// warp take one row each: the masked scores, the new maximum, the weights `exp2(s - m)`
/// rounded to `T` (the A operand of the product with `v`) and the running sum in `f32`.
/// Workgroup memory: `64 (D + 8)` elements of `T` (`q`, then `k` and `v`, rows padded by 16
/// bytes so that CUDA's `ldmatrix` reads them without bank conflicts), `64 x 36` `f32` scores,
/// `64 x 40` weights and 64 factors: 31.3 KiB at `D = 128`. Every exchange between lanes is a
/// `workgroup_barrier()`: on wgpu a warp of 32 invocations may span several of the adapter's
/// subgroups (8 lanes on lavapipe), which `subgroup_barrier()` would not order. On lavapipe,
/// whose loops stop after 65,535 iterations per invocation (`ops::within_llvmpipe_loops`), it
/// was correct up to 384 positions at `D = 128` and 768 at `D = 64` and wrong at 512 and
/// 1,024: `ops::attention` does not run it on wgpu.
#[compute_kernel(workgroup_size = 128, T = [f16, bf16], D = [64, 128])]
#[allow(clippy::too_many_arguments)]
pub fn attention_tiles<T: Float, const D: u32>(
    seq: u32,
    causal: u32,
    scale: f32,
    q: &[T],
    k: &[T],
    v: &[T],
    o: &mut [T],
    lse: &mut [f32],
) {
    // Keys per block; padded row lengths of the staged rows (`PD`), scores (`SP`) and weights
    // (`PP`); the offset of `v` in `kv`; runs of 4 elements per invocation in 32 rows.
    const BC: u32 = 32;
    const PD: u32 = D + 8;
    const SP: u32 = BC + 4;
    const PP: u32 = BC + 8;
    const KV: u32 = 64 * PD;
    const VO: u32 = BC * PD;
    const SS: u32 = 64 * SP;
    const SW: u32 = 64 * PP;
    const RUNS: u32 = BC * D / 4 / 128;
    let kv = shared_array::<T, KV>();
    let st = shared_array::<f32, SS>();
    let pt = shared_array::<T, SW>();
    let al = shared_array::<f32, 64>();
    let lid = local_id().x;
    let warp = lid / 32;
    let lane = lid % 32;
    let blocks = (seq + 63) / 64;
    let head = group_id().x / blocks;
    let row0 = (group_id().x % blocks) * 64;
    let base = head * seq * D;
    let c = scale * std::f32::consts::LOG2_E;
    // The 64 rows of `q` (zeros past `seq`) into `kv`, then each warp's 16 as A fragments. At
    // `D = 64` the fragments past the row (`q4`..`q7`) repeat the first ones and are not used.
    for e in 0..2 * RUNS {
        let g = lid + e * 128;
        let (r, d) = (g / (D / 4), 4 * (g % (D / 4)));
        if row0 + r < seq {
            let x = Vec4::load(q, (base + (row0 + r) * D + d) / 4);
            x.store(&mut kv, (r * PD + d) / 4);
        } else {
            Vec4::new(0.0 as T, 0.0 as T, 0.0 as T, 0.0 as T).store(&mut kv, (r * PD + d) / 4);
        }
    }
    workgroup_barrier();
    let wq = warp * 16 * PD;
    let q0 = matrix_load_a(&kv, wq, PD, Layout::RowMajor);
    let q1 = matrix_load_a(&kv, wq + 16, PD, Layout::RowMajor);
    let q2 = matrix_load_a(&kv, wq + 32, PD, Layout::RowMajor);
    let q3 = matrix_load_a(&kv, wq + 48, PD, Layout::RowMajor);
    let q4 = matrix_load_a(&kv, wq + 64 % D, PD, Layout::RowMajor);
    let q5 = matrix_load_a(&kv, wq + 80 % D, PD, Layout::RowMajor);
    let q6 = matrix_load_a(&kv, wq + 96 % D, PD, Layout::RowMajor);
    let q7 = matrix_load_a(&kv, wq + 112 % D, PD, Layout::RowMajor);
    let mut o0 = matrix_fill(0.0);
    let mut o1 = matrix_fill(0.0);
    let mut o2 = matrix_fill(0.0);
    let mut o3 = matrix_fill(0.0);
    let mut o4 = matrix_fill(0.0);
    let mut o5 = matrix_fill(0.0);
    let mut o6 = matrix_fill(0.0);
    let mut o7 = matrix_fill(0.0);
    // Lane `r < 16` of the warp keeps row `r`'s running maximum (base 2) and sum.
    let qr = row0 + warp * 16 + lane;
    let mut mx = f32::NEG_INFINITY;
    let mut sum = 0.0f32;
    let kend = if causal != 0 {
        min(seq, row0 + 64)
    } else {
        seq
    };
    let (ws, wp) = (warp * 16 * SP, warp * 16 * PP);
    for k0 in (0..kend).step_by(BC) {
        // The block's keys and values (zeros past `seq`), as runs of 4.
        workgroup_barrier();
        for e in 0..RUNS {
            let g = lid + e * 128;
            let (r, d) = (g / (D / 4), 4 * (g % (D / 4)));
            let (ok, ov) = ((r * PD + d) / 4, (VO + r * PD + d) / 4);
            if k0 + r < seq {
                let i = (base + (k0 + r) * D + d) / 4;
                let kx = Vec4::load(k, i);
                let vx = Vec4::load(v, i);
                kx.store(&mut kv, ok);
                vx.store(&mut kv, ov);
            } else {
                let z = Vec4::new(0.0 as T, 0.0 as T, 0.0 as T, 0.0 as T);
                z.store(&mut kv, ok);
                z.store(&mut kv, ov);
            }
        }
        workgroup_barrier();
        // Scores: keys 0..16 and 16..32 of the block (`k` read as B = k^T, column-major).
        let mut s0 = matrix_fill(0.0);
        let mut s1 = matrix_fill(0.0);
        let kb0 = matrix_load_b(&kv, 0, PD, Layout::ColMajor);
        let kb1 = matrix_load_b(&kv, 16 * PD, PD, Layout::ColMajor);
        matrix_mma(&mut s0, &q0, &kb0);
        matrix_mma(&mut s1, &q0, &kb1);
        let kb2 = matrix_load_b(&kv, 16, PD, Layout::ColMajor);
        let kb3 = matrix_load_b(&kv, 16 * PD + 16, PD, Layout::ColMajor);
        matrix_mma(&mut s0, &q1, &kb2);
        matrix_mma(&mut s1, &q1, &kb3);
        let kb4 = matrix_load_b(&kv, 32, PD, Layout::ColMajor);
        let kb5 = matrix_load_b(&kv, 16 * PD + 32, PD, Layout::ColMajor);
        matrix_mma(&mut s0, &q2, &kb4);
        matrix_mma(&mut s1, &q2, &kb5);
        let kb6 = matrix_load_b(&kv, 48, PD, Layout::ColMajor);
        let kb7 = matrix_load_b(&kv, 16 * PD + 48, PD, Layout::ColMajor);
        matrix_mma(&mut s0, &q3, &kb6);
        matrix_mma(&mut s1, &q3, &kb7);
        if D > 64 {
            let kb8 = matrix_load_b(&kv, 64, PD, Layout::ColMajor);
            let kb9 = matrix_load_b(&kv, 16 * PD + 64, PD, Layout::ColMajor);
            matrix_mma(&mut s0, &q4, &kb8);
            matrix_mma(&mut s1, &q4, &kb9);
            let kb10 = matrix_load_b(&kv, 80, PD, Layout::ColMajor);
            let kb11 = matrix_load_b(&kv, 16 * PD + 80, PD, Layout::ColMajor);
            matrix_mma(&mut s0, &q5, &kb10);
            matrix_mma(&mut s1, &q5, &kb11);
            let kb12 = matrix_load_b(&kv, 96, PD, Layout::ColMajor);
            let kb13 = matrix_load_b(&kv, 16 * PD + 96, PD, Layout::ColMajor);
            matrix_mma(&mut s0, &q6, &kb12);
            matrix_mma(&mut s1, &q6, &kb13);
            let kb14 = matrix_load_b(&kv, 112, PD, Layout::ColMajor);
            let kb15 = matrix_load_b(&kv, 16 * PD + 112, PD, Layout::ColMajor);
            matrix_mma(&mut s0, &q7, &kb14);
            matrix_mma(&mut s1, &q7, &kb15);
        }
        matrix_store(&st, ws, SP, Layout::RowMajor, &s0);
        matrix_store(&st, ws + 16, SP, Layout::RowMajor, &s1);
        workgroup_barrier();
        // The online softmax of each row (Milakov & Gimelshein 2018), as in `attention`. Each
        // step is a loop of its own over the row, and the maximum and the sum are taken in 8
        // lanes, so that the CPU vectorises them (a single running sum or maximum is a serial
        // chain of scalar instructions).
        if lane < 16 {
            let mut x = [0.0f32; BC];
            for j in 0..BC {
                let key = k0 + j;
                let seen = key < seq && (causal == 0 || key <= qr);
                x[j] = if seen {
                    st[ws + lane * SP + j] * c
                } else {
                    f32::NEG_INFINITY
                };
            }
            let mut pm = [f32::NEG_INFINITY; 8];
            for j in (0..BC).step_by(8) {
                for u in 0..8 {
                    pm[u] = max(pm[u], x[j + u]);
                }
            }
            let bm = max(
                mx,
                max(
                    max(max(pm[0], pm[1]), max(pm[2], pm[3])),
                    max(max(pm[4], pm[5]), max(pm[6], pm[7])),
                ),
            );
            // A row that has seen no key yet keeps -inf, shifted by 0 (not -inf - -inf).
            let shift = if bm == f32::NEG_INFINITY { 0.0 } else { bm };
            let alpha = exp2(mx - shift);
            for j in 0..BC {
                x[j] = exp2(x[j] - shift);
            }
            let mut ps = [0.0f32; 8];
            for j in (0..BC).step_by(8) {
                for u in 0..8 {
                    ps[u] += x[j + u];
                }
            }
            for j in 0..BC {
                pt[wp + lane * PP + j] = x[j] as T;
            }
            let rs = ((ps[0] + ps[1]) + (ps[2] + ps[3])) + ((ps[4] + ps[5]) + (ps[6] + ps[7]));
            sum = sum * alpha + rs;
            mx = bm;
            al[warp * 16 + lane] = alpha;
        }
        workgroup_barrier();
        // o = alpha o + p v, two columns of 16 at a time (consecutive products share `p`).
        let p0 = matrix_load_a(&pt, wp, PP, Layout::RowMajor);
        let p1 = matrix_load_a(&pt, wp + 16, PP, Layout::RowMajor);
        matrix_scale_rows(&mut o0, &al, warp * 16);
        matrix_scale_rows(&mut o1, &al, warp * 16);
        let v00 = matrix_load_b(&kv, VO, PD, Layout::RowMajor);
        let v01 = matrix_load_b(&kv, VO + 16, PD, Layout::RowMajor);
        let v10 = matrix_load_b(&kv, VO + 16 * PD, PD, Layout::RowMajor);
        let v11 = matrix_load_b(&kv, VO + 16 * PD + 16, PD, Layout::RowMajor);
        matrix_mma(&mut o0, &p0, &v00);
        matrix_mma(&mut o1, &p0, &v01);
        matrix_mma(&mut o0, &p1, &v10);
        matrix_mma(&mut o1, &p1, &v11);
        matrix_scale_rows(&mut o2, &al, warp * 16);
        matrix_scale_rows(&mut o3, &al, warp * 16);
        let v02 = matrix_load_b(&kv, VO + 32, PD, Layout::RowMajor);
        let v03 = matrix_load_b(&kv, VO + 48, PD, Layout::RowMajor);
        let v12 = matrix_load_b(&kv, VO + 16 * PD + 32, PD, Layout::RowMajor);
        let v13 = matrix_load_b(&kv, VO + 16 * PD + 48, PD, Layout::RowMajor);
        matrix_mma(&mut o2, &p0, &v02);
        matrix_mma(&mut o3, &p0, &v03);
        matrix_mma(&mut o2, &p1, &v12);
        matrix_mma(&mut o3, &p1, &v13);
        if D > 64 {
            matrix_scale_rows(&mut o4, &al, warp * 16);
            matrix_scale_rows(&mut o5, &al, warp * 16);
            let v04 = matrix_load_b(&kv, VO + 64, PD, Layout::RowMajor);
            let v05 = matrix_load_b(&kv, VO + 80, PD, Layout::RowMajor);
            let v14 = matrix_load_b(&kv, VO + 16 * PD + 64, PD, Layout::RowMajor);
            let v15 = matrix_load_b(&kv, VO + 16 * PD + 80, PD, Layout::RowMajor);
            matrix_mma(&mut o4, &p0, &v04);
            matrix_mma(&mut o5, &p0, &v05);
            matrix_mma(&mut o4, &p1, &v14);
            matrix_mma(&mut o5, &p1, &v15);
            matrix_scale_rows(&mut o6, &al, warp * 16);
            matrix_scale_rows(&mut o7, &al, warp * 16);
            let v06 = matrix_load_b(&kv, VO + 96, PD, Layout::RowMajor);
            let v07 = matrix_load_b(&kv, VO + 112, PD, Layout::RowMajor);
            let v16 = matrix_load_b(&kv, VO + 16 * PD + 96, PD, Layout::RowMajor);
            let v17 = matrix_load_b(&kv, VO + 16 * PD + 112, PD, Layout::RowMajor);
            matrix_mma(&mut o6, &p0, &v06);
            matrix_mma(&mut o7, &p0, &v07);
            matrix_mma(&mut o6, &p1, &v16);
            matrix_mma(&mut o7, &p1, &v17);
        }
    }
    // Divide by the sums, and write the log-sum-exp (natural log) of the live rows.
    workgroup_barrier();
    let live = qr < seq;
    if lane < 16 {
        al[warp * 16 + lane] = 1.0 / sum;
        if live {
            lse[head * seq + qr] = (mx + log2(sum)) * std::f32::consts::LN_2;
        }
    }
    workgroup_barrier();
    matrix_scale_rows(&mut o0, &al, warp * 16);
    matrix_scale_rows(&mut o1, &al, warp * 16);
    matrix_scale_rows(&mut o2, &al, warp * 16);
    matrix_scale_rows(&mut o3, &al, warp * 16);
    matrix_scale_rows(&mut o4, &al, warp * 16);
    matrix_scale_rows(&mut o5, &al, warp * 16);
    matrix_scale_rows(&mut o6, &al, warp * 16);
    matrix_scale_rows(&mut o7, &al, warp * 16);
    // The output through the warp's scores (16 x 32 at a time), rounded once to `T`.
    for h in 0..D / 32 {
        if h == 0 {
            matrix_store(&st, ws, SP, Layout::RowMajor, &o0);
            matrix_store(&st, ws + 16, SP, Layout::RowMajor, &o1);
        } else if h == 1 {
            matrix_store(&st, ws, SP, Layout::RowMajor, &o2);
            matrix_store(&st, ws + 16, SP, Layout::RowMajor, &o3);
        } else if h == 2 {
            matrix_store(&st, ws, SP, Layout::RowMajor, &o4);
            matrix_store(&st, ws + 16, SP, Layout::RowMajor, &o5);
        } else {
            matrix_store(&st, ws, SP, Layout::RowMajor, &o6);
            matrix_store(&st, ws + 16, SP, Layout::RowMajor, &o7);
        }
        workgroup_barrier();
        for e in 0..16 {
            let idx = lane + e * 32;
            let (r, j) = (idx / 32, idx % 32);
            let row = row0 + warp * 16 + r;
            if row < seq {
                o[base + row * D + h * 32 + j] = st[ws + r * SP + j] as T;
            }
        }
        workgroup_barrier();
    }
}
