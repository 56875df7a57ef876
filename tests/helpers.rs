//! `#[kernel_fn]` helpers on every backend present: scalar helpers, helpers calling helpers
//! in another module, slice, array and atomic parameters, const generic lengths (inferred and
//! written), `if` expressions as the returned value, a final `return`, and a helper with
//! barriers. Each kernel is compared with a scalar reference written without helpers;
//! float results within 1e-5 relative (the helpers add no rounding of their own), integer
//! results exactly.

mod common;

use common::each_backend;

use kernelforge::prelude::*;

mod math {
    use kernelforge::prelude::*;

    /// `x * x`, with a `mut` parameter and a final `return`.
    #[kernel_fn]
    pub fn square(mut x: f32) -> f32 {
        x *= x;
        return x;
    }

    /// A helper of helpers: `square(x) + square(y)`, through a sibling's path.
    #[kernel_fn]
    pub fn norm2(x: f32, y: f32) -> f32 {
        square(x) + super::math::square(y)
    }

    /// An `if` expression as the returned value.
    #[kernel_fn]
    pub fn clamp01(x: f32) -> f32 {
        if x < 0.0 {
            0.0
        } else if x > 1.0 {
            1.0
        } else {
            x
        }
    }
}

/// Slices in and out, and no value returned.
#[kernel_fn]
fn axpy_at(a: f32, x: &[f32], y: &mut [f32], i: u32) {
    if i < y.len() {
        y[i] = a * x[i] + y[i];
    }
}

/// A private array parameter with its length a const generic parameter.
#[kernel_fn]
fn dot<const N: u32>(a: &[f32; N], b: &[f32; N]) -> f32 {
    let mut acc = 0.0f32;
    for k in 0..N {
        acc += a[k] * b[k];
    }
    acc
}

/// An atomic slice parameter.
#[kernel_fn]
fn count_into(bins: &[AtomicU32], b: u32) {
    bins[b].fetch_add(1, Relaxed);
}

#[compute_kernel(workgroup_size = 64)]
pub fn uses_helpers(a: f32, x: &[f32], y: &mut [f32], z: &mut [f32], bins: &[AtomicU32]) {
    let i = global_id().x;
    axpy_at(a, x, y, i);
    if i < z.len() {
        let v = x[i];
        let mut p = [0.0f32; 4];
        let mut q = [0.0f32; 4];
        for k in 0..4u32 {
            p[k] = v + k as f32;
            q[k] = 1.0 / (k as f32 + 1.0);
        }
        z[i] = math::norm2(v, 2.0) + math::clamp01(v - 1.0) + dot::<4>(&p, &q) + dot(&p, &p);
        count_into(bins, i % 7);
    }
}

#[compute_kernel(workgroup_size = 128)]
pub fn group_sums(x: &[f32], out: &mut [f32]) {
    let tile = shared_array::<f32, 128>();
    let i = global_id().x;
    let lid = local_id().x;
    tile[lid] = if i < x.len() { x[i] } else { 0.0 };
    barrier();
    let total = common::tile_total(&mut tile);
    if lid == 0 {
        out[group_id().x] = total;
    }
}

fn close(got: f32, want: f32) -> bool {
    (got - want).abs() <= 1e-5 * want.abs().max(1.0)
}

#[each_backend]
fn helpers_match_a_scalar_reference(dev: &Device) {
    let n = 1000usize;
    let a = 0.5f32;
    let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 2.0).collect();
    let y0: Vec<f32> = (0..n).map(|i| i as f32 * 0.01).collect();
    let want_y: Vec<f32> = (0..n).map(|i| a * x[i] + y0[i]).collect();
    let want_z: Vec<f32> = x
        .iter()
        .map(|&v| {
            let p: Vec<f32> = (0..4).map(|k| v + k as f32).collect();
            let q: Vec<f32> = (0..4).map(|k| 1.0 / (k as f32 + 1.0)).collect();
            let pq: f32 = (0..4).map(|k| p[k] * q[k]).sum();
            let pp: f32 = (0..4).map(|k| p[k] * p[k]).sum();
            v * v + 4.0 + (v - 1.0).clamp(0.0, 1.0) + pq + pp
        })
        .collect();
    let want_bins: Vec<u32> = (0..7u32)
        .map(|b| (0..n as u32).filter(|i| i % 7 == b).count() as u32)
        .collect();
    let name = dev.name();
    let xb = dev.upload(&x).unwrap();
    let mut yb = dev.upload(&y0).unwrap();
    let mut zb = dev.zeros::<f32>(n).unwrap();
    let mut bins = dev.zeros::<u32>(7).unwrap();
    uses_helpers::launch(dev, Grid::linear(n), a, &xb, &mut yb, &mut zb, &mut bins)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let (y, z) = (yb.to_vec().unwrap(), zb.to_vec().unwrap());
    for i in 0..n {
        assert!(
            close(y[i], want_y[i]),
            "{name}: y[{i}] = {}, want {}",
            y[i],
            want_y[i]
        );
        assert!(
            close(z[i], want_z[i]),
            "{name}: z[{i}] = {}, want {}",
            z[i],
            want_z[i]
        );
    }
    assert_eq!(bins.to_vec().unwrap(), want_bins, "{name}: bins");
}

#[each_backend]
fn a_helper_with_barriers_reduces_each_workgroup(dev: &Device) {
    for n in [1usize, 127, 128, 1000, 4096] {
        let x: Vec<f32> = (0..n).map(|i| (i % 13) as f32 - 6.0).collect();
        let groups = n.div_ceil(128);
        let want: Vec<f32> = x.chunks(128).map(|c| c.iter().sum()).collect();
        let name = dev.name();
        let xb = dev.upload(&x).unwrap();
        let mut out = dev.zeros::<f32>(groups).unwrap();
        group_sums::launch(dev, Grid::groups([groups as u32, 1, 1]), &xb, &mut out)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Small integers: the sums are exact in f32 whatever the order.
        assert_eq!(out.to_vec().unwrap(), want, "{name}: n = {n}");
    }
}

/// The CUDA C of a kernel with helpers contains no trace of a call: helpers are inlined.
#[test]
fn helpers_are_inlined() {
    for src in [uses_helpers::CUDA_SOURCE, group_sums::CUDA_SOURCE] {
        assert!(
            !src.contains("square(") && !src.contains("tile_total("),
            "{src}"
        );
    }
    assert!(uses_helpers::WGSL_SOURCE.contains("fn uses_helpers"));
}
