//! Matrix tiles (`matrix_load_a/b/acc`, `matrix_fill`, `matrix_mma`, `matrix_store`,
//! `matrix_scale_rows`) on every
//! backend present, for `f32`, `f16` and `bf16` operands: loaded from slices in each layout
//! and from workgroup memory, accumulated over several depth steps, stored to a slice and to
//! workgroup memory, with a warp-uniform early `return`; compared with an `f64` product of the
//! same inputs and with the CPU backend.
//!
//! Tolerance, per element: `2 k 2^-24 sum_k |a_ik b_kj| + 2^-24 |c0|`, Higham's bound on `f32`
//! accumulation of `k` products (gamma_k, with a factor of 2 for tensor cores, which may
//! truncate rather than round their partial sums) plus the rounding of the initial
//! accumulator; the products of `f16` and `bf16` operands are exact in `f32`. Against the CPU
//! backend, twice that. The CPU, the host harness's CUDA C (the shuffle form) and CUDA's
//! shuffle form agree bit for bit (`fma` in order of depth); that is checked too.

mod common;
#[path = "common/elem.rs"]
mod elem;

use common::each_backend;
use elem::{values, Elem};
use kernelforge::prelude::*;

/// `c[M,N] += op(a) op(b)`, one 16 x 16 tile of `c` per warp (two warps per workgroup), all
/// operands read as tiles straight from the slices: `a` is `[M,K]` or, with `trans_a`,
/// `[K,M]`; `b` is `[K,N]` or, with `trans_b`, `[N,K]`. `m`, `n`, `k` are multiples of 16.
#[compute_kernel(workgroup_size = 64, T = [f32, f16, bf16])]
#[allow(clippy::too_many_arguments)]
pub fn tile_product<T: Float>(
    m: u32,
    n: u32,
    k: u32,
    trans_a: u32,
    trans_b: u32,
    a: &[T],
    b: &[T],
    c: &mut [f32],
) {
    let warp = local_id().x / 32;
    let tiles_n = n / 16;
    let t = group_id().x * 2 + warp;
    if t >= (m / 16) * tiles_n {
        return;
    }
    let row0 = (t / tiles_n) * 16;
    let col0 = (t % tiles_n) * 16;
    let mut acc = matrix_load_acc(c, row0 * n + col0, n, Layout::RowMajor);
    for k0 in (0..k).step_by(16) {
        if trans_a == 1 {
            let fa = matrix_load_a(a, k0 * m + row0, m, Layout::ColMajor);
            if trans_b == 1 {
                let fb = matrix_load_b(b, col0 * k + k0, k, Layout::ColMajor);
                matrix_mma(&mut acc, &fa, &fb);
            } else {
                let fb = matrix_load_b(b, k0 * n + col0, n, Layout::RowMajor);
                matrix_mma(&mut acc, &fa, &fb);
            }
        } else {
            let fa = matrix_load_a(a, row0 * k + k0, k, Layout::RowMajor);
            if trans_b == 1 {
                let fb = matrix_load_b(b, col0 * k + k0, k, Layout::ColMajor);
                matrix_mma(&mut acc, &fa, &fb);
            } else {
                let fb = matrix_load_b(b, k0 * n + col0, n, Layout::RowMajor);
                matrix_mma(&mut acc, &fa, &fb);
            }
        }
    }
    matrix_store(c, row0 * n + col0, n, Layout::RowMajor, &acc);
}

