//! The types beyond `f32 i32 u32 bool`: `f16`, `bf16`, `f64`, `u64` and `i64` as parameters,
//! slice elements, locals and literals, with `as` between them, checked against independent
//! references on every backend present:
//! - conversions: Rust's `as` for the primitive types, and for `f16`/`bf16` a nearest-value
//!   search over the candidates around the result (exact integer distances for 64-bit
//!   sources), so rounding is checked bit for bit, ties to even, including the cases where
//!   rounding twice would differ;
//! - 64-bit integer arithmetic: Rust's wrapping operators, bit for bit, at 0, 1, MAX, MIN and
//!   across the 32-bit boundary;
//! - `f16`/`bf16` arithmetic: the f32 result rounded once (bit for bit: `+ - * /` and `sqrt`
//!   in f32 are correctly rounded for these types), and within half an ulp of the type of the
//!   f64 result;
//! - `f64`: `+ * /` and `sqrt` bit for bit with Rust's f64 on the CPU and CUDA (IEEE), within
//!   2 ulp on wgpu (Vulkan does not require correct rounding of f64 division and sqrt).
//!
//! On wgpu `u64`, `i64` and `bf16` are emulated (`back/wgsl/wide.rs`, `bf16.rs`), and the same
//! bit-for-bit checks apply to the emulation.

mod common;

use common::{each_backend, lacks_shader_feature};
use kernelforge::prelude::*;

/// Every conversion from `f64`.
#[compute_kernel(workgroup_size = 64)]
pub fn convert_f64(
    x: &[f64],
    h: &mut [f16],
    b: &mut [bf16],
    f: &mut [f32],
    i: &mut [i32],
    l: &mut [i64],
    u: &mut [u64],
) {
    let k = global_id().x;
    if k < x.len() {
        let v = x[k];
        h[k] = v as f16;
        b[k] = v as bf16;
        f[k] = v as f32;
        i[k] = v as i32;
        l[k] = v as i64;
        u[k] = v as u64;
    }
}

/// Every conversion from `u64` and from `i64`.
#[compute_kernel(workgroup_size = 64)]
pub fn convert_int64(
    x: &[u64],
    s: &[i64],
    h: &mut [f16],
    b: &mut [bf16],
    f: &mut [f32],
    d: &mut [f64],
    w: &mut [u32],
    sb: &mut [bf16],
    sd: &mut [f64],
    si: &mut [i32],
    su: &mut [u64],
) {
    let k = global_id().x;
    if k < x.len() {
        let v = x[k];
        h[k] = v as f16;
        b[k] = v as bf16;
        f[k] = v as f32;
        d[k] = v as f64;
        w[k] = v as u32;
        let t = s[k];
        sb[k] = t as bf16;
        sd[k] = t as f64;
        si[k] = t as i32;
        su[k] = t as u64;
    }
}

/// Conversions from the 16-bit floats, and from `i32`/`u32` to `bf16`.
#[compute_kernel(workgroup_size = 64)]
pub fn convert_halves(
    x: &[f16],
    y: &[bf16],
    n: &[i32],
    xb: &mut [bf16],
    yh: &mut [f16],
    xi: &mut [i32],
    yu: &mut [u64],
    xd: &mut [f64],
    nb: &mut [bf16],
) {
    let k = global_id().x;
    if k < x.len() {
        xb[k] = x[k] as bf16;
        yh[k] = y[k] as f16;
        xi[k] = x[k] as i32;
        yu[k] = y[k] as u64;
        xd[k] = x[k] as f64;
        nb[k] = n[k] as bf16;
    }
}

/// `y = a * x + x / a - sqrt(|x|)` and `x.max(1.5)` in `f16`, the same in `bf16`.
#[compute_kernel(workgroup_size = 64)]
pub fn half_arith(a: f16, x: &[f16], y: &mut [f16], m: &mut [f16], bx: &[bf16], by: &mut [bf16]) {
    let k = global_id().x;
    if k < x.len() {
        let v = x[k];
        y[k] = a * v + v / a - v.abs().sqrt();
        m[k] = v.max(1.5);
        let w = bx[k];
        let two: bf16 = 2.0;
        by[k] = w * two + w / (w + 1.0) - w.abs().sqrt();
    }
}

