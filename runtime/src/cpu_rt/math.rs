//! Vectorisable `f32` math for the CPU backend.
//!
//! `std`'s `exp` and `tanh` call libm one value at a time, which stops LLVM from vectorising a
//! kernel's loop (measured: a rayon GELU with libm `tanh` runs at 0.5 GB/s, a vectorised one at
//! about 10 GB/s on the same machine). These are branch-free, so the loop vectorises.
//! Accuracy, measured by `tests` against `f64` over the whole useful range, is in the README.

// The coefficients are kept as published, digits beyond f32 included.
#![allow(clippy::excessive_precision)]

/// `e^x`. Cephes `expf`: `x = n ln 2 + r`, `|r| <= ln 2 / 2`, degree-5 minimax polynomial for
/// `e^r`, `2^n` built in the exponent bits. Results below `2^-126` flush to 0; above the
/// largest `f32`, infinity; NaN stays NaN.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // Adding and subtracting 1.5 * 2^23 rounds to the nearest integer without a libm call.
    const ROUND: f32 = 12_582_912.0;
    const HI: f32 = 88.376_26;
    const LO: f32 = -87.336_54;
    let xc = x.clamp(LO, HI);
    let t = xc * LOG2E + ROUND;
    let n = t - ROUND;
    let r = xc - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let y = exp_reduced(r);
    let scale = f32::from_bits((round_int(t).wrapping_add(127) as u32) << 23);
    let res = y * scale;
    let res = if x > HI { f32::INFINITY } else { res };
    if x < LO {
        0.0
    } else {
        res
    }
}

/// The integer `n` of `t = 1.5 * 2^23 + n` (`|n| < 2^22`), read from the mantissa bits: unlike
/// `as i32`, whose saturation and NaN rule LLVM scalarises lane by lane, this vectorises. A
/// NaN `t` gives garbage, which the callers' NaN result does not depend on.
#[inline(always)]
fn round_int(t: f32) -> i32 {
    (t.to_bits() as i32).wrapping_sub(0x4B40_0000)
}

/// `e^r` for `|r| <= ln 2 / 2`: Cephes' degree-5 minimax polynomial.
#[inline(always)]
fn exp_reduced(r: f32) -> f32 {
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 5.000_000_1e-1;
    p * (r * r) + r + 1.0
}

/// `2^x`: `x = n + f` with `n` the nearest integer (exact in `f32`), `2^f = e^(f ln 2)` by the
/// same polynomial as [`exp`], and `2^n` applied as two halves so that `n = 128` (results just
/// below the largest `f32`) does not overflow. Results below `2^-126` flush to 0; from `2^128`,
/// infinity; NaN stays NaN. (`exp(x ln 2)` would lose up to 4e-6 relative for large `|x|`,
/// from rounding `x ln 2`.)
#[inline(always)]
pub fn exp2(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0;
    let xc = x.clamp(-126.0, 128.0);
    let t = xc + ROUND;
    let n = t - ROUND;
    let y = exp_reduced((xc - n) * std::f32::consts::LN_2);
    let ni = round_int(t);
    let half = ni >> 1;
    let s1 = f32::from_bits(((half + 127) as u32) << 23);
    let s2 = f32::from_bits(((ni - half + 127) as u32) << 23);
    let res = y * s1 * s2;
    let res = if x >= 128.0 { f32::INFINITY } else { res };
    if x < -126.0 {
        0.0
    } else {
        res
    }
}

/// `tanh(x)`: Eigen's rational minimax approximation (`generic_fast_tanh_float`, degree 13/6
/// on `[-7.9, 7.9]`, where `tanh` rounds to ±1 in `f32`), `x` itself below `4e-4`.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    let xc = x.clamp(-CLAMP, CLAMP);
    let x2 = xc * xc;
    let p = -2.760_768_5e-16_f32;
    let p = p * x2 + 2.000_187_9e-13;
    let p = p * x2 + -8.604_671_5e-11;
    let p = p * x2 + 5.122_297e-8;
    let p = p * x2 + 1.485_722_4e-5;
    let p = p * x2 + 6.372_619_3e-4;
    let p = p * x2 + 4.893_524_6e-3;
    let p = p * xc;
    let q = 1.198_258_4e-6_f32;
    let q = q * x2 + 1.185_347_1e-4;
    let q = q * x2 + 2.268_434_6e-3;
    let q = q * x2 + 4.893_525e-3;
    let r = p / q;
    if x.abs() < 4e-4 {
        x
    } else {
        r
    }
}

