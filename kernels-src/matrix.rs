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
        workgroup_barrier();
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
        workgroup_barrier();
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

/// `matmul` on matrix tiles (`matrix_mma`: tensor cores on CUDA sm_80+, the register-blocked
/// micro-kernel on the CPU): the same parameters, results within the same bound. A workgroup of
/// `W` warps computes a tile of C, each warp 32 x 32 as 2 x 2 accumulators, along `k` 16 at a
/// time: with 4 warps (2 x 2) a 64 x 64 tile, with 16 (4 x 4) 128 x 128, which loads each
/// operand tile once per four products where 64 x 64 does once per two (on the CPU the loads
/// are copies of 16 rows a stride apart, the cost beside the products). Where the workgroup's
/// tile and the step lie inside the matrices and each operand is row- or column-major (a
/// stride of 1), the warps load their tiles straight from `a` and `b`; elsewhere (the edges,
/// other strides) the workgroup first stages the step's rows x 16 of A and 16 x columns of B
/// through workgroup memory, zeros past the matrices. The epilogue goes through workgroup
/// memory 32 rows of the tile at a time (`ct`). Workgroup memory: 16 KiB for `f32` with 4
/// warps (WebGPU's default limit), 32 KiB with 16 (CUDA's static limit is 48; a wgpu adapter
/// below it refuses the instance, which autotuning then skips). Launch `Grid::groups([ceil(n /
/// 32 WC), ceil(m / 32 WR), 1])` with `WC` = 2 for 4 warps, 4 for 16, and `WR = W / WC`;
/// `ops::matmul` runs the instance its autotuned family chose.
#[compute_kernel(workgroup_size = 32 * W, T = [f32, f16, bf16], W = [4, 8, 16])]
#[allow(clippy::too_many_arguments)]
pub fn matmul_tiles<T: Float, const W: u32>(
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
    // Warps per row and per column of the workgroup's tile, its rows and columns, and the
    // elements of each staged operand and of `ct`.
    const WC: u32 = 2 + 2 * (W / 16);
    const WR: u32 = W / WC;
    const TR: u32 = 32 * WR;
    const TC: u32 = 32 * WC;
    const SA: u32 = 16 * TR;
    const SB: u32 = 16 * TC;
    const SC: u32 = 32 * TC;
    const N: u32 = 32 * W;
    let at = shared_array::<T, SA>();
    let bt = shared_array::<T, SB>();
    let ct = shared_array::<f32, SC>();
    let lid = local_id().x;
    let warp = lid / 32;
    let row0 = group_id().y * TR;
    let col0 = group_id().x * TC;
    // The warp's 32 x 32 within the workgroup's tile.
    let wr = (warp / WC) * 32;
    let wc = (warp % WC) * 32;
    let inside = row0 + TR <= m && col0 + TC <= n;
    let mut c00 = matrix_fill(0.0);
    let mut c01 = matrix_fill(0.0);
    let mut c10 = matrix_fill(0.0);
    let mut c11 = matrix_fill(0.0);
    // Each operand row- or column-major with its stride, where one of its strides is 1.
    let (ca, cb) = (a_col != 1, b_col != 1);
    let sa = if ca { a_col } else { a_row };
    let sb = if cb { b_col } else { b_row };
    let unit = (a_row == 1 || a_col == 1) && (b_row == 1 || b_col == 1);
    for k0 in (0..k).step_by(16) {
        if inside && unit && k0 + 16 <= k {
            let (r, cc) = (row0 + wr, col0 + wc);
            let fa0 = matrix_load_a(a, r * a_row + k0 * a_col, sa, Layout::col_major_if(ca));
            let fa1 = matrix_load_a(
                a,
                (r + 16) * a_row + k0 * a_col,
                sa,
                Layout::col_major_if(ca),
            );
            let fb0 = matrix_load_b(b, k0 * b_row + cc * b_col, sb, Layout::col_major_if(cb));
            let fb1 = matrix_load_b(
                b,
                k0 * b_row + (cc + 16) * b_col,
                sb,
                Layout::col_major_if(cb),
            );
            matrix_mma(&mut c00, &fa0, &fb0);
            matrix_mma(&mut c01, &fa0, &fb1);
            matrix_mma(&mut c10, &fa1, &fb0);
            matrix_mma(&mut c11, &fa1, &fb1);
        } else {
            // `at` is A's TR x 16 row-major, `bt` B's 16 x TC; the barrier first lets the
            // previous step's loads finish.
            workgroup_barrier();
            for e in 0..SA / N {
                let idx = lid + e * N;
                let (i, d) = (idx / 16, idx % 16);
                let (r, kc) = (row0 + i, k0 + d);
                at[idx] = if r < m && kc < k {
                    a[r * a_row + kc * a_col]
                } else {
                    0.0 as T
                };
            }
            for e in 0..SB / N {
                let idx = lid + e * N;
                let (d, j) = (idx / TC, idx % TC);
                let (kr, cc) = (k0 + d, col0 + j);
                bt[idx] = if kr < k && cc < n {
                    b[kr * b_row + cc * b_col]
                } else {
                    0.0 as T
                };
            }
            workgroup_barrier();
            let fa0 = matrix_load_a(&at, wr * 16, 16, Layout::RowMajor);
            let fa1 = matrix_load_a(&at, (wr + 16) * 16, 16, Layout::RowMajor);
            let fb0 = matrix_load_b(&bt, wc, TC, Layout::RowMajor);
            let fb1 = matrix_load_b(&bt, wc + 16, TC, Layout::RowMajor);
            matrix_mma(&mut c00, &fa0, &fb0);
            matrix_mma(&mut c01, &fa0, &fb1);
            matrix_mma(&mut c10, &fa1, &fb0);
            matrix_mma(&mut c11, &fa1, &fb1);
        }
    }
    // The epilogue, 32 rows of the workgroup's tile at a time: the warps of those rows store
    // their accumulators to `ct` (32 x TC), then each row goes out as one loop over its
    // columns, `c[base + j]` for consecutive `j`, which the CPU back end runs as vector code
    // (a stride loop), without the bias and activation where there are none.
    let plain = act == 0 && bias.len() == 0;
    let cols = if col0 < n { min(TC, n - col0) } else { 0 };
    for p in 0..WR {
        workgroup_barrier();
        if warp / WC == p {
            matrix_store(&ct, wc, TC, Layout::RowMajor, &c00);
            matrix_store(&ct, wc + 16, TC, Layout::RowMajor, &c01);
            matrix_store(&ct, 16 * TC + wc, TC, Layout::RowMajor, &c10);
            matrix_store(&ct, 16 * TC + wc + 16, TC, Layout::RowMajor, &c11);
        }
        workgroup_barrier();
        for r in 0..32 {
            let row = row0 + p * 32 + r;
            if row < m {
                let (base, src) = (row * n + col0, r * TC);
                if plain {
                    for j in (lid..cols).step_by(N) {
                        c[base + j] = ct[src + j] as T;
                    }
                } else {
                    for j in (lid..cols).step_by(N) {
                        let mut v = ct[src + j];
                        if col0 + j < bias.len() {
                            v += bias[col0 + j] as f32;
                        }
                        c[base + j] = activation(act, v) as T;
                    }
                }
            }
        }
    }
}