/// `bf16` through a scalar parameter, workgroup memory, a constant and a cast to `i32`: each
/// invocation scales its element into the tile and reads its mirror image in the workgroup.
#[compute_kernel(workgroup_size = 64)]
pub fn bf16_shared(a: bf16, x: &[bf16], y: &mut [bf16], n: &mut [i32]) {
    let tile = shared_array::<bf16, 64>();
    let l = local_id().x;
    let k = global_id().x;
    let mut v = bf16::MAX;
    if k < x.len() {
        v = x[k];
    }
    tile[l] = v * a;
    barrier();
    if k < x.len() {
        y[k] = tile[63 - l] + 1.0;
        n[k] = tile[l] as i32;
    }
}

/// `f16` alone (no `bf16`): runs on wgpu where SHADER_F16 is present.
#[compute_kernel(workgroup_size = 64)]
pub fn f16_axpy(a: f16, x: &[f16], y: &mut [f16]) {
    let k = global_id().x;
    if k < y.len() {
        y[k] = a * x[k] + y[k];
    }
}

/// `f64` arithmetic: `y = s * x + x / s + sqrt(|x|)`, `z = mul_add(x, s, 1.0)`.
#[compute_kernel(workgroup_size = 64)]
pub fn f64_arith(s: f64, x: &[f64], y: &mut [f64], z: &mut [f64]) {
    let k = global_id().x;
    if k < x.len() {
        let v = x[k];
        y[k] = s * v + v / s + v.abs().sqrt();
        z[k] = v.mul_add(s, 1.0);
    }
}

/// Every operator on `u64` and `i64`, wrapping as Rust's wrapping operators do; `sh` is the
/// shift amount (modulo 64).
#[compute_kernel(workgroup_size = 64)]
pub fn int64_ops(a: &[u64], b: &[u64], sh: u32, out: &mut [u64], so: &mut [i64], cmp: &mut [u32]) {
    let k = global_id().x;
    if k < a.len() {
        let x = a[k];
        let y = b[k];
        let o = k * 8;
        out[o] = x + y;
        out[o + 1] = x - y;
        out[o + 2] = x * y;
        out[o + 3] = x / y;
        out[o + 4] = x % y;
        out[o + 5] = (x << sh) ^ (y >> sh);
        out[o + 6] = (x & y) | !x;
        out[o + 7] = x.max(y) - x.min(y) + u64::MAX;
        let s = x as i64;
        let t = y as i64;
        so[o] = s + t;
        so[o + 1] = s - t;
        so[o + 2] = s * t;
        so[o + 3] = s / t;
        so[o + 4] = s % t;
        so[o + 5] = (s >> sh) + (-t << sh);
        so[o + 6] = s.abs() + i64::MIN;
        so[o + 7] = s.min(t) + 7i64;
        let mut c = 0u32;
        if x < y {
            c |= 1;
        }
        if x <= y {
            c |= 2;
        }
        if s < t {
            c |= 4;
        }
        if s >= t {
            c |= 8;
        }
        if x == y {
            c |= 16;
        }
        if s != t {
            c |= 32;
        }
        cmp[k] = c;
    }
}

// ---- references ----

/// The nearest of `candidates` to `v` by exact distance, ties to the even bit pattern.
fn nearest<T: Copy>(v: f64, candidates: &[(T, f64, u16)]) -> T {
    let mut best = candidates[0];
    for &c in &candidates[1..] {
        let (d, db) = ((c.1 - v).abs(), (best.1 - v).abs());
        if d < db || (d == db && c.2 % 2 == 0 && best.2 % 2 == 1) {
            best = c;
        }
    }
    best.0
}

