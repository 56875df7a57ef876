//! `f32` atomics (`&[AtomicF32]`, `shared_array::<AtomicF32, N>()`) on every backend present,
//! under contention. The weights are small integers, so every partial sum is an integer below
//! 2^24 and exact in `f32`: the results do not depend on the order the additions happened in,
//! and are compared exactly with an f64 reference.

mod common;

use common::each_backend;

use kernelforge::prelude::*;

/// Every `f32` atomic operation by each invocation `i < n`, on global and workgroup memory.
/// `w` holds small integers.
#[compute_kernel(workgroup_size = 64)]
pub fn float_atomic_ops(n: u32, w: &[f32], f: &[AtomicF32], old: &mut [f32]) {
    let i = global_id().x;
    let lid = local_id().x;
    let acc = shared_array::<AtomicF32, 4>();
    if lid == 0 {
        acc[0].store(0.0, Relaxed);
        acc[1].store(f32::INFINITY);
        acc[2].store(f32::NEG_INFINITY);
        acc[3].store(0.0);
    }
    barrier();
    if i < n {
        let x = w[i];
        f[0].fetch_add(x, Relaxed);
        f[1].fetch_sub(x, Relaxed);
        f[2].fetch_min(x, Relaxed);
        f[3].fetch_max(x, Relaxed);
        let prev = f[4].swap(x, Relaxed);
        if prev != -1.0 && (prev < 0.0 || prev > 12.0) {
            f[12].fetch_add(1.0);
        }
        // A compare-exchange loop adding 0.5.
        loop {
            let c = f[5].load(Relaxed);
            if f[5].compare_exchange(c, c + 0.5, Relaxed, Relaxed) == c {
                break;
            }
        }
        // Bits are compared: `0.0` never matches the `-0.0` stored there.
        let z = f[6].compare_exchange(0.0, 1.0, Relaxed, Relaxed);
        if z != 0.0 || 1.0 / z > 0.0 {
            f[13].fetch_add(1.0);
        }
        old[i] = f[7].fetch_add(1.0, Relaxed);
        acc[0].fetch_add(x);
        acc[1].fetch_min(x);
        acc[2].fetch_max(x);
        loop {
            let c = acc[3].load();
            if acc[3].compare_exchange(c, c + 2.0) == c {
                break;
            }
        }
        let _ = acc[0].fetch_sub(0.0);
    }
    barrier();
    if lid == 0 {
        f[8].fetch_add(acc[0].load());
        f[9].fetch_min(acc[1].load());
        f[10].fetch_max(acc[2].load());
        f[11].fetch_add(acc[3].load());
    }
}

/// The weights: integers 0..=12.
fn weights(n: u32) -> Vec<f32> {
    (0..n)
        .map(|i| (i.wrapping_mul(2654435761) % 13) as f32)
        .collect()
}

fn initial() -> Vec<f32> {
    let mut f = vec![0.0f32; 14];
    f[2] = f32::INFINITY;
    f[3] = f32::NEG_INFINITY;
    f[4] = -1.0;
    f[6] = -0.0;
    f[9] = f32::INFINITY;
    f[10] = f32::NEG_INFINITY;
    f
}

/// The final values, summed in f64 (exact: every sum is a small integer or half-integer).
fn expected(w: &[f32]) -> Vec<f32> {
    let mut f: Vec<f64> = initial().iter().map(|&x| x as f64).collect();
    let n = w.len() as f64;
    let sum: f64 = w.iter().map(|&x| x as f64).sum();
    let (min, max) = w
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x as f64), b.max(x as f64))
        });
    f[0] += sum;
    f[1] -= sum;
    f[2] = f[2].min(min);
    f[3] = f[3].max(max);
    f[5] += 0.5 * n;
    f[7] += n;
    f[8] += sum;
    f[9] = f[9].min(min);
    f[10] = f[10].max(max);
    f[11] += 2.0 * n;
    f.iter().map(|&x| x as f32).collect()
}

