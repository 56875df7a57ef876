//! `sinh cosh tan asin acos atan atan2 log10 rsqrt recip` on f32, on every backend present,
//! against Rust's f64 functions of the same f32 arguments. Tolerances, relative to the f64
//! result with an absolute floor at small results:
//! - CPU (Rust's `std`, libm) and CUDA (libdevice: at most 4 ulp for these, per the CUDA C
//!   Programming Guide's table): 4 ulp of f32, 4.8e-7, floor 1e-37;
//! - wgpu: Vulkan's minimum precision, 4096 ulp (4.9e-4) for `asin acos atan atan2` and an
//!   absolute 2^-11 (4.9e-4) for `tan`, `sinh`, `cosh` (derived from `sin/cos` and `exp`) and
//!   `log10` (`log2` scaled: absolute 2^-21 near 1); `inverseSqrt` 2 ulp and `1 / x` 2.5 ulp
//!   are within that too. The test prints the largest error seen per function.

mod common;

use common::each_backend;
use kernelforge::prelude::*;

const FNS: usize = 10;

/// `out[i * 10 + k]` = function `k` of `p[i]` (scaled into its domain) or of `(p[i], q[i])`.
#[compute_kernel(workgroup_size = 64)]
pub fn math_fns(p: &[f32], q: &[f32], out: &mut [f32]) {
    let i = global_id().x;
    if i < p.len() {
        let x = p[i];
        let y = q[i];
        let o = i * 10;
        out[o] = x.sinh();
        out[o + 1] = x.cosh();
        out[o + 2] = (x * 0.5).tan();
        out[o + 3] = (x * 0.5).asin();
        out[o + 4] = acos(x * 0.5);
        out[o + 5] = (x * 64.0).atan();
        out[o + 6] = x.atan2(y);
        out[o + 7] = y.abs().log10();
        out[o + 8] = y.abs().rsqrt();
        out[o + 9] = y.recip();
    }
}

#[each_backend]
fn math_functions_match_f64(dev: &Device) {
    let n = 4001usize;
    // p in [-1.9, 1.9]; q in [-2, 2] without 0.
    let p: Vec<f32> = (0..n)
        .map(|i| -1.9 + 3.8 * i as f32 / (n - 1) as f32)
        .collect();
    let q: Vec<f32> = (0..n)
        .map(|i| {
            let v = -2.0 + 4.0 * ((i * 7919) % n) as f32 / (n - 1) as f32;
            if v == 0.0 {
                0.37
            } else {
                v
            }
        })
        .collect();
    let (pb, qb) = (dev.upload(&p).unwrap(), dev.upload(&q).unwrap());
    let mut out = dev.zeros::<f32>(n * FNS).unwrap();
    math_fns::launch(dev, Grid::linear(n), &pb, &qb, &mut out).unwrap();
    let got = out.to_vec().unwrap();
    type Ref = fn(f64, f64) -> f64;
    let refs: [(&str, Ref); FNS] = [
        ("sinh", |x, _| x.sinh()),
        ("cosh", |x, _| x.cosh()),
        ("tan", |x, _| ((x as f32 * 0.5) as f64).tan()),
        ("asin", |x, _| ((x as f32 * 0.5) as f64).asin()),
        ("acos", |x, _| ((x as f32 * 0.5) as f64).acos()),
        ("atan", |x, _| ((x as f32 * 64.0) as f64).atan()),
        ("atan2", |x, y| x.atan2(y)),
        ("log10", |_, y| y.abs().log10()),
        ("rsqrt", |_, y| 1.0 / y.abs().sqrt()),
        ("recip", |_, y| 1.0 / y),
    ];
    let wgpu = dev.backend() == Backend::Wgpu;
    for (k, (name, f)) in refs.iter().enumerate() {
        let (rel, floor) = match (wgpu, *name) {
            (false, _) => (4.0 * 2f64.powi(-23), 1e-37),
            (true, "tan" | "sinh" | "cosh" | "log10") => (4096.0 * 2f64.powi(-23), 2f64.powi(-11)),
            (true, _) => (4096.0 * 2f64.powi(-23), 1e-37),
        };
        let mut worst = 0f64;
        for i in 0..n {
            let want = f(p[i] as f64, q[i] as f64);
            let g = got[i * FNS + k] as f64;
            let err = (g - want).abs();
            worst = worst.max(err / want.abs().max(1e-30));
            assert!(
                err <= rel * want.abs() + floor,
                "{name}({}, {}) on {}: got {g}, want {want}",
                p[i],
                q[i],
                dev.name()
            );
        }
        eprintln!("{}: {name} max relative error {worst:.2e}", dev.name());
    }
}

