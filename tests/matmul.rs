//! `kernelforge::ops::{matmul, linear}` (the `matmul` kernel of kernels-src/matrix.rs) on every
//! backend present, for `f32`, `f16` and `bf16`, against an `f64` product of the same (rounded)
//! inputs: one element, odd shapes that leave every tile partly outside the matrix, several
//! tiles in each direction, each operand transposed, `k = 0`; `linear` with and without a bias,
//! with each activation; and the shape errors.
//!
//! Tolerance, per element: `k * 2^-23 * sum_k |a_ik b_kj| + u * |c_ij| + floor`. The first term
//! bounds `f32` accumulation of `k` products, one rounding each with `mul_add` and two without
//! (Higham, "Accuracy and Stability of Numerical Algorithms", 3.1: |error| <= gamma_k sum |a b|,
//! gamma_k ~ k u, u = 2^-24), the second is the one rounding of the output to its type (`u` =
//! 2^-24 for `f32`, 2^-11 for `f16`, 2^-8 for `bf16`), the third half the smallest subnormal
//! of the type. `linear` adds the bias's magnitude to the sum (one more rounding) and the
//! activation's own error, as the elementwise kernels measure it: 2e-6 absolute or relative
//! for ReLU and GELU's tanh form (README, `gelu`), 2e-5 for its erf form (Vulkan's `exp` under
//! the WGSL `erf` formula; the CPU's and CUDA's are under 4e-7); the activations' slopes are
//! at most 1.13, which the first term is multiplied by.

mod common;
#[path = "common/elem.rs"]
mod elem;

use common::each_backend;
use elem::{values, Elem};
use kernelforge::kernels::{matmul, matmul_staged, matmul_tiles, matmul_v4};
use kernelforge::ops::{self, Activation, Linear, Matmul};
use kernelforge::prelude::*;
use kernelforge::Error;

/// Runs `c = op(a) op(b)` for `s` on `dev` and compares every element with the `f64` product.
fn check<T: Elem + matmul::Instance + ops::Element>(dev: &Device, s: Matmul) {
    let Matmul { m, n, k, .. } = s;
    let (a, b) = (values::<T>(m * k, 1), values::<T>(k * n, 2));
    let at = |i: usize, p: usize| match s.a_transposed {
        false => a[i * k + p],
        true => a[p * m + i],
    };
    let bt = |p: usize, j: usize| match s.b_transposed {
        false => b[p * n + j],
        true => b[j * k + p],
    };
    let (da, db) = (dev.upload(&a).unwrap(), dev.upload(&b).unwrap());
    // Garbage in `c` first: the product overwrites it.
    let mut dc = dev.upload(&vec![T::of(7.0); m * n]).unwrap();
    ops::matmul(dev, &da, &db, &mut dc, s)
        .unwrap_or_else(|e| panic!("{s:?} on {}: {e}", dev.name()));
    let got = dc.to_vec().unwrap();
    for i in 0..m {
        for j in 0..n {
            let (mut want, mut mag) = (0.0f64, 0.0f64);
            for p in 0..k {
                let t = at(i, p).wide() * bt(p, j).wide();
                want += t;
                mag += t.abs();
            }
            let g = got[i * n + j].wide();
            let tol = k as f64 * 2f64.powi(-23) * mag + T::U * want.abs() + T::FLOOR;
            assert!(
                (g - want).abs() <= tol,
                "{} {s:?} {}: c[{i},{j}] = {g}, want {want} (tolerance {tol})",
                dev.name(),
                std::any::type_name::<T>()
            );
        }
    }
}

fn shapes() -> Vec<Matmul> {
    vec![
        Matmul::new(1, 1, 1),
        Matmul::new(17, 33, 65),
        Matmul::new(130, 70, 40),
        Matmul::new(64, 64, 64),
        Matmul::new(17, 33, 65).a_transposed(),
        Matmul::new(17, 33, 65).b_transposed(),
        Matmul::new(70, 5, 33).a_transposed().b_transposed(),
        Matmul::new(3, 4, 0),
    ]
}

#[each_backend]
fn f32_products_match_f64(dev: &Device) {
    for s in shapes() {
        check::<f32>(dev, s);
    }
}

#[each_backend]
fn f16_products_match_f64(dev: &Device) {
    let one = dev.upload(&[f16::ONE]).unwrap();
    let mut out = dev.zeros::<f16>(1).unwrap();
    let r = ops::matmul(dev, &one, &one, &mut out, Matmul::new(1, 1, 1));
    if common::lacks_shader_feature(dev, r, &["SHADER_F16"]) {
        return;
    }
    for s in shapes() {
        check::<f16>(dev, s);
    }
}