/// `c[M,N] = a[M,K] b[K,N]` for any sizes, through workgroup memory: a workgroup of two warps
/// computes a 16 x 32 tile of `c`, staging 16 x 16 of `a` and 16 x 32 of `b` per depth step
/// (zeros past the matrices), each warp multiplying its half; the accumulators go to
/// workgroup memory, and each invocation writes 8 of them to `c`, rounded to `T`.
#[compute_kernel(workgroup_size = 64, T = [f32, f16, bf16])]
pub fn tile_staged<T: Float>(m: u32, n: u32, k: u32, a: &[T], b: &[T], c: &mut [T]) {
    let at = shared_array::<T, 256>();
    let bt = shared_array::<T, 512>();
    let ct = shared_array::<f32, 512>();
    let lid = local_id().x;
    let warp = lid / 32;
    let row0 = group_id().y * 16;
    let col0 = group_id().x * 32;
    let mut acc = matrix_fill(0.0);
    for k0 in (0..k).step_by(16) {
        for e in 0..4 {
            let idx = lid + e * 64;
            let (r, d) = (row0 + idx / 16, k0 + idx % 16);
            at[idx] = if r < m && d < k {
                a[r * k + d]
            } else {
                0.0 as T
            };
        }
        for e in 0..8 {
            let idx = lid + e * 64;
            let (d, j) = (k0 + idx / 32, col0 + idx % 32);
            bt[idx] = if d < k && j < n {
                b[d * n + j]
            } else {
                0.0 as T
            };
        }
        barrier();
        let fa = matrix_load_a(&at, 0, 16, Layout::RowMajor);
        let fb = matrix_load_b(&bt, warp * 16, 32, Layout::RowMajor);
        matrix_mma(&mut acc, &fa, &fb);
        barrier();
    }
    matrix_store(&ct, warp * 16, 32, Layout::RowMajor, &acc);
    barrier();
    for e in 0..8 {
        let idx = lid + e * 64;
        let (r, j) = (row0 + idx / 32, col0 + idx % 32);
        if r < m && j < n {
            c[r * n + j] = ct[idx] as T;
        }
    }
}

/// Each warp's 16 x 16 tile of `c` (row-major, tile `w` at `256 w`, two per workgroup)
/// loaded as an accumulator, its rows scaled by `f[16 w + r]` (a slice), then by `(r / 4 + 2)
/// / 2` that the warp's first 16 lanes write to workgroup memory, and stored back.
#[compute_kernel(workgroup_size = 64)]
pub fn tile_scaled(f: &[f32], c: &mut [f32]) {
    let g = shared_array::<f32, 32>();
    let lid = local_id().x;
    let warp = lid / 32;
    let tile = group_id().x * 2 + warp;
    let mut acc = matrix_load_acc(c, tile * 256, 16, Layout::RowMajor);
    matrix_scale_rows(&mut acc, f, tile * 16);
    let lane = lid % 32;
    if lane < 16 {
        g[warp * 16 + lane] = (lane / 4 + 2) as f32 * 0.5;
    }
    subgroup_barrier();
    matrix_scale_rows(&mut acc, &g, warp * 16);
    matrix_store(c, tile * 256, 16, Layout::RowMajor, &acc);
}

/// `a[i, p]` of a row-major `[M,K]` matrix, or of one given as `[K,M]` when `trans`.
fn at<T: Copy>(a: &[T], trans: bool, rows: usize, cols: usize, i: usize, p: usize) -> T {
    if trans {
        a[p * rows + i]
    } else {
        a[i * cols + p]
    }
}

/// The tolerance of one element: `k` products of magnitude sum `mag` onto `c0`.
fn tolerance(k: usize, mag: f64, c0: f64) -> f64 {
    2.0 * k as f64 * 2f64.powi(-24) * mag + 2f64.powi(-24) * c0.abs()
}