/// `out[i] = a[i].mul_add(b[i], c[i])`.
#[compute_kernel(workgroup_size = 64)]
pub fn mul_add_f32(a: &[f32], b: &[f32], c: &[f32], out: &mut [f32]) {
    let i = global_id().x;
    if i < out.len() {
        out[i] = a[i].mul_add(b[i], c[i]);
    }
}

/// `mul_add` rounds once on the CPU and CUDA (bit for bit with Rust's `f32::mul_add`); WGSL's
/// `fma` need not be fused, so on wgpu the result is within half an ulp of `a * b` plus half an
/// ulp of the result from the exact value (lavapipe rounds `a * b` first: the example
/// `mul_add(1 + 2^-12, 1 + 2^-12, -(1 + 2^-11))` is 2^-24 fused and 0 there).
#[each_backend]
fn mul_add_rounds_once_where_the_backend_fuses(dev: &Device) {
    let e = 1.0 + 2f32.powi(-12);
    let mut a = vec![e];
    let mut b = vec![e];
    let mut c = vec![-(1.0 + 2f32.powi(-11))];
    let mut r = 0x2545_f491u32;
    for _ in 0..999 {
        let mut next = || {
            r ^= r << 13;
            r ^= r >> 17;
            r ^= r << 5;
            (r >> 8) as f32 / (1 << 24) as f32 * 4.0 - 2.0
        };
        a.push(next());
        b.push(next());
        c.push(next());
    }
    let n = a.len();
    let (ab, bb, cb) = (
        dev.upload(&a).unwrap(),
        dev.upload(&b).unwrap(),
        dev.upload(&c).unwrap(),
    );
    let mut out = dev.zeros::<f32>(n).unwrap();
    mul_add_f32::launch(dev, Grid::linear(n), &ab, &bb, &cb, &mut out).unwrap();
    let got = out.to_vec().unwrap();
    let ulp = |v: f32| f32::from_bits(v.abs().to_bits() + 1) - v.abs();
    for i in 0..n {
        let fused = a[i].mul_add(b[i], c[i]);
        if dev.backend() != Backend::Wgpu {
            assert_eq!(
                got[i].to_bits(),
                fused.to_bits(),
                "element {i} on {}",
                dev.name()
            );
            continue;
        }
        // a * b is exact in f64, and so is its sum with c to well within these bounds.
        let exact = a[i] as f64 * b[i] as f64 + c[i] as f64;
        let bound = 0.5 * ulp(a[i] * b[i]) as f64 + 0.5 * ulp(got[i]) as f64;
        assert!(
            (got[i] as f64 - exact).abs() <= bound,
            "element {i} on {}: got {}, exact {exact}",
            dev.name(),
            got[i]
        );
    }
    eprintln!(
        "{}: mul_add(1+2^-12, 1+2^-12, -(1+2^-11)) = {:e}",
        dev.name(),
        got[0]
    );
}

/// `s[i] = x[i].signum()`, `c[i] = x[i].copysign(y[i])`, `h[i] = x[i].hypot(y[i])`.
#[compute_kernel(workgroup_size = 64)]
pub fn sign_fns(x: &[f32], y: &[f32], s: &mut [f32], c: &mut [f32], h: &mut [f32]) {
    let i = global_id().x;
    if i < x.len() {
        s[i] = x[i].signum();
        c[i] = x[i].copysign(y[i]);
        h[i] = x[i].hypot(y[i]);
    }
}