/// `v` rounded to f16: the nearest of the value half's conversion gives and its neighbours.
fn ref_f16(v: f64) -> f16 {
    if v.is_nan() {
        return f16::NAN;
    }
    if v.abs() >= 65520.0 {
        return if v > 0.0 {
            f16::INFINITY
        } else {
            f16::NEG_INFINITY
        };
    }
    let h = f16::from_f64(v).to_bits();
    let c: Vec<(f16, f64, u16)> = [h.wrapping_sub(1), h, h.wrapping_add(1)]
        .into_iter()
        .map(f16::from_bits)
        .filter(|c| c.is_finite())
        .map(|c| (c, c.to_f64(), c.to_bits()))
        .collect();
    nearest(v, &c)
}

/// `v` rounded to bf16 (see [`ref_f16`]).
fn ref_bf16(v: f64) -> bf16 {
    if v.is_nan() {
        return bf16::NAN;
    }
    let limit = bf16::MAX.to_f64() + 2f64.powi(127 - 8);
    if v.abs() >= limit {
        return if v > 0.0 {
            bf16::INFINITY
        } else {
            bf16::NEG_INFINITY
        };
    }
    let h = bf16::from_f64(v).to_bits();
    let c: Vec<(bf16, f64, u16)> = [h.wrapping_sub(1), h, h.wrapping_add(1)]
        .into_iter()
        .map(bf16::from_bits)
        .filter(|c| c.is_finite())
        .map(|c| (c, c.to_f64(), c.to_bits()))
        .collect();
    nearest(v, &c)
}

/// An integer rounded to bf16, with exact integer distances (an f64 cannot hold a 64-bit
/// integer exactly, and rounding it first could round twice).
fn ref_bf16_int(v: i128) -> bf16 {
    if v.unsigned_abs() < 1 << 53 {
        return ref_bf16(v as f64);
    }
    let h = bf16::from_f64(v as f64).to_bits();
    let mut best: Option<(bf16, u128)> = None;
    for bits in [h.wrapping_sub(1), h, h.wrapping_add(1)] {
        let c = bf16::from_bits(bits);
        // Candidates of this magnitude are integers, exactly convertible.
        let cv = c.to_f64() as i128;
        let d = (cv - v).unsigned_abs();
        let better = match best {
            None => true,
            Some((b, bd)) => d < bd || (d == bd && bits % 2 == 0 && b.to_bits() % 2 == 1),
        };
        if better {
            best = Some((c, d));
        }
    }
    best.map_or(bf16::NAN, |b| b.0)
}

fn f64_inputs() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        2.5,
        -2.5,
        3.99,
        -3.99,
        1.0 + 2f64.powi(-11),
        1.0 + 2f64.powi(-11) + 2f64.powi(-40),
        1.0 + 2f64.powi(-8),
        1.0 + 2f64.powi(-8) + 2f64.powi(-40),
        65504.0,
        65519.99,
        65520.0,
        1e-8,
        6.0e-5,
        -7.5e-6,
        2147483647.5,
        -2147483649.0,
        4294967296.5,
        9.3e18,
        1.8446744073709552e19,
        -9.3e18,
        1e300,
        -1e300,
        f64::MIN_POSITIVE,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    v.extend((0..40).map(|i| (i as f64 - 20.0) * 1234.5678 + 0.123));
    v
}

fn u64_inputs() -> Vec<u64> {
    let mut v = vec![
        0,
        1,
        2,
        65519,
        65520,
        (1 << 24) + (1 << 16) + 1,
        (1 << 24) + (1 << 16),
        (1 << 24) + 3 * (1 << 16),
        u32::MAX as u64,
        1 << 32,
        (1 << 32) + 1,
        (1 << 53) + 1,
        0x8000_0000_0000_0001,
        0x8000_0000_0000_0000,
        u64::MAX,
        u64::MAX - 1,
        0x0123_4567_89ab_cdef,
        0xfedc_ba98_7654_3210,
    ];
    v.extend((0..30u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (i % 64)));
    v
}