#[each_backend]
fn every_float_atomic_operation(dev: &Device) {
    for n in [1u32, 5, 64, 1000, 100_000] {
        let w = weights(n);
        let want = expected(&w);
        let wb = dev.upload(&w).unwrap();
        let mut f = dev.upload(&initial()).unwrap();
        let mut old = dev.zeros::<f32>(n as usize).unwrap();
        float_atomic_ops::launch(dev, Grid::linear(n as usize), n, &wb, &mut f, &mut old).unwrap();
        let mut got = f.to_vec().unwrap();
        let on = dev.name();
        assert!(
            w.contains(&got[4]),
            "swap on {on} at n={n} left {}, not a weight",
            got[4]
        );
        got[4] = want[4];
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&got),
            bits(&want),
            "f32 atomics on {on} at n={n}: {got:?}"
        );
        let mut tickets = old.to_vec().unwrap();
        tickets.sort_unstable_by(f32::total_cmp);
        assert!(
            tickets.iter().copied().eq((0..n).map(|t| t as f32)),
            "fetch_add tickets on {on} at n={n} are not 0..n"
        );
    }
}

/// Gradient accumulation as embedding backward does it: `rows` rows of `dim` weights, each
/// gradient row added into the row its token names. Many tokens share a row, so the adds
/// contend; the gradients are small integers, so the sums are exact.
#[compute_kernel(workgroup_size = 64)]
pub fn scatter_add(n: u32, dim: u32, tokens: &[u32], grad: &[f32], dweight: &[AtomicF32]) {
    let i = global_id().x;
    if i < n * dim {
        let t = i / dim;
        let d = i % dim;
        dweight[tokens[t] * dim + d].fetch_add(grad[i], Relaxed);
    }
}

#[each_backend]
fn scatter_add_matches_f64(dev: &Device) {
    let (n, dim, rows) = (5000u32, 48u32, 7u32);
    let tokens: Vec<u32> = (0..n).map(|t| (t * t + 3) % rows).collect();
    let grad: Vec<f32> = (0..n * dim)
        .map(|i| (i.wrapping_mul(40503) % 17) as f32 - 8.0)
        .collect();
    let mut want = vec![0f64; (rows * dim) as usize];
    for (i, &g) in grad.iter().enumerate() {
        let (t, d) = (i / dim as usize, i % dim as usize);
        want[tokens[t] as usize * dim as usize + d] += g as f64;
    }
    let tb = dev.upload(&tokens).unwrap();
    let gb = dev.upload(&grad).unwrap();
    let mut dw = dev.zeros::<f32>((rows * dim) as usize).unwrap();
    let grid = Grid::linear((n * dim) as usize);
    scatter_add::launch(dev, grid, n, dim, &tb, &gb, &mut dw).unwrap();
    let got = dw.to_vec().unwrap();
    let want: Vec<f32> = want.iter().map(|&x| x as f32).collect();
    assert_eq!(got, want, "scatter-add on {}", dev.name());
}

#[test]
fn host_atomic_f32_is_the_kernel_element_type() {
    // The type kernels name is a working host atomic too.
    let a = kernelforge::AtomicF32::new(2.0);
    assert_eq!(a.fetch_add(0.5, Relaxed), 2.0);
    assert_eq!(a.load(Relaxed), 2.5);
}

/// The built-in `weighted_histogram` against an f64 reference, with weights of 1 to 4 (sums
/// exact in any order), at shapes that take the workgroup-memory and the global path.
#[each_backend]
fn weighted_histogram_matches_f64(dev: &Device) {
    use kernelforge::kernels::weighted_histogram;
    for (n, bins) in [(1usize, 1usize), (1000, 7), (100_000, 256), (50_000, 3000)] {
        let x: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 1000) as f32 / 100.0 - 1.0)
            .collect();
        let w: Vec<f32> = (0..n).map(|i| (i % 4 + 1) as f32).collect();
        let (lo, hi) = (0.0f32, 8.0f32);
        let scale = bins as f32 / (hi - lo);
        let mut want = vec![0f64; bins];
        for (&v, &wi) in x.iter().zip(&w) {
            if v >= lo && v <= hi {
                want[(((v - lo) * scale) as usize).min(bins - 1)] += wi as f64;
            }
        }
        let (xb, wb) = (dev.upload(&x).unwrap(), dev.upload(&w).unwrap());
        let mut out = dev.zeros::<f32>(bins).unwrap();
        let grid = kernelforge::histogram::grid(n);
        weighted_histogram::launch(dev, grid, lo, hi, &xb, &wb, &mut out).unwrap();
        let want: Vec<f32> = want.iter().map(|&v| v as f32).collect();
        assert_eq!(
            out.to_vec().unwrap(),
            want,
            "{n} values, {bins} bins on {}",
            dev.name()
        );
    }
}