/// `signum` and `copysign` bit for bit with Rust (zeros by their sign bit, infinities; a NaN
/// stays NaN, its bits compared on the CPU only); `hypot` within 2 ulp on the CPU and CUDA
/// (libm, libdevice) and 8 ulp on wgpu (a quotient, a square root and two products, each
/// within WGSL's 2.5 ulp or better), without overflow at 1e30.
#[each_backend]
fn signum_copysign_and_hypot_follow_rust(dev: &Device) {
    let special = [
        0.0f32,
        -0.0,
        1.5,
        -1.5,
        f32::INFINITY,
        f32::NEG_INFINITY,
        1e30,
        -3e-39,
    ];
    let mut x = Vec::new();
    let mut y = Vec::new();
    for &a in &special {
        for &b in &special {
            x.push(a);
            y.push(b);
        }
    }
    x.push(f32::NAN);
    y.push(2.0);
    let n = x.len();
    let (xb, yb) = (dev.upload(&x).unwrap(), dev.upload(&y).unwrap());
    let (mut s, mut c, mut h) = (
        dev.zeros::<f32>(n).unwrap(),
        dev.zeros::<f32>(n).unwrap(),
        dev.zeros::<f32>(n).unwrap(),
    );
    sign_fns::launch(dev, Grid::linear(n), &xb, &yb, &mut s, &mut c, &mut h).unwrap();
    let (s, c, h) = (
        s.to_vec().unwrap(),
        c.to_vec().unwrap(),
        h.to_vec().unwrap(),
    );
    let same = |g: f32, w: f32| {
        if w.is_nan() {
            g.is_nan() && (dev.backend() != Backend::Cpu || g.to_bits() == w.to_bits())
        } else {
            g.to_bits() == w.to_bits()
        }
    };
    let ulps = if dev.backend() == Backend::Wgpu {
        8.0
    } else {
        2.0
    };
    for i in 0..n {
        let ctx = format!("x {:e}, y {:e} on {}", x[i], y[i], dev.name());
        assert!(same(s[i], x[i].signum()), "signum: got {}, {ctx}", s[i]);
        assert!(
            same(c[i], x[i].copysign(y[i])),
            "copysign: got {}, {ctx}",
            c[i]
        );
        if x[i].is_nan() {
            continue; // NaN arguments: unspecified on wgpu (README)
        }
        let want = (x[i] as f64).hypot(y[i] as f64);
        let tol = ulps * 2f64.powi(-23) * want;
        assert!(
            (h[i] as f64 - want).abs() <= tol || h[i] as f64 == want,
            "hypot: got {}, want {want}, {ctx}",
            h[i]
        );
    }
}

/// The same three on `f16` and `f64` (WGSL computes the `f16` ones through `f32` and reads an
/// `f64`'s sign through `f32`).
#[compute_kernel(workgroup_size = 64)]
pub fn sign_fns_wide(x: &[f16], y: &[f16], d: &[f64], e: &[f64], h: &mut [f16], g: &mut [f64]) {
    let i = global_id().x;
    if i < x.len() {
        h[i * 3] = x[i].signum();
        h[i * 3 + 1] = x[i].copysign(y[i]);
        h[i * 3 + 2] = x[i].hypot(y[i]);
        g[i * 3] = d[i].signum();
        g[i * 3 + 1] = d[i].copysign(e[i]);
        g[i * 3 + 2] = d[i].hypot(e[i]);
    }
}

#[each_backend]
fn signum_copysign_and_hypot_on_f16_and_f64(dev: &Device) {
    use kernelforge::f16;
    let vals = [0.0f64, -0.0, 1.5, -2.25, 3e4, -1e-300];
    let (mut x, mut y, mut d, mut e) = (vec![], vec![], vec![], vec![]);
    for &a in &vals {
        for &b in &vals {
            x.push(f16::from_f64(a));
            y.push(f16::from_f64(b));
            d.push(a);
            e.push(b);
        }
    }
    let n = x.len();
    let mut h = dev.zeros::<f16>(3 * n).unwrap();
    let mut g = dev.zeros::<f64>(3 * n).unwrap();
    let r = sign_fns_wide::launch(
        dev,
        Grid::linear(n),
        &dev.upload(&x).unwrap(),
        &dev.upload(&y).unwrap(),
        &dev.upload(&d).unwrap(),
        &dev.upload(&e).unwrap(),
        &mut h,
        &mut g,
    );
    if common::lacks_shader_feature(dev, r, &["SHADER_F16", "SHADER_F64"]) {
        return;
    }
    let (h, g) = (h.to_vec().unwrap(), g.to_vec().unwrap());
    for i in 0..n {
        let (a, b) = (x[i].to_f32(), y[i].to_f32());
        let ctx = format!("{a:e}, {b:e} / {:e}, {:e} on {}", d[i], e[i], dev.name());
        assert_eq!(
            h[3 * i].to_bits(),
            f16::from_f32(a.signum()).to_bits(),
            "{ctx}"
        );
        assert_eq!(
            h[3 * i + 1].to_bits(),
            f16::from_f32(a.copysign(b)).to_bits(),
            "{ctx}"
        );
        let want = (a as f64).hypot(b as f64);
        assert!(
            (h[3 * i + 2].to_f64() - want).abs() <= want / 1024.0,
            "{ctx}"
        );
        assert_eq!(g[3 * i].to_bits(), d[i].signum().to_bits(), "{ctx}");
        assert_eq!(
            g[3 * i + 1].to_bits(),
            d[i].copysign(e[i]).to_bits(),
            "{ctx}"
        );
        let want = d[i].hypot(e[i]);
        assert!(
            (g[3 * i + 2] - want).abs() <= 8.0 * f64::EPSILON * want,
            "{ctx}"
        );
    }
}