/// The bits of each value, with every NaN as 0x7fff: which NaN a conversion gives is not
/// portable (CUDA's `__float2half_rn`/`__float2bfloat16_rn` give the canonical 0x7fff, `half`
/// and WGSL keep the quiet payload, 0x7e00/0x7fc0), and Rust promises no NaN's bits either.
fn bits16<T: Copy + Into<f32>>(v: &[T], to_bits: fn(T) -> u16) -> Vec<u16> {
    v.iter()
        .map(|&x| {
            if x.into().is_nan() {
                0x7fff
            } else {
                to_bits(x)
            }
        })
        .collect()
}

#[each_backend]
fn f64_converts_to_every_type_as_rust_does(dev: &Device) {
    let x = f64_inputs();
    let n = x.len();
    let xb = dev.upload(&x).unwrap();
    let mut h = dev.zeros::<f16>(n).unwrap();
    let mut b = dev.zeros::<bf16>(n).unwrap();
    let mut f = dev.zeros::<f32>(n).unwrap();
    let mut i = dev.zeros::<i32>(n).unwrap();
    let mut l = dev.zeros::<i64>(n).unwrap();
    let mut u = dev.zeros::<u64>(n).unwrap();
    let r = convert_f64::launch(
        dev,
        Grid::linear(n),
        &xb,
        &mut h,
        &mut b,
        &mut f,
        &mut i,
        &mut l,
        &mut u,
    );
    if lacks_shader_feature(dev, r, &["SHADER_F16", "SHADER_F64"]) {
        return;
    }
    let want_h: Vec<f16> = x.iter().map(|&v| ref_f16(v)).collect();
    let want_b: Vec<bf16> = x.iter().map(|&v| ref_bf16(v)).collect();
    assert_eq!(
        bits16(&h.to_vec().unwrap(), f16::to_bits),
        bits16(&want_h, f16::to_bits)
    );
    assert_eq!(
        bits16(&b.to_vec().unwrap(), bf16::to_bits),
        bits16(&want_b, bf16::to_bits)
    );
    let f_bits: Vec<u32> = f.to_vec().unwrap().iter().map(|v| v.to_bits()).collect();
    let want_f: Vec<u32> = x.iter().map(|&v| (v as f32).to_bits()).collect();
    assert_eq!(f_bits, want_f);
    assert_eq!(
        i.to_vec().unwrap(),
        x.iter().map(|&v| v as i32).collect::<Vec<_>>()
    );
    assert_eq!(
        l.to_vec().unwrap(),
        x.iter().map(|&v| v as i64).collect::<Vec<_>>()
    );
    assert_eq!(
        u.to_vec().unwrap(),
        x.iter().map(|&v| v as u64).collect::<Vec<_>>()
    );
}