#[each_backend]
fn bf16_products_match_f64(dev: &Device) {
    for s in shapes() {
        check::<bf16>(dev, s);
    }
}

/// The activation in `f64`.
fn activate(act: Activation, v: f64) -> f64 {
    match act {
        Activation::None => v,
        Activation::Relu => v.max(0.0),
        Activation::GeluTanh => {
            let u = (2.0 / std::f64::consts::PI).sqrt() * (v + 0.044715 * v * v * v);
            0.5 * v * (1.0 + u.tanh())
        }
        Activation::GeluErf => 0.5 * v * (1.0 + libm::erf(v / std::f64::consts::SQRT_2)),
    }
}

/// Runs `linear` for `s` (with a bias when `with_bias`) on `dev` against `f64`, at every
/// output.
fn check_linear<T: Elem + matmul::Instance + ops::Element>(
    dev: &Device,
    s: Linear,
    with_bias: bool,
) {
    check_linear_at::<T>(dev, s, with_bias, 1)
}

/// [`check_linear`] at `len / stride` outputs scattered over `y`: the `t`-th checked is output
/// `t * stride * 7919 mod len` (7919 is prime, so they are distinct unless it divides `len`),
/// for shapes whose full `f64` reference would dominate the test.
fn check_linear_at<T: Elem + matmul::Instance + ops::Element>(
    dev: &Device,
    s: Linear,
    with_bias: bool,
    stride: usize,
) {
    let (m, n, k) = (s.rows, s.out_features, s.in_features);
    let (x, w, bias) = (
        values::<T>(m * k, 3),
        values::<T>(n * k, 4),
        values::<T>(n, 5),
    );
    let (dx, dw, db) = (
        dev.upload(&x).unwrap(),
        dev.upload(&w).unwrap(),
        dev.upload(&bias).unwrap(),
    );
    let mut dy = dev.upload(&vec![T::of(7.0); m * n]).unwrap();
    ops::linear(dev, &dx, &dw, with_bias.then_some(&db), &mut dy, s)
        .unwrap_or_else(|e| panic!("{s:?} on {}: {e}", dev.name()));
    let got = dy.to_vec().unwrap();
    let act_tol = match s.activation {
        Activation::GeluErf => 2e-5,
        _ => 2e-6,
    };
    let len = m * n;
    for at in (0..len).step_by(stride) {
        let idx = (at * 7919) % len;
        let (i, j) = (idx / n, idx % n);
        {
            let (mut v, mut mag) = (0.0f64, 0.0f64);
            for p in 0..k {
                let t = x[i * k + p].wide() * w[j * k + p].wide();
                v += t;
                mag += t.abs();
            }
            if with_bias {
                v += bias[j].wide();
                mag += bias[j].wide().abs();
            }
            let want = activate(s.activation, v);
            let g = got[i * n + j].wide();
            let tol = 1.13 * (k as f64 + 1.0) * 2f64.powi(-23) * mag
                + act_tol * want.abs().max(1.0)
                + T::U * want.abs()
                + T::FLOOR;
            assert!(
                (g - want).abs() <= tol,
                "{} {s:?} bias {with_bias} {}: y[{i},{j}] = {g}, want {want} (tolerance {tol})",
                dev.name(),
                std::any::type_name::<T>()
            );
        }
    }
}

fn linears() -> Vec<Linear> {
    let mut out = Vec::new();
    for activation in [
        Activation::None,
        Activation::Relu,
        Activation::GeluTanh,
        Activation::GeluErf,
    ] {
        for (rows, in_features, out_features) in [(1, 1, 1), (17, 65, 33), (70, 40, 130)] {
            out.push(Linear {
                rows,
                in_features,
                out_features,
                activation,
            });
        }
    }
    out
}

#[each_backend]
fn linear_with_each_activation_matches_f64(dev: &Device) {
    for s in linears() {
        for with_bias in [false, true] {
            check_linear::<f32>(dev, s, with_bias);
            check_linear::<bf16>(dev, s, with_bias);
        }
    }
}

/// GPT-2's first MLP projection at B = 4, T = 256: `x[1024, 768] w[3072, 768]^T + b`, then
/// GELU (tanh form), checked at 12,288 scattered outputs (one in 256).
#[each_backend]
fn gpt2_mlp_projection_matches_f64(dev: &Device) {
    let s = Linear {
        rows: 1024,
        in_features: 768,
        out_features: 3072,
        activation: Activation::GeluTanh,
    };
    check_linear_at::<f32>(dev, s, true, 256);
    check_linear_at::<bf16>(dev, s, true, 256);
}

