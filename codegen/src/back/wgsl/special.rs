//! `erf`, `exp_m1` and `ln_1p`, which WGSL lacks, as helpers computed in `f32` (an `f16`
//! argument converts exactly; `f64` ones compute in `f32`, as the other transcendental
//! functions do). Each is branch-free, so the `x4` module takes the same text.
//!
//! - `erf`: the CPU backend's formula (`cpu_rt::math::erf`): the Taylor series below 0.5 in
//!   magnitude, Numerical Recipes' `erfcc` above.
//! - `exp_m1`: `exp(x) - 1` cancels near 0, and WGSL's `exp` promises only `3 + 2|x|` ulp, so
//!   below 0.35 in magnitude the Taylor series to `x^9` (truncation under 1e-11 relative).
//! - `ln_1p`: WGSL's `log` promises only 2^-21 absolute error near 1, so for `x` in
//!   (-0.3, 0.5) `2 atanh(s)` with `s = x / (2 + x)`, by its series to `s^13`; elsewhere
//!   `log(1 + x)`.

use super::ops::Width;
use super::writer::Writer;
use crate::ir::{MathFn, Scalar};

impl Writer<'_> {
    /// `fun` (`Erf`, `ExpM1` or `Ln1p`) of the written argument `x` of type `t` (not `f64`).
    pub(super) fn special_fn(&mut self, fun: MathFn, t: Scalar, x: &str, w: Width) -> String {
        let name = match fun {
            MathFn::Erf => self.erf_helper(w),
            MathFn::ExpM1 => self.exp_m1_helper(w),
            _ => self.ln_1p_helper(w),
        };
        if t == Scalar::F32 {
            format!("{name}({x})")
        } else {
            format!("{}({name}({}({x})))", w.ty(t), w.ty(Scalar::F32))
        }
    }

    fn erf_helper(&mut self, w: Width) -> String {
        let name = format!("kf_erf{}", w.suffix());
        let t = w.ty(Scalar::F32);
        let text = format!(
            "// erf: Taylor series below 0.5, Numerical Recipes' erfcc above (as the CPU backend).\n\
             fn {name}(x: {t}) -> {t} {{\n    \
             let a = abs(x);\n    \
             let z = x * x;\n    \
             let small = x * (1.1283792 + z * (-0.37612638 + z * (0.11283792 + z * (-0.026866171 \
             + z * (0.0052239776 + z * (-0.0008548327 + z * 0.00012055333))))));\n    \
             let u = 1.0 / (1.0 + 0.5 * a);\n    \
             let q = -1.2655122 + u * (1.0000237 + u * (0.37409196 + u * (0.09678418 + u * \
             (-0.18628806 + u * (0.27886807 + u * (-1.1352039 + u * (1.4885159 + u * (-0.82215223 \
             + u * 0.17087277))))))));\n    \
             let big = 1.0 - u * exp(q - z);\n    \
             return select(select(big, -big, x < {zero}), small, a < {half});\n}}\n",
            zero = w.splat(Scalar::F32, "0.0"),
            half = w.splat(Scalar::F32, "0.5"),
        );
        self.add_helper(name, text)
    }

    fn exp_m1_helper(&mut self, w: Width) -> String {
        let name = format!("kf_exp_m1{}", w.suffix());
        let t = w.ty(Scalar::F32);
        let text = format!(
            "// e^x - 1: the Taylor series near 0, where exp(x) - 1 would cancel.\n\
             fn {name}(x: {t}) -> {t} {{\n    \
             let series = x * (1.0 + x * (0.5 + x * (0.16666667 + x * (0.041666668 + x * \
             (0.008333334 + x * (0.0013888889 + x * (0.0001984127 + x * (0.0000248015873 + x * \
             0.0000027557319))))))));\n    \
             return select(exp(x) - 1.0, series, abs(x) < {limit});\n}}\n",
            limit = w.splat(Scalar::F32, "0.35"),
        );
        self.add_helper(name, text)
    }

    fn ln_1p_helper(&mut self, w: Width) -> String {
        let name = format!("kf_ln_1p{}", w.suffix());
        let t = w.ty(Scalar::F32);
        let text = format!(
            "// ln(1 + x): 2 atanh(x / (2 + x)) by its series near 0, where log(1 + x) loses x.\n\
             fn {name}(x: {t}) -> {t} {{\n    \
             let s = x / (2.0 + x);\n    \
             let s2 = s * s;\n    \
             let series = 2.0 * s * (1.0 + s2 * (0.33333334 + s2 * (0.2 + s2 * (0.14285715 + s2 * \
             (0.11111111 + s2 * (0.09090909 + s2 * 0.07692308))))));\n    \
             let near = (x > {lo}) & (x < {hi});\n    \
             return select(log(1.0 + x), series, near);\n}}\n",
            lo = w.splat(Scalar::F32, "-0.3"),
            hi = w.splat(Scalar::F32, "0.5"),
        );
        self.add_helper(name, text)
    }
}