#[each_backend]
fn int64_converts_to_every_type_as_rust_does(dev: &Device) {
    let x = u64_inputs();
    let s: Vec<i64> = x.iter().map(|&v| v as i64).collect();
    let n = x.len();
    let (xb, sb_in) = (dev.upload(&x).unwrap(), dev.upload(&s).unwrap());
    let mut h = dev.zeros::<f16>(n).unwrap();
    let mut b = dev.zeros::<bf16>(n).unwrap();
    let mut f = dev.zeros::<f32>(n).unwrap();
    let mut d = dev.zeros::<f64>(n).unwrap();
    let mut w = dev.zeros::<u32>(n).unwrap();
    let mut sb = dev.zeros::<bf16>(n).unwrap();
    let mut sd = dev.zeros::<f64>(n).unwrap();
    let mut si = dev.zeros::<i32>(n).unwrap();
    let mut su = dev.zeros::<u64>(n).unwrap();
    let r = convert_int64::launch(
        dev,
        Grid::linear(n),
        &xb,
        &sb_in,
        &mut h,
        &mut b,
        &mut f,
        &mut d,
        &mut w,
        &mut sb,
        &mut sd,
        &mut si,
        &mut su,
    );
    if lacks_shader_feature(dev, r, &["SHADER_F16", "SHADER_F64"]) {
        return;
    }
    let want_h: Vec<f16> = x.iter().map(|&v| ref_f16(v as f64)).collect();
    let want_b: Vec<bf16> = x.iter().map(|&v| ref_bf16_int(v as i128)).collect();
    let want_sb: Vec<bf16> = s.iter().map(|&v| ref_bf16_int(v as i128)).collect();
    assert_eq!(
        bits16(&h.to_vec().unwrap(), f16::to_bits),
        bits16(&want_h, f16::to_bits)
    );
    assert_eq!(
        bits16(&b.to_vec().unwrap(), bf16::to_bits),
        bits16(&want_b, bf16::to_bits)
    );
    assert_eq!(
        bits16(&sb.to_vec().unwrap(), bf16::to_bits),
        bits16(&want_sb, bf16::to_bits)
    );
    assert_eq!(
        f.to_vec().unwrap(),
        x.iter().map(|&v| v as f32).collect::<Vec<_>>()
    );
    assert_eq!(
        d.to_vec().unwrap(),
        x.iter().map(|&v| v as f64).collect::<Vec<_>>()
    );
    assert_eq!(
        w.to_vec().unwrap(),
        x.iter().map(|&v| v as u32).collect::<Vec<_>>()
    );
    assert_eq!(
        sd.to_vec().unwrap(),
        s.iter().map(|&v| v as f64).collect::<Vec<_>>()
    );
    assert_eq!(
        si.to_vec().unwrap(),
        s.iter().map(|&v| v as i32).collect::<Vec<_>>()
    );
    assert_eq!(
        su.to_vec().unwrap(),
        s.iter().map(|&v| v as u64).collect::<Vec<_>>()
    );
}

#[each_backend]
fn halves_convert_as_rust_does(dev: &Device) {
    let src = f64_inputs();
    let x: Vec<f16> = src.iter().map(|&v| ref_f16(v)).collect();
    let y: Vec<bf16> = src.iter().map(|&v| ref_bf16(v)).collect();
    let ints: Vec<i32> = (0..src.len() as i32)
        .map(|i| i.wrapping_mul(0x3b9a_ca07) | (1 << 24))
        .collect();
    let n = x.len();
    let (xb_in, yb_in, nb_in) = (
        dev.upload(&x).unwrap(),
        dev.upload(&y).unwrap(),
        dev.upload(&ints).unwrap(),
    );
    let mut xb = dev.zeros::<bf16>(n).unwrap();
    let mut yh = dev.zeros::<f16>(n).unwrap();
    let mut xi = dev.zeros::<i32>(n).unwrap();
    let mut yu = dev.zeros::<u64>(n).unwrap();
    let mut xd = dev.zeros::<f64>(n).unwrap();
    let mut nb = dev.zeros::<bf16>(n).unwrap();
    let r = convert_halves::launch(
        dev,
        Grid::linear(n),
        &xb_in,
        &yb_in,
        &nb_in,
        &mut xb,
        &mut yh,
        &mut xi,
        &mut yu,
        &mut xd,
        &mut nb,
    );
    if lacks_shader_feature(dev, r, &["SHADER_F16", "SHADER_F64"]) {
        return;
    }
    let want_xb: Vec<bf16> = x.iter().map(|v| ref_bf16(v.to_f64())).collect();
    let want_yh: Vec<f16> = y.iter().map(|v| ref_f16(v.to_f64())).collect();
    let want_nb: Vec<bf16> = ints.iter().map(|&v| ref_bf16_int(v as i128)).collect();
    assert_eq!(
        bits16(&xb.to_vec().unwrap(), bf16::to_bits),
        bits16(&want_xb, bf16::to_bits)
    );
    assert_eq!(
        bits16(&yh.to_vec().unwrap(), f16::to_bits),
        bits16(&want_yh, f16::to_bits)
    );
    assert_eq!(
        bits16(&nb.to_vec().unwrap(), bf16::to_bits),
        bits16(&want_nb, bf16::to_bits)
    );
    assert_eq!(
        xi.to_vec().unwrap(),
        x.iter().map(|v| v.to_f64() as i32).collect::<Vec<_>>()
    );
    assert_eq!(
        yu.to_vec().unwrap(),
        y.iter().map(|v| v.to_f64() as u64).collect::<Vec<_>>()
    );
    // Every NaN as one value: which NaN a widening gives is not portable either (see `bits16`).
    let bits64 = |v: f64| if v.is_nan() { u64::MAX } else { v.to_bits() };
    let xd_bits: Vec<u64> = xd.to_vec().unwrap().into_iter().map(bits64).collect();
    let want_xd: Vec<u64> = x.iter().map(|v| bits64(v.to_f64())).collect();
    assert_eq!(xd_bits, want_xd);
}

