//! `erf`, `exp_m1`, `ln_1p`, `is_nan` and `is_finite` on every backend present, against f64
//! references (`libm::erf`, `f64::exp_m1`, `f64::ln_1p`) of the same f32 arguments, and the
//! classifications exactly against Rust's. Tolerances, relative to the f64 result:
//! - CPU: `erf` is the runtime's vectorisable formula, measured at 3.1e-7 (bound 4e-7);
//!   `exp_m1`/`ln_1p` are std's, within 2 ulp (bound 2.4e-7).
//! - CUDA: libdevice's `erff` (2 ulp), `expm1f` (1 ulp), `log1pf` (1 ulp): bound 4e-7.
//! - wgpu: the helpers of `back/wgsl/special.rs` on Vulkan's minimum precision. `erf` and
//!   `exp_m1` call `exp`, promised to `3 + 2|x|` ulp, which at `|x| <= 10` with the
//!   cancellation of `exp(x) - 1` above 0.35 (at most 3.4x) is under 1e-5; `ln_1p` calls
//!   `log` only away from 0, promised to 2^-21 absolute in `[0.5, 2]`, 1.3e-6 relative to
//!   `|ln(1 + x)| >= 0.35` there: bound 4e-6.
//!
//! The test prints the largest error seen per function and backend.

mod common;

use common::{each_backend, lacks_shader_feature};
use kernelforge::prelude::*;

/// `out[3i..3i+3]` = `erf(x)`, `exp_m1(x)`, `ln_1p(y)`.
#[compute_kernel(workgroup_size = 64)]
pub fn special_fns(x: &[f32], y: &[f32], out: &mut [f32]) {
    let i = global_id().x;
    if i < x.len() {
        out[i * 3] = erf(x[i]);
        out[i * 3 + 1] = x[i].exp_m1();
        out[i * 3 + 2] = y[i].ln_1p();
    }
}

/// The arguments: a dense sweep of `[-10, 10]` and magnitudes from 1e-30 to 1e-2 of both
/// signs, where the functions are near `x` and a naive formula loses every digit.
fn arguments() -> Vec<f32> {
    let mut x: Vec<f32> = (0..=20000).map(|k| -10.0 + k as f32 * 1e-3).collect();
    for e in 0..=280 {
        let m = 10f32.powf(-30.0 + e as f32 / 10.0);
        x.extend([m, -m]);
    }
    x
}

fn bounds(dev: &Device) -> [f64; 3] {
    match dev.backend() {
        Backend::Cpu => [4e-7, 2.4e-7, 2.4e-7],
        Backend::Cuda => [4e-7, 4e-7, 4e-7],
        _ => [1e-5, 1e-5, 4e-6],
    }
}

#[each_backend]
fn erf_exp_m1_and_ln_1p_match_f64(dev: &Device) {
    let x = arguments();
    // ln_1p's domain is (-1, inf): fold the sweep into (-0.999, 10].
    let y: Vec<f32> = x
        .iter()
        .map(|&v| {
            if v < -0.999 {
                -0.999 * (v / 10.0).abs()
            } else {
                v
            }
        })
        .collect();
    let (xb, yb) = (dev.upload(&x).unwrap(), dev.upload(&y).unwrap());
    let mut out = dev.zeros::<f32>(x.len() * 3).unwrap();
    special_fns::launch(dev, Grid::linear(x.len()), &xb, &yb, &mut out).unwrap();
    let got = out.to_vec().unwrap();
    type Reference = (&'static str, fn(f64) -> f64);
    let refs: [Reference; 3] = [
        ("erf", libm::erf),
        ("exp_m1", f64::exp_m1),
        ("ln_1p", f64::ln_1p),
    ];
    let bounds = bounds(dev);
    for (k, (name, f)) in refs.into_iter().enumerate() {
        let mut worst = (0.0f64, 0.0f32);
        for i in 0..x.len() {
            let arg = if k == 2 { y[i] } else { x[i] };
            let want = f(arg as f64);
            // Relative, with a floor at the smallest normal f32.
            let err = (got[i * 3 + k] as f64 - want).abs() / want.abs().max(1.2e-38);
            if err > worst.0 {
                worst = (err, arg);
            }
        }
        eprintln!(
            "{} {name}: max relative error {:.2e} at {}",
            dev.name(),
            worst.0,
            worst.1
        );
        assert!(
            worst.0 <= bounds[k],
            "{name} on {}: {:e} at {} (bound {:e})",
            dev.name(),
            worst.0,
            worst.1,
            bounds[k]
        );
    }
}

/// `c[2i] = is_nan`, `c[2i+1] = is_finite` of `x[i]`, as 0 or 1.
#[compute_kernel(workgroup_size = 64)]
pub fn classify(x: &[f32], c: &mut [u32]) {
    let i = global_id().x;
    if i < x.len() {
        c[i * 2] = x[i].is_nan() as u32;
        c[i * 2 + 1] = if x[i].is_finite() { 1 } else { 0 };
    }
}

/// The same for `f16` and `f64`.
#[compute_kernel(workgroup_size = 64)]
pub fn classify_wide(h: &[f16], d: &[f64], c: &mut [u32]) {
    let i = global_id().x;
    if i < h.len() {
        c[i * 4] = h[i].is_nan() as u32;
        c[i * 4 + 1] = h[i].is_finite() as u32;
        c[i * 4 + 2] = d[i].is_nan() as u32;
        c[i * 4 + 3] = d[i].is_finite() as u32;
    }
}

#[each_backend]
fn is_nan_and_is_finite_follow_rust(dev: &Device) {
    let x = [
        0.0f32,
        -0.0,
        1.0,
        -2.5,
        f32::MAX,
        f32::MIN,
        f32::MIN_POSITIVE,
        1e-45,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -f32::NAN,
        f32::from_bits(0x7f80_0001),
        f32::from_bits(0xffc0_1234),
    ];
    let xb = dev.upload(&x).unwrap();
    let mut c = dev.zeros::<u32>(x.len() * 2).unwrap();
    classify::launch(dev, Grid::linear(x.len()), &xb, &mut c).unwrap();
    let want: Vec<u32> = x
        .iter()
        .flat_map(|v| [v.is_nan() as u32, v.is_finite() as u32])
        .collect();
    assert_eq!(c.to_vec().unwrap(), want, "f32 on {}", dev.name());

    let h: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
    let d: Vec<f64> = (0..x.len())
        .map(|i| match i {
            // Finite in f64, infinite once narrowed to f32.
            4 => 1e300,
            5 => -1e300,
            7 => 5e-324,
            _ => x[i] as f64,
        })
        .collect();
    let (hb, db) = (dev.upload(&h).unwrap(), dev.upload(&d).unwrap());
    let mut c = dev.zeros::<u32>(x.len() * 4).unwrap();
    let r = classify_wide::launch(dev, Grid::linear(x.len()), &hb, &db, &mut c);
    if lacks_shader_feature(dev, r, &["SHADER_F16", "SHADER_F64"]) {
        return;
    }
    let want: Vec<u32> = h
        .iter()
        .zip(&d)
        .flat_map(|(a, b)| {
            [
                a.is_nan() as u32,
                a.is_finite() as u32,
                b.is_nan() as u32,
                b.is_finite() as u32,
            ]
        })
        .collect();
    assert_eq!(c.to_vec().unwrap(), want, "f16 and f64 on {}", dev.name());
}
