//! Atomics on `u32` and `i32` slices and workgroup arrays, on every backend present, and the
//! built-in histogram against a scalar reference. Atomic results are exact: every operation
//! tested is commutative, so the final values do not depend on the order invocations run in.

mod common;

use common::each_backend;

use kernelforge::prelude::*;
use kernelforge_reference::inputs;

/// Every atomic operation once per invocation `i < n`, on global and workgroup memory.
#[compute_kernel(workgroup_size = 64)]
pub fn atomic_ops(n: u32, u: &[AtomicU32], s: &[AtomicI32], old: &mut [u32]) {
    let i = global_id().x;
    let lid = local_id().x;
    let count = shared_array::<AtomicU32, 2>();
    let low = shared_array::<AtomicI32, 1>();
    if lid == 0 {
        count[0].store(0, Relaxed);
        count[1].store(0);
        low[0].store(i32::MAX);
    }
    barrier();
    // `&&` keeps short-circuit: invocations past `n` add nothing to u[11].
    if i < n && u[11].fetch_add(1, Relaxed) < u32::MAX {
        let b = 1u32 << (i % 32);
        u[0].fetch_add(i, Relaxed);
        u[1].fetch_sub(1, Relaxed);
        u[2].fetch_max(i, Relaxed);
        u[3].fetch_min(i + 7, Relaxed);
        u[4].fetch_or(b, Relaxed);
        u[5].fetch_and(!b, Relaxed);
        u[6].fetch_xor(i * 2654435761, Relaxed);
        let prev = u[7].swap(i, Relaxed);
        if prev >= n && prev != 77777 {
            u[12].fetch_add(1);
        }
        // A compare-exchange loop adding 2.
        loop {
            let cur = u[8].load(Relaxed);
            if u[8].compare_exchange(cur, cur + 2, Relaxed, Relaxed) == cur {
                break;
            }
        }
        old[i] = u[9].fetch_add(1, Relaxed);
        let si = i as i32 - 500;
        s[0].fetch_add(-si, Relaxed);
        s[1].fetch_min(si, Relaxed);
        s[2].fetch_max(si, Relaxed);
        s[3].fetch_sub(si, Relaxed);
        count[0].fetch_add(1, Relaxed);
        loop {
            let c = count[1].load(Relaxed);
            if count[1].compare_exchange(c, c + 3) == c {
                break;
            }
        }
        low[0].fetch_min(si);
        let _ = count[1].fetch_xor(0);
    }
    barrier();
    if lid == 0 {
        u[10].fetch_add(count[0].load(Relaxed) * 5 + count[1].load(Relaxed), Relaxed);
        s[4].fetch_min(low[0].load());
    }
}

fn expected(n: u32) -> (Vec<u32>, Vec<i32>) {
    let mut u = vec![0u32; 13];
    u[3] = u32::MAX;
    u[5] = u32::MAX;
    u[7] = 77777;
    let mut s = vec![0i32, i32::MAX, i32::MIN, 0, i32::MAX];
    for i in 0..n {
        let b = 1u32 << (i % 32);
        u[0] = u[0].wrapping_add(i);
        u[1] = u[1].wrapping_sub(1);
        u[2] = u[2].max(i);
        u[3] = u[3].min(i + 7);
        u[4] |= b;
        u[5] &= !b;
        u[6] ^= i.wrapping_mul(2654435761);
        u[8] += 2;
        u[9] += 1;
        u[10] += 8;
        u[11] += 1;
        let si = i as i32 - 500;
        s[0] = s[0].wrapping_add(-si);
        s[1] = s[1].min(si);
        s[2] = s[2].max(si);
        s[3] = s[3].wrapping_sub(si);
        s[4] = s[4].min(si);
    }
    (u, s)
}