#[each_backend]
fn half_arithmetic_rounds_once_per_operation(dev: &Device) {
    let n = 257usize;
    let x: Vec<f16> = (0..n)
        .map(|i| f16::from_f64((i as f64 - 128.0) * 0.37 + 0.011))
        .collect();
    let bx: Vec<bf16> = (0..n)
        .map(|i| bf16::from_f64((i as f64 - 100.0) * 1.91 + 0.5))
        .collect();
    let a = f16::from_f64(1.75);
    let (xb, bxb) = (dev.upload(&x).unwrap(), dev.upload(&bx).unwrap());
    let mut y = dev.zeros::<f16>(n).unwrap();
    let mut m = dev.zeros::<f16>(n).unwrap();
    let mut by = dev.zeros::<bf16>(n).unwrap();
    let r = half_arith::launch(dev, Grid::linear(n), a, &xb, &mut y, &mut m, &bxb, &mut by);
    if lacks_shader_feature(dev, r, &["SHADER_F16", "SHADER_F64"]) {
        return;
    }
    // Each operation in f32, rounded to the type: the CPU and CUDA compute exactly this.
    let r16 = |v: f32| ref_f16(v as f64).to_f32();
    let rb = |v: f32| ref_bf16(v as f64).to_f32();
    let want_y: Vec<f16> = x
        .iter()
        .map(|v| {
            let (a, v) = (a.to_f32(), v.to_f32());
            let s = r16(r16(a * v) + r16(v / a));
            f16::from_f32(r16(s - r16(v.abs().sqrt())))
        })
        .collect();
    let want_by: Vec<bf16> = bx
        .iter()
        .map(|w| {
            let w = w.to_f32();
            let s = rb(rb(w * 2.0) + rb(w / rb(w + 1.0)));
            bf16::from_f32(rb(s - rb(w.abs().sqrt())))
        })
        .collect();
    let (got_y, got_by) = (y.to_vec().unwrap(), by.to_vec().unwrap());
    assert_eq!(bits16(&got_y, f16::to_bits), bits16(&want_y, f16::to_bits));
    assert_eq!(
        bits16(&got_by, bf16::to_bits),
        bits16(&want_by, bf16::to_bits)
    );
    let want_m: Vec<f16> = x
        .iter()
        .map(|v| {
            if v.to_f32() > 1.5 {
                *v
            } else {
                f16::from_f32(1.5)
            }
        })
        .collect();
    assert_eq!(
        bits16(&m.to_vec().unwrap(), f16::to_bits),
        bits16(&want_m, f16::to_bits)
    );
    // And against the f64 result: four roundings of relative 2^-11 each, plus cancellation
    // (measured in ulps of the inputs' scale).
    for (i, v) in x.iter().enumerate() {
        let (a, v) = (a.to_f64(), v.to_f64());
        let exact = a * v + v / a - v.abs().sqrt();
        let scale = (a * v).abs() + (v / a).abs() + v.abs().sqrt();
        assert!(
            (got_y[i].to_f64() - exact).abs() <= 4.0 * 2f64.powi(-11) * scale.max(1e-3),
            "{i}"
        );
    }
}

