//! Matrix products. `matmul` is the classic shared-memory SGEMM (the CUDA programming guide's
//! tiled product with register blocking, as in Volkov & Demmel 2008 and CUTLASS's SIMT
//! kernels): a workgroup of 16 x 16 invocations computes a `16 TM x 16 TM` tile of C, each
//! invocation a `TM x TM` block held in private registers (`TM` = 4 or 2, a family that
//! `kernelforge::ops` autotunes: 64 x 64 tiles, or 32 x 32 for more workgroups); A and B pass through workgroup memory 16 columns
//! (rows) at a time, converted to `f32` once, so the arithmetic and accumulation are `f32` for
//! every element type and each output is rounded once. The epilogue (a bias per column and an
//! activation) runs on the accumulators before that rounding, so `linear` (`F.linear` then
//! `F.gelu`) is this kernel with `b` transposed and no pass over `c` of its own.

use kernelforge::prelude::*;

/// The activation `act` of a matrix product's epilogue on `v`: 0 none, 1 ReLU, 2 GELU in its
/// tanh form (PyTorch's `gelu(approximate='tanh')`: `0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715
/// v^3)))`), 3 GELU in its erf form (`gelu()`: `0.5 v (1 + erf(v / sqrt(2)))`; Hendrycks &
/// Gimpel, 2016). Another value is none.
#[kernel_fn]
pub fn activation(act: u32, v: f32) -> f32 {
    if act == 1 {
        max(v, 0.0)
    } else if act == 2 {
        let u = 0.7978846 * (v + 0.044715 * v * v * v);
        0.5 * v * (1.0 + u.tanh())
    } else if act == 3 {
        0.5 * v * (1.0 + erf(v * std::f32::consts::FRAC_1_SQRT_2))
    } else {
        v
    }
}

/// `c[M,N] = a[M,K] b[K,N]`, with `c` row-major (`c[i * n + j]`) and the operands read through
/// strides: `a[i,k]` is `a[i * a_row + k * a_col]` and `b[k,j]` is `b[k * b_row + j * b_col]`,
/// so a transposed operand is a swap of its strides (row-major `a`: `a_row = k, a_col = 1`;
/// `a` given as `[K,M]`: `a_row = 1, a_col = m`). Launch `Grid::groups([ceil(n / (16 TM)),
/// ceil(m / (16 TM)), 1])`; `kernelforge::ops::matmul` does. Products accumulate in `f32` with
/// `mul_add` in order of `k`. The epilogue adds `bias[j]` to column `j` when `bias` is not empty
/// (it then holds `n` values) and applies `act` ([`activation`]).
#[compute_kernel(workgroup_size = (16, 16), T = [f32, f16, bf16], TM = [4, 2])]
#[allow(clippy::too_many_arguments)]
pub fn matmul<T: Float, const TM: u32>(
    m: u32,
    n: u32,
    k: u32,
    a_row: u32,
    a_col: u32,
    b_row: u32,
    b_col: u32,
    act: u32,
    a: &[T],
    b: &[T],
    bias: &[T],
    c: &mut [T],
) {
    // Rows (and columns) of C per workgroup, and elements of each staged tile.
    const TILE: u32 = 16 * TM;
    const STAGE: u32 = 256 * TM;
    const OUTS: u32 = TM * TM;
    // The A and B tiles of one step, depth-major: `at[d * TILE + i]` is A[row0 + i, k0 + d]
    // and `bt[d * TILE + j]` is B[k0 + d, col0 + j], so a step reads both along rows of the
    // tile.
    let at = shared_array::<f32, STAGE>();
    let bt = shared_array::<f32, STAGE>();
    let tx = local_id().x;
    let ty = local_id().y;
    let lin = ty * 16 + tx;
    let row0 = group_id().y * TILE;
    let col0 = group_id().x * TILE;
    let mut acc = [0.0f32; OUTS];
    for k0 in (0..k).step_by(16) {
        // `STAGE` elements of each tile, `TM` per invocation; consecutive invocations read
        // consecutive elements of a row-major operand. Past the matrix, zeros.
        for e in 0..TM {
            let idx = lin + e * 256;
            let (i, d) = (idx / 16, idx % 16);
            let (r, kc) = (row0 + i, k0 + d);
            at[d * TILE + i] = if r < m && kc < k {
                a[r * a_row + kc * a_col] as f32
            } else {
                0.0
            };
            let (d, j) = (idx / TILE, idx % TILE);
            let (kr, cc) = (k0 + d, col0 + j);
            bt[idx] = if kr < k && cc < n {
                b[kr * b_row + cc * b_col] as f32
            } else {
                0.0
            };
        }
        barrier();
        for d in 0..16 {
            let mut av = [0.0f32; TM];
            let mut bv = [0.0f32; TM];
            for q in 0..TM {
                av[q] = at[d * TILE + ty * TM + q];
                bv[q] = bt[d * TILE + tx * TM + q];
            }
            for p in 0..TM {
                for q in 0..TM {
                    acc[p * TM + q] = av[p].mul_add(bv[q], acc[p * TM + q]);
                }
            }
        }
        barrier();
    }
    for p in 0..TM {
        for q in 0..TM {
            let (r, cc) = (row0 + ty * TM + p, col0 + tx * TM + q);
            if r < m && cc < n {
                let mut v = acc[p * TM + q];
                if cc < bias.len() {
                    v += bias[cc] as f32;
                }
                c[r * n + cc] = activation(act, v) as T;
            }
        }
    }
}