/// `erf(x)`: below 0.5 in magnitude, its Taylor series to `x^13` (truncation error under
/// 1e-9); above, `1 - erfc(|x|)` with the sign of `x`, `erfc` by the Chebyshev-fitted formula
/// of Numerical Recipes (Press et al., 2nd ed., §6.2, `erfcc`: fractional error under
/// 1.2e-7). Both branches are computed, so the loop vectorises. The WGSL back end writes the
/// same formula.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let p = 0.000_120_553_33_f32;
    let p = p * z + -0.000_854_832_7;
    let p = p * z + 0.005_223_977_6;
    let p = p * z + -0.026_866_171;
    let p = p * z + 0.112_837_92;
    let p = p * z + -0.376_126_38;
    let p = p * z + std::f32::consts::FRAC_2_SQRT_PI;
    let small = x * p;
    let t = 1.0 / (1.0 + 0.5 * a);
    let q = 0.170_872_77_f32;
    let q = q * t + -0.822_152_23;
    let q = q * t + 1.488_515_9;
    let q = q * t + -1.135_203_9;
    let q = q * t + 0.278_868_07;
    let q = q * t + -0.186_288_06;
    let q = q * t + 0.096_784_18;
    let q = q * t + 0.374_091_96;
    let q = q * t + 1.000_023_7;
    let q = q * t + -1.265_512_2;
    let erfc = t * exp(q - z);
    let large = (1.0 - erfc).copysign(x);
    if a < 0.5 {
        small
    } else {
        large
    }
}

/// `erf(x)` in `f64`: the `libm` crate's (musl's), within 1 ulp.
#[inline]
pub fn erf_f64(x: f64) -> f64 {
    libm::erf(x)
}

/// Accuracy against `f64` over the useful range of each function, on a dense sample of `f32`
/// inputs. The bounds are the README's; the measured values are printed (`--nocapture`).
#[cfg(test)]
mod tests {
    /// Max relative error of `f` against `reference` over `n` evenly spaced points in `[lo, hi]`
    /// (relative to `max(|reference|, floor)`).
    fn max_err(f: fn(f32) -> f32, reference: fn(f64) -> f64, lo: f32, hi: f32, floor: f64) -> f64 {
        let n = 2_000_000;
        (0..=n)
            .map(|k| lo + (hi - lo) * (k as f32 / n as f32))
            .map(|x| {
                let want = reference(x as f64);
                (f(x) as f64 - want).abs() / want.abs().max(floor)
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn exp_relative_error() {
        // Results of 2^-126 and more (normal f32).
        let e = max_err(super::exp, f64::exp, -87.3, 88.3, 0.0);
        println!("exp: max relative error {e:.2e}");
        assert!(e < 2.5e-7, "exp: {e:e}");
    }

    #[test]
    fn exp2_relative_error() {
        let e = max_err(super::exp2, f64::exp2, -126.0, 127.99, 0.0);
        println!("exp2: max relative error {e:.2e}");
        assert!(e < 2.5e-7, "exp2: {e:e}");
    }

    #[test]
    fn erf_error() {
        // Absolute below 0.5 in magnitude would hide the small-argument branch: relative there.
        let e = max_err(super::erf, libm::erf, -6.0, 6.0, 1e-30);
        println!("erf: max relative error {e:.2e}");
        assert!(e < 4e-7, "erf: {e:e}");
        let tiny = max_err(super::erf, libm::erf, 1e-30, 1e-3, 0.0);
        assert!(tiny < 2.5e-7, "erf near 0: {tiny:e}");
        assert_eq!(super::erf(f32::INFINITY), 1.0);
        assert_eq!(super::erf(f32::NEG_INFINITY), -1.0);
        assert!(super::erf(f32::NAN).is_nan());
    }

    #[test]
    fn tanh_error() {
        // Absolute error where |tanh| < 1e-3 is small, relative elsewhere.
        let e = max_err(super::tanh, f64::tanh, -10.0, 10.0, 1e-3);
        println!("tanh: max error {e:.2e}");
        assert!(e < 1e-6, "tanh: {e:e}");
    }

    #[test]
    fn edges() {
        assert_eq!(super::exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(super::exp(100.0), f32::INFINITY);
        assert_eq!(super::exp(-100.0), 0.0);
        assert_eq!(super::exp(f32::NEG_INFINITY), 0.0);
        assert!(super::exp(f32::NAN).is_nan());
        assert_eq!(super::exp(0.0), 1.0);
        assert_eq!(super::exp2(128.0), f32::INFINITY);
        assert_eq!(super::exp2(-127.0), 0.0);
        assert_eq!(super::exp2(10.0), 1024.0);
        assert_eq!(super::exp2(-126.0), f32::MIN_POSITIVE);
        assert!(super::exp2(127.99).is_finite());
        assert!(super::exp2(f32::NAN).is_nan());
        assert_eq!(super::tanh(20.0), 1.0);
        assert_eq!(super::tanh(-20.0), -1.0);
        assert_eq!(super::tanh(1e-5), 1e-5);
        assert!(super::tanh(f32::NAN).is_nan());
    }
}