#[each_backend]
fn f16_kernels_run_where_the_adapter_has_shader_f16(dev: &Device) {
    let n = 1000usize;
    let x: Vec<f16> = (0..n)
        .map(|i| f16::from_f64(i as f64 * 0.25 - 60.0))
        .collect();
    let y0: Vec<f16> = (0..n)
        .map(|i| f16::from_f64((i % 17) as f64 - 8.0))
        .collect();
    let a = f16::from_f64(-1.5);
    let xb = dev.upload(&x).unwrap();
    let mut y = dev.upload(&y0).unwrap();
    if lacks_shader_feature(
        dev,
        f16_axpy::launch(dev, Grid::linear(n), a, &xb, &mut y),
        &["SHADER_F16"],
    ) {
        return;
    }
    let got = y.to_vec().unwrap();
    for i in 0..n {
        let want = ref_f16(ref_f16(a.to_f64() * x[i].to_f64()).to_f64() + y0[i].to_f64());
        // Bit for bit where f16 arithmetic rounds each operation (CPU, CUDA); a Vulkan driver
        // may fuse the multiply-add: then within one ulp.
        let ulp = 2f64.powi(want.to_f64().abs().log2().floor().max(-14.0) as i32 - 10);
        assert!(
            (got[i].to_f64() - want.to_f64()).abs() <= ulp,
            "{i}: {} vs {}",
            got[i],
            want
        );
        if dev.backend() != Backend::Wgpu {
            assert_eq!(got[i].to_bits(), want.to_bits(), "{i}");
        }
    }
}

#[each_backend]
fn f64_arithmetic_matches_rust(dev: &Device) {
    let x: Vec<f64> = (0..500)
        .map(|i| (i as f64 - 250.0) * 1.000000123456789e3 + 1e-7)
        .collect();
    let s = std::f64::consts::PI;
    let xb = dev.upload(&x).unwrap();
    let mut y = dev.zeros::<f64>(x.len()).unwrap();
    let mut z = dev.zeros::<f64>(x.len()).unwrap();
    if lacks_shader_feature(
        dev,
        f64_arith::launch(dev, Grid::linear(x.len()), s, &xb, &mut y, &mut z),
        &["SHADER_F64"],
    ) {
        return;
    }
    let (got_y, got_z) = (y.to_vec().unwrap(), z.to_vec().unwrap());
    let ulps = if dev.backend() == Backend::Wgpu {
        2.0
    } else {
        0.0
    };
    for (i, &v) in x.iter().enumerate() {
        let want_y = s * v + v / s + v.abs().sqrt();
        let want_z = v.mul_add(s, 1.0);
        for (got, want) in [(got_y[i], want_y), (got_z[i], want_z)] {
            assert!(
                (got - want).abs() <= ulps * f64::EPSILON * want.abs() * 4.0,
                "{}: x = {v}: {got} vs {want}",
                dev.name()
            );
        }
    }
}

