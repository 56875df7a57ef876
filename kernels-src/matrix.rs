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
    let (r, cc) = (row0 + wr, col0 + wc);
    for k0 in (0..k).step_by(16) {
        if inside && unit && k0 + 16 <= k {
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

/// `matmul` on matrix tiles for the half types, staged through workgroup memory for tensor
/// cores: the same parameters, results within the same bound. A workgroup of 8 warps computes
/// a 128 x 128 tile of C, each warp 64 x 32 of it as 4 x 2 accumulators (six tile loads per
/// eight products, where `matmul_tiles` has four per four). Every step of `KS` (16 or 32, a
/// family that `ops::matmul` autotunes) along `k`, the workgroup copies the step's 128 x `KS`
/// of A and `KS` x 128 of B into workgroup memory in runs of four elements (one `Vec4` load
/// where the operand's stride along the run is 1), each operand in its own orientation (a
/// row-major operand by rows, a column-major one by columns, so that consecutive invocations
/// read consecutive elements) and rows padded by 8 elements (16 bytes), then the warps load
/// their tiles from there: on CUDA with `ldmatrix`, whose eight row addresses then fall in
/// distinct banks. The copy of the next step is read into registers before the products of the
/// current one, so its memory latency overlaps them (the register prefetch of CUTLASS's
/// two-stage SIMT and `mma.sync` mainloops). Zeros past the matrices; the epilogue (bias,
/// activation, rounding to `T`) goes through workgroup memory 16 rows at a time. Workgroup
/// memory: 20 KiB with `KS` = 16, 28 KiB with 32 (in WGSL, where half values take 4 bytes, 32
/// and 48 KiB: an adapter that offers less refuses the instance, which autotuning skips).
/// Launch `Grid::groups([ceil(n / 128), ceil(m / 128), 1])`.
#[compute_kernel(workgroup_size = 256, T = [f16, bf16], KS = [16, 32])]
#[allow(clippy::too_many_arguments)]
pub fn matmul_staged<T: Float, const KS: u32>(
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
    // The workgroup's tile, its invocations, the padded row lengths of the staged operands
    // (along the step: `PK`; along the tile: `PT`), their sizes (the larger orientation) and
    // each invocation's share of a step.
    const TILE: u32 = 128;
    const N: u32 = 256;
    const PK: u32 = KS + 8;
    const PT: u32 = TILE + 8;
    const SA: u32 = TILE * PK;
    const EA: u32 = TILE * KS / N;
    const EV: u32 = EA / 4;
    const SC: u32 = 16 * TILE;
    const EC: u32 = SC / N;
    let at = shared_array::<T, SA>();
    let bt = shared_array::<T, SA>();
    let ct = shared_array::<f32, SC>();
    let lid = local_id().x;
    let warp = lid / 32;
    let row0 = group_id().y * TILE;
    let col0 = group_id().x * TILE;
    // The warp's 64 x 32 of the tile.
    let wr = (warp / 4) * 64;
    let wc = (warp % 4) * 32;
    // Column-major operands (a stride of 1 along the tile's rows or columns) are staged as
    // `KS` rows of `PT`, the others as 128 rows of `PK`. A tile at row `r`, depth `d` of the
    // staged A is at `r * ua + d * va` with stride `sa`; likewise B at depth `d`, column `j`.
    let (ca, cb) = (a_col != 1, b_col != 1);
    let ua = if ca { 1 } else { PK };
    let va = if ca { PT } else { 1 };
    let sa = if ca { PT } else { PK };
    let ub = if cb { PK } else { 1 };
    let vb = if cb { 1 } else { PT };
    let sb = if cb { PK } else { PT };
    let mut c00 = matrix_fill(0.0);
    let mut c01 = matrix_fill(0.0);
    let mut c10 = matrix_fill(0.0);
    let mut c11 = matrix_fill(0.0);
    let mut c20 = matrix_fill(0.0);
    let mut c21 = matrix_fill(0.0);
    let mut c30 = matrix_fill(0.0);
    let mut c31 = matrix_fill(0.0);
    // The step's operands in registers, element `q` of vector `e` at `4 e + q`.
    let mut pa = [0.0 as T; EA];
    let mut pb = [0.0 as T; EA];
    // Each invocation stages `EV` runs of 4 consecutive elements of each operand: run `g` of a
    // row-major A is row `g / (KS / 4)` at depth `4 (g % (KS / 4))`, of a column-major one
    // depth `g / 32` at row `4 (g % 32)`; likewise B. Where the operand's stride along the run
    // is 1 and the other a multiple of 4, a run wholly inside the matrix is one `Vec4` (64
    // bits; CUDA's `ld.global.nc.v4`), else four elements with their own bounds.
    let wa = if ca {
        a_row == 1 && a_col % 4 == 0
    } else {
        a_col == 1 && a_row % 4 == 0
    };
    let wb = if cb {
        b_row == 1 && b_col % 4 == 0
    } else {
        b_col == 1 && b_row % 4 == 0
    };
    let ra = if ca { 1u32 } else { 0 };
    let rb = if cb { 1u32 } else { 0 };
    let steps = k / KS + min(k % KS, 1);
    // Trip `s` stores step `s - 1` (read last trip), reads step `s` and multiplies step `s - 1`.
    for s in 0..steps + 1 {
        if s > 0 {
            workgroup_barrier();
            for e in 0..EV {
                let g = lid + e * N;
                let oa = if ca {
                    (g / (TILE / 4)) * PT + 4 * (g % (TILE / 4))
                } else {
                    (g / (KS / 4)) * PK + 4 * (g % (KS / 4))
                };
                let ob = if cb {
                    (g / (KS / 4)) * PK + 4 * (g % (KS / 4))
                } else {
                    (g / (TILE / 4)) * PT + 4 * (g % (TILE / 4))
                };
                Vec4::new(pa[4 * e], pa[4 * e + 1], pa[4 * e + 2], pa[4 * e + 3])
                    .store(&mut at, oa / 4);
                Vec4::new(pb[4 * e], pb[4 * e + 1], pb[4 * e + 2], pb[4 * e + 3])
                    .store(&mut bt, ob / 4);
            }
            workgroup_barrier();
        }
        if s < steps {
            let k0 = s * KS;
            for e in 0..EV {
                let g = lid + e * N;
                // A: the run's first row and depth; along the rows when column-major.
                let ga = if ca { g / (TILE / 4) } else { g % (KS / 4) };
                let ha = if ca { g % (TILE / 4) } else { g / (KS / 4) };
                let (r, kc) = (
                    row0 + if ca { 4 * ha } else { ha },
                    k0 + if ca { ga } else { 4 * ga },
                );
                if wa && r + 3 * ra < m && kc + 3 * (1 - ra) < k {
                    let v = Vec4::load(a, (r * a_row + kc * a_col) / 4);
                    pa[4 * e] = v.x;
                    pa[4 * e + 1] = v.y;
                    pa[4 * e + 2] = v.z;
                    pa[4 * e + 3] = v.w;
                } else {
                    for q in 0..4 {
                        let (rq, kq) = (r + q * ra, kc + q * (1 - ra));
                        pa[4 * e + q] = if rq < m && kq < k {
                            a[rq * a_row + kq * a_col]
                        } else {
                            0.0 as T
                        };
                    }
                }
                // B: the run's first depth and column; along the depth when column-major.
                let gb = if cb { g % (KS / 4) } else { g / (TILE / 4) };
                let hb = if cb { g / (KS / 4) } else { g % (TILE / 4) };
                let (kr, cc) = (
                    k0 + if cb { 4 * gb } else { gb },
                    col0 + if cb { hb } else { 4 * hb },
                );
                if wb && kr + 3 * rb < k && cc + 3 * (1 - rb) < n {
                    let v = Vec4::load(b, (kr * b_row + cc * b_col) / 4);
                    pb[4 * e] = v.x;
                    pb[4 * e + 1] = v.y;
                    pb[4 * e + 2] = v.z;
                    pb[4 * e + 3] = v.w;
                } else {
                    for q in 0..4 {
                        let (kq, cq) = (kr + q * rb, cc + q * (1 - rb));
                        pb[4 * e + q] = if kq < k && cq < n {
                            b[kq * b_row + cq * b_col]
                        } else {
                            0.0 as T
                        };
                    }
                }
            }
        }
        if s > 0 {
            for d in (0..KS).step_by(16) {
                let fa0 = matrix_load_a(&at, wr * ua + d * va, sa, Layout::col_major_if(ca));
                let fa1 = matrix_load_a(&at, (wr + 16) * ua + d * va, sa, Layout::col_major_if(ca));
                let fa2 = matrix_load_a(&at, (wr + 32) * ua + d * va, sa, Layout::col_major_if(ca));
                let fa3 = matrix_load_a(&at, (wr + 48) * ua + d * va, sa, Layout::col_major_if(ca));
                let fb0 = matrix_load_b(&bt, d * vb + wc * ub, sb, Layout::col_major_if(cb));
                let fb1 = matrix_load_b(&bt, d * vb + (wc + 16) * ub, sb, Layout::col_major_if(cb));
                matrix_mma(&mut c00, &fa0, &fb0);
                matrix_mma(&mut c01, &fa0, &fb1);
                matrix_mma(&mut c10, &fa1, &fb0);
                matrix_mma(&mut c11, &fa1, &fb1);
                matrix_mma(&mut c20, &fa2, &fb0);
                matrix_mma(&mut c21, &fa2, &fb1);
                matrix_mma(&mut c30, &fa3, &fb0);
                matrix_mma(&mut c31, &fa3, &fb1);
            }
        }
    }
    // The epilogue, 16 rows of the tile at a time: the warps of those rows store their
    // accumulators of them to `ct` (16 x 128), then every invocation writes `EC` of its
    // elements, consecutive invocations consecutive columns.
    for p in 0..TILE / 16 {
        workgroup_barrier();
        if warp / 4 == p / 4 {
            let h = p % 4;
            if h == 0 {
                matrix_store(&ct, wc, TILE, Layout::RowMajor, &c00);
                matrix_store(&ct, wc + 16, TILE, Layout::RowMajor, &c01);
            } else if h == 1 {
                matrix_store(&ct, wc, TILE, Layout::RowMajor, &c10);
                matrix_store(&ct, wc + 16, TILE, Layout::RowMajor, &c11);
            } else if h == 2 {
                matrix_store(&ct, wc, TILE, Layout::RowMajor, &c20);
                matrix_store(&ct, wc + 16, TILE, Layout::RowMajor, &c21);
            } else {
                matrix_store(&ct, wc, TILE, Layout::RowMajor, &c30);
                matrix_store(&ct, wc + 16, TILE, Layout::RowMajor, &c31);
            }
        }
        workgroup_barrier();
        for e in 0..EC {
            let idx = lid + e * N;
            let (row, col) = (row0 + p * 16 + idx / TILE, col0 + idx % TILE);
            if row < m && col < n {
                let mut v = ct[idx];
                if col < bias.len() {
                    v += bias[col] as f32;
                }
                c[row * n + col] = activation(act, v) as T;
            }
        }
    }
}

/// `matmul` (`TM` = 4: 16 x 16 invocations, 64 x 64 tiles, 4 x 4 outputs each) moving
/// `Vec4`s: every access to `a`, `b`, `bias`, `c` and to the staged tiles is four elements.
/// Its operands must be whole vectors: `a` row-major (`a_col = 1`) with `k` a multiple of 4,
/// `b` row-major (`b_col = 1`) or column-major (`b_row = 1`, as `linear`'s weight) with `n`
/// and `k` multiples of 4; `kernelforge::ops` runs it only for such products. Each step stages
/// 64 x 16 of A as 4 vectors per row and 16 x 64 of B as vectors along its contiguous side,
/// and each invocation reads its 4 rows of A and 4 columns of B as 8 vectors per 4 deep,
/// where `matmul` reads 32 elements. Why: lavapipe pays per access more than per byte, and on
/// GPUs 16-byte accesses move the tiles in a quarter of the instructions. The arithmetic is
/// `matmul`'s, `mul_add` in order of `k`, so the results are its results bit for bit.
#[compute_kernel(workgroup_size = (16, 16), T = [f32, f16, bf16])]
#[allow(clippy::too_many_arguments)]
pub fn matmul_v4<T: Float>(
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
    // `at`: A's 64 rows x 16 deep, 4 vectors per row (vector `i * 4 + dv`). `bt`: a row-major
    // B's 16 rows x 64 as 16 vectors per row (`d * 16 + jv`); a column-major B's 64 columns x
    // 16 deep as 4 vectors per column, with one vector of padding after every 4 columns
    // (`j * 4 + dv + j / 4`). Unpadded, the 16 invocations of a row of the workgroup, reading
    // columns `tx * 4 + q`, would read vectors 16 apart: on CUDA, 256 bytes apart, all in the
    // same four of the 32 banks; padded, 17 apart, in different banks (CUTLASS pads its
    // shared-memory tiles so).
    let at = shared_array::<f32, 1024>();
    let bt = shared_array::<f32, 1088>();
    let tx = local_id().x;
    let ty = local_id().y;
    let lin = ty * 16 + tx;
    let row0 = group_id().y * 64;
    let col0 = group_id().x * 64;
    let cb = b_col != 1;
    let mut acc = [0.0f32; 16];
    for k0 in (0..k).step_by(16) {
        // One vector of each operand per invocation; zeros past the matrices (a vector lies
        // wholly inside or outside them, its side being a multiple of 4).
        let (i, kc) = (row0 + lin / 4, k0 + (lin % 4) * 4);
        let mut va = Vec4::splat(0.0f32);
        if i < m && kc < k {
            let v = Vec4::load(a, (i * a_row + kc) / 4);
            va = Vec4::new(v.x as f32, v.y as f32, v.z as f32, v.w as f32);
        }
        va.store(&mut at, lin);
        let mut vb = Vec4::splat(0.0f32);
        if cb {
            let (j, kr) = (col0 + lin / 4, k0 + (lin % 4) * 4);
            if j < n && kr < k {
                let v = Vec4::load(b, (j * b_col + kr) / 4);
                vb = Vec4::new(v.x as f32, v.y as f32, v.z as f32, v.w as f32);
            }
        } else {
            let (kr, j) = (k0 + lin / 16, col0 + (lin % 16) * 4);
            if kr < k && j < n {
                let v = Vec4::load(b, (kr * b_row + j) / 4);
                vb = Vec4::new(v.x as f32, v.y as f32, v.z as f32, v.w as f32);
            }
        }
        let sb = if cb { lin + lin / 16 } else { lin };
        vb.store(&mut bt, sb);
        workgroup_barrier();
        for dv in 0..4 {
            // `av[p * 4 + e]` = A[ty * 4 + p, 4 dv + e], `bv[e * 4 + q]` = B[4 dv + e, tx * 4 + q].
            let mut av = [0.0f32; 16];
            let mut bv = [0.0f32; 16];
            for p in 0..4 {
                let v = Vec4::load(&at, (ty * 4 + p) * 4 + dv);
                av[p * 4] = v.x;
                av[p * 4 + 1] = v.y;
                av[p * 4 + 2] = v.z;
                av[p * 4 + 3] = v.w;
            }
            if cb {
                for q in 0..4 {
                    let v = Vec4::load(&bt, (tx * 4 + q) * 4 + dv + tx);
                    bv[q] = v.x;
                    bv[4 + q] = v.y;
                    bv[8 + q] = v.z;
                    bv[12 + q] = v.w;
                }
            } else {
                for e in 0..4 {
                    let v = Vec4::load(&bt, (dv * 4 + e) * 16 + tx);
                    bv[e * 4] = v.x;
                    bv[e * 4 + 1] = v.y;
                    bv[e * 4 + 2] = v.z;
                    bv[e * 4 + 3] = v.w;
                }
            }
            for e in 0..4 {
                for p in 0..4 {
                    for q in 0..4 {
                        acc[p * 4 + q] = av[p * 4 + e].mul_add(bv[e * 4 + q], acc[p * 4 + q]);
                    }
                }
            }
        }
        workgroup_barrier();
    }
    // Row `p` of the invocation's block is one vector of `c` (`n` a multiple of 4).
    let cc = col0 + tx * 4;
    let biased = bias.len() > 0;
    for p in 0..4 {
        let r = row0 + ty * 4 + p;
        if r < m && cc < n {
            let mut o = Vec4::new(acc[p * 4], acc[p * 4 + 1], acc[p * 4 + 2], acc[p * 4 + 3]);
            if biased {
                let bb = Vec4::load(bias, cc / 4);
                o = o + Vec4::new(bb.x as f32, bb.y as f32, bb.z as f32, bb.w as f32);
            }
            let y = Vec4::new(
                activation(act, o.x) as T,
                activation(act, o.y) as T,
                activation(act, o.z) as T,
                activation(act, o.w) as T,
            );
            y.store(c, (r * n + cc) / 4);
        }
    }
}