#[each_backend]
fn every_atomic_operation(dev: &Device) {
    for n in [1u32, 5, 64, 1000, 100_000] {
        let (want_u, want_s) = expected(n);
        let (init_u, init_s) = expected(0);
        let mut u = dev.upload(&init_u).unwrap();
        let mut s = dev.upload(&init_s).unwrap();
        let mut old = dev.zeros::<u32>(n as usize).unwrap();
        let grid = Grid::linear(n as usize);
        atomic_ops::launch(dev, grid, n, &mut u, &mut s, &mut old).unwrap();
        let mut got_u = u.to_vec().unwrap();
        let got_s = s.to_vec().unwrap();
        let on = dev.name();
        assert!(got_u[7] < n, "swap on {on} at n={n}: {}", got_u[7]);
        got_u[7] = want_u[7];
        assert_eq!(got_u, want_u, "u32 atomics on {on} at n={n}");
        assert_eq!(got_s, want_s, "i32 atomics on {on} at n={n}");
        let mut tickets = old.to_vec().unwrap();
        tickets.sort_unstable();
        assert!(
            tickets.iter().copied().eq(0..n),
            "fetch_add tickets on {on} at n={n} are not 0..n"
        );
    }
}

/// An out-of-bounds atomic is an `Err` on the CPU backend.
#[compute_kernel(workgroup_size = 4)]
pub fn atomic_oob(k: u32, h: &[AtomicU32]) {
    h[local_id().x + k].fetch_add(1);
}

#[test]
fn atomic_out_of_bounds_is_an_error() {
    let dev = Device::cpu();
    let mut h = dev.zeros::<u32>(4).unwrap();
    atomic_oob::launch(&dev, Grid::groups([1, 1, 1]), 0, &mut h).unwrap();
    assert_eq!(h.to_vec().unwrap(), vec![1; 4]);
    let msg = atomic_oob::launch(&dev, Grid::groups([1, 1, 1]), 1, &mut h)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("`h`") && msg.contains("index 4"), "{msg}");
}

/// `torch.histc`'s rule in f64: `hi` in the last bin, outside values and NaN dropped.
fn histc(x: &[f32], bins: usize, lo: f32, hi: f32) -> Vec<u32> {
    let mut out = vec![0u32; bins];
    for &v in x {
        if v >= lo && v <= hi {
            let b = ((v as f64 - lo as f64) / (hi as f64 - lo as f64) * bins as f64) as usize;
            out[b.min(bins - 1)] += 1;
        }
    }
    out
}

/// Values placed away from bin edges (a quarter-bin from them), so that no backend's rounding
/// of `(v - lo) * scale` moves one across, plus the edge cases.
fn histogram_input(n: usize, bins: usize, lo: f32, hi: f32) -> Vec<f32> {
    let width = (hi - lo) / bins as f32;
    let mut x: Vec<f32> = inputs(n, 21, 0.0, 1.0)
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            let b = (i * 7919 + (r * 1000.0) as usize) % bins;
            lo + (b as f32 + 0.25 + 0.5 * r) * width
        })
        .collect();
    for (slot, v) in x
        .iter_mut()
        .zip([lo, hi, hi + 1.0, lo - 1.0, f32::NAN, f32::INFINITY])
    {
        *slot = v;
    }
    x
}

#[each_backend]
fn histogram_matches_reference(dev: &Device) {
    let shapes = [(1usize, 1usize), (3, 1000), (1000, 3), (4096, 4096)];
    for (r, c) in shapes {
        for (bins, lo, hi) in [(256, -4.0f32, 4.0f32), (100, 0.0, 1.0), (5000, -1.0, 3.0)] {
            let x = histogram_input(r * c, bins, lo, hi);
            let want = histc(&x, bins, lo, hi);
            let xb = dev.upload(&x).unwrap();
            let got = kernelforge::histogram::histc(dev, &xb, bins, lo, hi).unwrap();
            assert_eq!(
                got,
                want,
                "histogram {r}x{c} of {bins} bins on {}",
                dev.name()
            );
        }
    }
    // No bins: nothing to count, no error.
    let xb = dev.upload(&[1.0f32, 2.0]).unwrap();
    assert!(kernelforge::histogram::histc(dev, &xb, 0, 0.0, 4.0)
        .unwrap()
        .is_empty());
}