#[each_backend]
fn int64_operators_wrap_as_rust_does(dev: &Device) {
    let mut a = u64_inputs();
    let mut b = a.clone();
    b.rotate_left(5);
    b[3] = 0;
    b[4] = u64::MAX; // -1 as i64: MIN / -1
                     // Pseudo-random pairs of random bit lengths: quotients of every size, divisors above
                     // 2^32 and 2^63, borrows and carries at every word boundary.
    let mut r = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        r
    };
    for _ in 0..200 {
        let (x, y, bits) = (next(), next(), next());
        a.push(x >> (bits % 64));
        b.push(y >> ((bits >> 8) % 64));
    }
    let n = a.len();
    let (ab, bb) = (dev.upload(&a).unwrap(), dev.upload(&b).unwrap());
    for sh in [0u32, 1, 31, 32, 33, 63, 64, 100] {
        let mut out = dev.zeros::<u64>(n * 8).unwrap();
        let mut so = dev.zeros::<i64>(n * 8).unwrap();
        let mut cmp = dev.zeros::<u32>(n).unwrap();
        let r = int64_ops::launch(
            dev,
            Grid::linear(n),
            &ab,
            &bb,
            sh,
            &mut out,
            &mut so,
            &mut cmp,
        );
        if lacks_shader_feature(dev, r, &["SHADER_F16", "SHADER_F64"]) {
            return;
        }
        let (out, so, cmp) = (
            out.to_vec().unwrap(),
            so.to_vec().unwrap(),
            cmp.to_vec().unwrap(),
        );
        for k in 0..n {
            let (x, y) = (a[k], b[k]);
            let (s, t) = (x as i64, y as i64);
            let want = [
                x.wrapping_add(y),
                x.wrapping_sub(y),
                x.wrapping_mul(y),
                x.checked_div(y).unwrap_or(x),
                if y == 0 { 0 } else { x % y },
                x.wrapping_shl(sh) ^ y.wrapping_shr(sh),
                (x & y) | !x,
                x.max(y).wrapping_sub(x.min(y)).wrapping_add(u64::MAX),
            ];
            assert_eq!(&out[k * 8..k * 8 + 8], &want, "u64 {x} {y} sh {sh}");
            let want = [
                s.wrapping_add(t),
                s.wrapping_sub(t),
                s.wrapping_mul(t),
                if t == 0 { s } else { s.wrapping_div(t) },
                if t == 0 { 0 } else { s.wrapping_rem(t) },
                s.wrapping_shr(sh)
                    .wrapping_add(t.wrapping_neg().wrapping_shl(sh)),
                s.wrapping_abs().wrapping_add(i64::MIN),
                s.min(t).wrapping_add(7),
            ];
            assert_eq!(&so[k * 8..k * 8 + 8], &want, "i64 {s} {t} sh {sh}");
            let c = (x < y) as u32
                | ((x <= y) as u32) << 1
                | ((s < t) as u32) << 2
                | ((s >= t) as u32) << 3
                | ((x == y) as u32) << 4
                | ((s != t) as u32) << 5;
            assert_eq!(cmp[k], c, "{x} {y}");
        }
    }
}

#[each_backend]
fn bf16_travels_through_parameters_and_workgroup_memory(dev: &Device) {
    let n = 200usize;
    let x: Vec<bf16> = (0..n)
        .map(|i| bf16::from_f64((i as f64 - 100.0) * 1.37e3 + 0.3))
        .collect();
    let a = bf16::from_f64(-3.140625);
    let xb = dev.upload(&x).unwrap();
    let mut y = dev.zeros::<bf16>(n).unwrap();
    let mut m = dev.zeros::<i32>(n).unwrap();
    bf16_shared::launch(dev, Grid::linear(n), a, &xb, &mut y, &mut m)
        .unwrap_or_else(|e| panic!("{}: {e}", dev.name()));
    let (y, m) = (y.to_vec().unwrap(), m.to_vec().unwrap());
    // The product of two bf16 values is exact in f64, so rounding it once is the reference.
    let scaled = |k: usize| {
        let v = if k < n {
            x[k].to_f64()
        } else {
            bf16::MAX.to_f64()
        };
        ref_bf16(v * a.to_f64())
    };
    for k in 0..n {
        let mirror = k - k % 64 + 63 - k % 64;
        let want = ref_bf16(scaled(mirror).to_f64() + 1.0);
        assert_eq!(y[k].to_bits(), want.to_bits(), "{}: y[{k}]", dev.name());
        assert_eq!(m[k], scaled(k).to_f64() as i32, "{}: n[{k}]", dev.name());
    }
}