#[each_backend]
fn f16_linear_matches_f64(dev: &Device) {
    let one = dev.upload(&[f16::ONE]).unwrap();
    let mut out = dev.zeros::<f16>(1).unwrap();
    let r = ops::matmul(dev, &one, &one, &mut out, Matmul::new(1, 1, 1));
    if common::lacks_shader_feature(dev, r, &["SHADER_F16"]) {
        return;
    }
    for s in linears() {
        check_linear::<f16>(dev, s, true);
    }
}

#[test]
fn shapes_that_do_not_match_the_buffers_are_errors() {
    let dev = Device::cpu();
    let a = dev.zeros::<f32>(6).unwrap();
    let b = dev.zeros::<f32>(12).unwrap();
    let mut c = dev.zeros::<f32>(8).unwrap();
    ops::matmul(&dev, &a, &b, &mut c, Matmul::new(2, 4, 3)).unwrap();
    let e = ops::matmul(&dev, &a, &b, &mut c, Matmul::new(2, 4, 4)).unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(
            e,
            Error::BadArguments {
                kernel: "matmul",
                ..
            }
        ),
        "{msg}"
    );
    assert!(
        msg.contains("`a` holds 6 elements") && msg.contains("2 x 4 = 8"),
        "{msg}"
    );
    let e = ops::matmul(&dev, &a, &b, &mut c, Matmul::new(1, 2, 6)).unwrap_err();
    assert!(e.to_string().contains("`c` holds 8 elements"), "{e}");
    let e = ops::matmul(&dev, &a, &b, &mut c, Matmul::new(1 << 20, 1 << 20, 0)).unwrap_err();
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
    let s = Linear {
        rows: 2,
        in_features: 3,
        out_features: 4,
        activation: Activation::GeluTanh,
    };
    let w = dev.zeros::<f32>(12).unwrap();
    ops::linear(&dev, &a, &w, Some(&dev.zeros(4).unwrap()), &mut c, s).unwrap();
    let e = ops::linear(&dev, &a, &w, Some(&a), &mut c, s).unwrap_err();
    assert!(e.to_string().contains("`bias` holds 6 elements"), "{e}");
}

/// Lavapipe (Mesa's llvmpipe) ends every loop of an invocation after 65,535 iterations in all:
/// `ops::matmul` runs the longest `k` it allows there (src/ops/product.rs), correctly, and
/// refuses one more with an error that says so, or, with CPU fallback on, runs it on the CPU.
#[test]
fn lavapipe_runs_up_to_its_loop_limit_and_refuses_past_it() {
    let Some(dev) = common::device(Backend::Wgpu) else {
        return;
    };
    if !dev.name().contains("llvmpipe") {
        eprintln!("skipped: {} is not llvmpipe", dev.name());
        return;
    }
    let k = 55_296;
    let ones = dev.upload(&vec![1.0f32; k + 1]).unwrap();
    let mut c = dev.zeros::<f32>(1).unwrap();
    let a = dev.upload(&vec![1.0f32; k]).unwrap();
    ops::matmul(&dev, &a, &a, &mut c, Matmul::new(1, 1, k)).unwrap();
    assert_eq!(c.to_vec().unwrap(), [k as f32]);
    // The other instance of the family too (`ops::matmul` may choose it).
    let none = dev.zeros::<f32>(0).unwrap();
    let g = Grid::groups([1, 1, 1]);
    let k32 = k as u32;
    matmul::launch::<_, 2>(&dev, g, 1, 1, k32, k32, 1, 1, 1, 0, &a, &a, &none, &mut c).unwrap();
    assert_eq!(c.to_vec().unwrap(), [k as f32]);
    let e = ops::matmul(&dev, &ones, &ones, &mut c, Matmul::new(1, 1, k + 1)).unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(e, Error::Unsupported { .. }) && msg.contains("65,535") && msg.contains("55,296"),
        "{msg}"
    );
    // With fallback on, the whole product runs on the CPU.
    dev.set_cpu_fallback(true);
    ops::matmul(&dev, &ones, &ones, &mut c, Matmul::new(1, 1, k + 1)).unwrap();
    assert_eq!(c.to_vec().unwrap(), [(k + 1) as f32]);
    // `linear` too, its bias copied: relu(3 - (k + 1)) = 0 and relu(k + 1 + 5).
    let bias = dev.upload(&[3.0f32, 5.0]).unwrap();
    let mut y = dev.zeros::<f32>(2).unwrap();
    let w = dev
        .upload(&[vec![-1.0f32; k + 1], vec![1.0; k + 1]].concat())
        .unwrap();
    let s = Linear {
        rows: 1,
        in_features: k + 1,
        out_features: 2,
        activation: Activation::Relu,
    };
    ops::linear(&dev, &ones, &w, Some(&bias), &mut y, s).unwrap();
    assert_eq!(y.to_vec().unwrap(), [0.0, (k + 6) as f32]);
    assert_eq!(dev.fallen_back_kernels(), ["matmul"]);
    dev.set_cpu_fallback(false);
}