/// Runs `tile_product` on `dev` and returns `c`.
#[allow(clippy::too_many_arguments)]
fn run_product<T: Elem + tile_product::Instance>(
    dev: &Device,
    (m, n, k): (usize, usize, usize),
    trans: (bool, bool),
    a: &[T],
    b: &[T],
    c0: &[f32],
) -> Vec<f32> {
    let (da, db) = (dev.upload(a).unwrap(), dev.upload(b).unwrap());
    let mut dc = dev.upload(c0).unwrap();
    let tiles = (m / 16) * (n / 16);
    let grid = Grid::groups([tiles.div_ceil(2) as u32, 1, 1]);
    let (ta, tb) = (trans.0 as u32, trans.1 as u32);
    let (mu, nu, ku) = (m as u32, n as u32, k as u32);
    tile_product::launch::<T>(dev, grid, mu, nu, ku, ta, tb, &da, &db, &mut dc)
        .unwrap_or_else(|e| panic!("tile_product on {}: {e}", dev.name()));
    dc.to_vec().unwrap()
}

fn product_case<T: Elem + tile_product::Instance>(dev: &Device) {
    // 2 x 3 tiles of `c` (three workgroups, the last warp of none returning), 4 depth steps.
    let (m, n, k) = (32, 48, 64);
    let (a, b) = (values::<T>(m * k, 3), values::<T>(k * n, 4));
    let c0: Vec<f32> = values::<f32>(m * n, 5);
    let cpu = Device::cpu();
    for trans in [(false, false), (true, false), (false, true), (true, true)] {
        let got = run_product(dev, (m, n, k), trans, &a, &b, &c0);
        let reference = run_product(&cpu, (m, n, k), trans, &a, &b, &c0);
        let bitwise = got
            .iter()
            .zip(&reference)
            .all(|(x, y)| x.to_bits() == y.to_bits());
        for i in 0..m {
            for j in 0..n {
                let (mut want, mut mag) = (c0[i * n + j] as f64, 0.0f64);
                for p in 0..k {
                    let t =
                        at(&a, trans.0, m, k, i, p).wide() * at(&b, !trans.1, n, k, j, p).wide();
                    want += t;
                    mag += t.abs();
                }
                let (g, r) = (got[i * n + j] as f64, reference[i * n + j] as f64);
                let tol = tolerance(k, mag, c0[i * n + j] as f64);
                assert!(
                    (g - want).abs() <= tol && (g - r).abs() <= 2.0 * tol,
                    "{} {} {trans:?}: c[{i},{j}] = {g}, want {want}, cpu {r} (tolerance {tol})",
                    dev.name(),
                    std::any::type_name::<T>()
                );
            }
        }
        // The shuffle form is the CPU's arithmetic exactly.
        if common::is_cuda_host(dev) {
            assert!(
                bitwise,
                "the host harness differs from the CPU backend in bits"
            );
        }
    }
}

#[each_backend]
fn tiles_from_slices_in_every_layout_f32(dev: &Device) {
    product_case::<f32>(dev);
}

#[each_backend]
fn tiles_from_slices_in_every_layout_f16(dev: &Device) {
    product_case::<f16>(dev);
}

#[each_backend]
fn tiles_from_slices_in_every_layout_bf16(dev: &Device) {
    product_case::<bf16>(dev);
}

fn staged_case<T: Elem + tile_staged::Instance>(dev: &Device) {
    for (m, n, k) in [(1, 1, 1), (17, 33, 65), (16, 32, 16), (40, 70, 48)] {
        let (a, b) = (values::<T>(m * k, 6), values::<T>(k * n, 7));
        let (da, db) = (dev.upload(&a).unwrap(), dev.upload(&b).unwrap());
        let mut dc = dev.upload(&vec![T::of(9.0); m * n]).unwrap();
        let grid = Grid::groups([n.div_ceil(32) as u32, m.div_ceil(16) as u32, 1]);
        let (mu, nu, ku) = (m as u32, n as u32, k as u32);
        tile_staged::launch::<T>(dev, grid, mu, nu, ku, &da, &db, &mut dc)
            .unwrap_or_else(|e| panic!("tile_staged on {}: {e}", dev.name()));
        let got = dc.to_vec().unwrap();
        for i in 0..m {
            for j in 0..n {
                let (mut want, mut mag) = (0.0f64, 0.0f64);
                for p in 0..k {
                    let t = a[i * k + p].wide() * b[p * n + j].wide();
                    want += t;
                    mag += t.abs();
                }
                // Then one rounding to `T`.
                let tol = tolerance(k, mag, 0.0) + T::U * want.abs() + T::FLOOR;
                let g = got[i * n + j].wide();
                assert!(
                    (g - want).abs() <= tol,
                    "{} {} {m}x{n}x{k}: c[{i},{j}] = {g}, want {want} (tolerance {tol})",
                    dev.name(),
                    std::any::type_name::<T>()
                );
            }
        }
    }
}