/// Each instance of the `matmul` family (`TM` = 4: 64 x 64 tiles; 2: 32 x 32; and
/// `matmul_tiles`, on matrix tiles, with 4, 8 and 16 warps), launched directly, at the odd shapes and at whole tiles
/// (`matmul_tiles` loads those straight from the operands), with each operand transposed:
/// `ops::matmul` runs whichever autotuning chose, and scripts/test.sh turns timing off (the
/// default, 4).
#[each_backend]
fn each_tile_size_matches_f64(dev: &Device) {
    for s in [
        Matmul::new(17, 33, 65),
        Matmul::new(70, 5, 33).a_transposed().b_transposed(),
        Matmul::new(130, 70, 40).b_transposed(),
        Matmul::new(128, 64, 48),
        Matmul::new(64, 128, 40).a_transposed(),
        Matmul::new(64, 64, 32).b_transposed(),
        Matmul::new(64, 64, 32).a_transposed().b_transposed(),
        Matmul::new(128, 128, 48).b_transposed(),
    ] {
        let Matmul { m, n, k, .. } = s;
        let (a, b) = (values::<f32>(m * k, 1), values::<f32>(k * n, 2));
        let (da, db) = (dev.upload(&a).unwrap(), dev.upload(&b).unwrap());
        let none = dev.zeros::<f32>(0).unwrap();
        let (m32, n32, k32) = (m as u32, n as u32, k as u32);
        let (a_row, a_col) = if s.a_transposed { (1, m32) } else { (k32, 1) };
        let (b_row, b_col) = if s.b_transposed { (1, k32) } else { (n32, 1) };
        // The CPU backend's default instance, which `check` holds to the f64 bound.
        let cpu = Device::cpu();
        let mut cpu_c = cpu.zeros::<f32>(m * n).unwrap();
        let (ca, cb) = (cpu.upload(&a).unwrap(), cpu.upload(&b).unwrap());
        ops::matmul(&cpu, &ca, &cb, &mut cpu_c, s).unwrap();
        let want = cpu_c.to_vec().unwrap();
        // TM 0: `matmul_tiles` with `w` warps (64 x 64, 128 x 64 and 128 x 128 tiles).
        for (tm, w) in [(4u32, 0u32), (2, 0), (0, 4), (0, 8), (0, 16)] {
            let (rows, cols) = match w {
                0 => (16 * tm, 16 * tm),
                16 => (128, 128),
                _ => (32 * (w / 2), 64),
            };
            let grid = Grid::groups([n32.div_ceil(cols), m32.div_ceil(rows), 1]);
            let mut dc = dev.zeros::<f32>(m * n).unwrap();
            let args = (m32, n32, k32, a_row, a_col, b_row, b_col, 0u32);
            let r = match (tm, w) {
                (0, 4) => matmul_tiles::launch::<_, 4>(
                    dev, grid, args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7, &da,
                    &db, &none, &mut dc,
                ),
                (0, 8) => matmul_tiles::launch::<_, 8>(
                    dev, grid, args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7, &da,
                    &db, &none, &mut dc,
                ),
                (0, _) => matmul_tiles::launch::<_, 16>(
                    dev, grid, args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7, &da,
                    &db, &none, &mut dc,
                ),
                (4, _) => matmul::launch::<_, 4>(
                    dev, grid, args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7, &da,
                    &db, &none, &mut dc,
                ),
                _ => matmul::launch::<_, 2>(
                    dev, grid, args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7, &da,
                    &db, &none, &mut dc,
                ),
            };
            r.unwrap();
            // Every instance accumulates each output in the same order, so only a fused or
            // unfused multiply-add can tell them apart.
            let got = dc.to_vec().unwrap();
            for (i, (g, want_i)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - want_i).abs() <= 1e-5 * want_i.abs().max(1.0),
                    "{} TM {tm} warps {w} {s:?}: c[{i}] = {g}, CPU backend {want_i}",
                    dev.name()
                );
            }
        }
    }
}

/// `matmul_tiles` (4 and 16 warps) and `matmul_staged` (steps of 16 and 32) in the half types,
/// with a bias and GELU, against `f64` at the bound of `check` (output rounding included), at
/// whole tiles and at odd shapes, with each operand row- or column-major (`matmul_staged`
/// stages each in its own orientation; on CUDA `ldmatrix` reads them with or without `.trans`).
#[each_backend]
fn matmul_tiles_in_half_types_matches_f64(dev: &Device) {
    /// `inst`: 4 or 16 warps of `matmul_tiles`, or 1016 / 1032 for `matmul_staged`'s steps.
    fn run<T: Elem + matmul_tiles::Instance + matmul_staged::Instance>(
        dev: &Device,
        (m, n, k): (usize, usize, usize),
        inst: u32,
        (a_t, b_t): (bool, bool),
    ) {
        let (a, b, bias) = (
            values::<T>(m * k, 3),
            values::<T>(n * k, 4),
            values::<T>(n, 5),
        );
        let (da, db, dbias) = (
            dev.upload(&a).unwrap(),
            dev.upload(&b).unwrap(),
            dev.upload(&bias).unwrap(),
        );
        let mut dc = dev.zeros::<T>(m * n).unwrap();
        let (m32, n32, k32) = (m as u32, n as u32, k as u32);
        // `a` is `[m,k]` (or `[k,m]`), `b` `[k,n]` (or `[n,k]`, `linear`'s layout); GELU's tanh
        // form.
        let (a_row, a_col) = if a_t { (1, m32) } else { (k32, 1) };
        let (b_row, b_col) = if b_t { (1, k32) } else { (n32, 1) };
        let (rows, cols) = match inst {
            4 => (64, 64),
            _ => (128, 128),
        };
        let grid = Grid::groups([n32.div_ceil(cols), m32.div_ceil(rows), 1]);
        let (ar, ac, br, bc) = (a_row, a_col, b_row, b_col);
        let r = match inst {
            4 => matmul_tiles::launch::<T, 4>(
                dev, grid, m32, n32, k32, ar, ac, br, bc, 2, &da, &db, &dbias, &mut dc,
            ),
            16 => matmul_tiles::launch::<T, 16>(
                dev, grid, m32, n32, k32, ar, ac, br, bc, 2, &da, &db, &dbias, &mut dc,
            ),
            1016 => matmul_staged::launch::<T, 16>(
                dev, grid, m32, n32, k32, ar, ac, br, bc, 2, &da, &db, &dbias, &mut dc,
            ),
            _ => matmul_staged::launch::<T, 32>(
                dev, grid, m32, n32, k32, ar, ac, br, bc, 2, &da, &db, &dbias, &mut dc,
            ),
        };
        // In WGSL the half types are 32-bit in workgroup memory: the step of 32 takes 48 KiB,
        // which an adapter may refuse (lavapipe offers 32); autotuning then skips it.
        if let Err(e @ Error::TooLarge { .. }) = &r {
            if dev.backend() == Backend::Wgpu && inst == 1032 {
                eprintln!("{}: matmul_staged with KS = 32 refused: {e}", dev.name());
                return;
            }
        }
        r.unwrap();
        let got = dc.to_vec().unwrap();
        let (ar, ac, br, bc) = (
            a_row as usize,
            a_col as usize,
            b_row as usize,
            b_col as usize,
        );
        for i in 0..m {
            for j in 0..n {
                let (mut want, mut mag) = (bias[j].wide(), bias[j].wide().abs());
                for p in 0..k {
                    let t = a[i * ar + p * ac].wide() * b[p * br + j * bc].wide();
                    want += t;
                    mag += t.abs();
                }
                let want = activate(Activation::GeluTanh, want);
                let g = got[i * n + j].wide();
                let tol = 1.13 * k as f64 * 2f64.powi(-23) * mag
                    + T::U * want.abs()
                    + 2e-6 * want.abs().max(1.0)
                    + T::FLOOR;
                assert!(
                    (g - want).abs() <= tol,
                    "{} {m}x{n}x{k} instance {inst} transposed {a_t} {b_t}: c[{i},{j}] = {g}, \
                     want {want} (tolerance {tol})",
                    dev.name()
                );
            }
        }
    }
    for (shape, inst) in [
        ((64, 128, 32), 4),
        ((17, 70, 33), 4),
        ((128, 128, 32), 16),
        ((17, 130, 33), 16),
        ((128, 256, 64), 1016),
        ((130, 17, 40), 1016),
        ((256, 128, 96), 1032),
        ((17, 130, 33), 1032),
    ] {
        for t in [(false, true), (false, false), (true, false), (true, true)] {
            run::<f16>(dev, shape, inst, t);
            run::<bf16>(dev, shape, inst, t);
        }
    }
}