#[each_backend]
fn tiles_through_workgroup_memory_at_odd_shapes_f32(dev: &Device) {
    staged_case::<f32>(dev);
}

#[each_backend]
fn tiles_through_workgroup_memory_at_odd_shapes_f16(dev: &Device) {
    staged_case::<f16>(dev);
}

#[each_backend]
fn tiles_through_workgroup_memory_at_odd_shapes_bf16(dev: &Device) {
    staged_case::<bf16>(dev);
}

/// A tile that reaches past its slice is the CPU backend's out-of-bounds error, naming the
/// slice.
#[test]
fn a_tile_past_the_slice_is_an_error_on_the_cpu() {
    let dev = Device::cpu();
    let (a, b) = (vec![1.0f32; 16 * 16], vec![1.0f32; 16 * 15]);
    let (da, db) = (dev.upload(&a).unwrap(), dev.upload(&b).unwrap());
    let mut dc = dev.zeros::<f32>(16 * 16).unwrap();
    let e = tile_product::launch::<f32>(
        &dev,
        Grid::groups([1, 1, 1]),
        16,
        16,
        16,
        0,
        0,
        &da,
        &db,
        &mut dc,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("`b`"), "{e}");
}

/// `matrix_scale_rows` from a slice and from workgroup memory: each element is two `f32`
/// multiplications, so every backend gives the host's bits.
#[each_backend]
fn rows_of_an_accumulator_scale_exactly(dev: &Device) {
    scale_case(dev);
}

/// The race check sees the factors written before the subgroup barrier and read after it.
#[test]
fn scaled_rows_pass_the_race_check() {
    scale_case(&Device::cpu_checked());
}

fn scale_case(dev: &Device) {
    // Three workgroups (six tiles), values and factors of every sign and a range of exponents.
    let tiles = 6;
    let c: Vec<f32> = values::<f32>(tiles * 256, 11);
    let f: Vec<f32> = values::<f32>(tiles * 16, 12)
        .iter()
        .map(|x| x * 3.0)
        .collect();
    let df = dev.upload(&f).unwrap();
    let mut dc = dev.upload(&c).unwrap();
    tile_scaled::launch(dev, Grid::groups([3, 1, 1]), &df, &mut dc)
        .unwrap_or_else(|e| panic!("tile_scaled on {}: {e}", dev.name()));
    let got = dc.to_vec().unwrap();
    for (i, (&g, &c0)) in got.iter().zip(&c).enumerate() {
        let (t, r) = (i / 256, i % 256 / 16);
        let want = c0 * f[t * 16 + r] * ((r / 4 + 2) as f32 * 0.5);
        assert_eq!(
            g.to_bits(),
            want.to_bits(),
            "{}: element {i} is {g}, want {want}",
            dev.name()
        );
    }
}

/// Factors past their slice are the CPU backend's out-of-bounds error, naming the slice.
#[test]
fn factors_past_the_slice_are_an_error_on_the_cpu() {
    let dev = Device::cpu();
    let df = dev.upload(&[1.0f32; 31]).unwrap();
    let mut dc = dev.zeros::<f32>(512).unwrap();
    let e = tile_scaled::launch(&dev, Grid::groups([1, 1, 1]), &df, &mut dc)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`f`") && e.contains("31"), "{e}");
}