/// `matmul_v4` (the operands, the tiles and `c` moved as `Vec4`s) at shapes of whole vectors,
/// `b` row-major (`matmul`) and column-major (`linear`), with and without a bias and GELU, in
/// each type: bit for bit `matmul` with `TM` = 4 on the same device (the same `mul_add`s in
/// the same order, the same epilogue), and within `check`'s bound of the `f64` product.
#[each_backend]
fn matmul_v4_matches_matmul_bit_for_bit(dev: &Device) {
    fn run<T: Elem + matmul::Instance + matmul_v4::Instance + PartialEq>(
        dev: &Device,
        (m, n, k): (usize, usize, usize),
        b_t: bool,
        act: u32,
    ) {
        let (a, b, bias) = (
            values::<T>(m * k, 6),
            values::<T>(n * k, 7),
            values::<T>(n, 8),
        );
        let (da, db) = (dev.upload(&a).unwrap(), dev.upload(&b).unwrap());
        // A bias only with the activation: both epilogues are covered.
        let dbias = if act == 0 {
            dev.zeros::<T>(0).unwrap()
        } else {
            dev.upload(&bias).unwrap()
        };
        let (m32, n32, k32) = (m as u32, n as u32, k as u32);
        let (b_row, b_col) = if b_t { (1, k32) } else { (n32, 1) };
        let grid = Grid::groups([n32.div_ceil(64), m32.div_ceil(64), 1]);
        let mut out = [
            dev.zeros::<T>(m * n).unwrap(),
            dev.zeros::<T>(m * n).unwrap(),
        ];
        let [c4, c1] = &mut out;
        let args = (m32, n32, k32, k32, 1u32, b_row, b_col, act);
        matmul_v4::launch::<T>(
            dev, grid, args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7, &da, &db,
            &dbias, c4,
        )
        .unwrap();
        matmul::launch::<T, 4>(
            dev, grid, args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7, &da, &db,
            &dbias, c1,
        )
        .unwrap();
        let (got, scalar) = (c4.to_vec().unwrap(), c1.to_vec().unwrap());
        let what = format!(
            "{} {m}x{n}x{k} b transposed {b_t} act {act} {}",
            dev.name(),
            std::any::type_name::<T>()
        );
        for i in 0..m {
            for j in 0..n {
                let (mut want, mut mag) = (0.0f64, 0.0f64);
                if act != 0 {
                    (want, mag) = (bias[j].wide(), bias[j].wide().abs());
                }
                for p in 0..k {
                    let bv = if b_t { b[j * k + p] } else { b[p * n + j] };
                    let t = a[i * k + p].wide() * bv.wide();
                    want += t;
                    mag += t.abs();
                }
                let (want, slope, err) = match act {
                    0 => (want, 1.0, 0.0),
                    _ => (activate(Activation::GeluTanh, want), 1.13, 2e-6),
                };
                let g = got[i * n + j];
                let tol = slope * k as f64 * 2f64.powi(-23) * mag
                    + T::U * want.abs()
                    + err * want.abs().max(1.0)
                    + T::FLOOR;
                assert!(
                    (g.wide() - want).abs() <= tol,
                    "{what}: c[{i},{j}] = {g:?}, want {want} (tolerance {tol})"
                );
                assert!(
                    g == scalar[i * n + j],
                    "{what}: c[{i},{j}] = {g:?}, matmul with TM = 4 gives {:?}",
                    scalar[i * n + j]
                );
            }
        }
    }
    for shape in [
        (1, 4, 4),
        (17, 36, 68),
        (130, 72, 40),
        (64, 64, 64),
        (3, 4, 0),
    ] {
        for b_t in [false, true] {
            for act in [0, 2] {
                run::<f32>(dev, shape, b_t, act);
            }
            run::<f16>(dev, shape, b_t, 2);
            run::<bf16>(dev, shape, b_t, 2);
        }
    }
}
