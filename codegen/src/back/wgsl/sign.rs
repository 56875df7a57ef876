//! `signum`, `copysign` and `hypot`, which WGSL lacks (its `sign` gives 0 for zeros, where
//! Rust's `signum` gives +-1 by the sign bit).
//!
//! - `signum` and `copysign` read the sign bit of an `f32` through `bitcast`; `f16` values
//!   convert to `f32` and back exactly, and `f64` ones (WGSL has no 64-bit bitcast) give their
//!   sign to an `f32` conversion, which keeps it (zeros and NaNs included).
//! - `hypot` scales by the larger magnitude, `m * sqrt(1 + (n / m)^2)`, so that no square
//!   overflows; both infinite gives infinity. NaN arguments give an unspecified result (WGSL's
//!   `max` and `min` do not say what they do with NaN).

use super::ops::Width;
use super::types::value;
use super::writer::Writer;
use crate::ir::{ConstValue, MathFn, Scalar};

impl Writer<'_> {
    /// `fun` (`Signum`, `Copysign` or `Hypot`) of the written arguments `a` of type `t`.
    pub(super) fn sign_fn(&mut self, fun: MathFn, t: Scalar, a: &[String], w: Width) -> String {
        let f32t = w.ty(Scalar::F32);
        let tt = w.ty(t);
        match (fun, t) {
            (MathFn::Hypot, Scalar::F32 | Scalar::F64) => {
                format!("{}({}, {})", self.hypot_helper(t, w), a[0], a[1])
            }
            (MathFn::Hypot, _) => format!(
                "{tt}({}({f32t}({}), {f32t}({})))",
                self.hypot_helper(Scalar::F32, w),
                a[0],
                a[1]
            ),
            (MathFn::Signum, Scalar::F32) => format!("{}({})", self.signum_helper(w), a[0]),
            (MathFn::Signum, _) => {
                format!("{tt}({}({f32t}({})))", self.signum_helper(w), a[0])
            }
            (_, Scalar::F32) => format!("{}({}, {})", self.copysign_helper(w), a[0], a[1]),
            (_, Scalar::F64) => {
                let neg = self.sign_bit_helper(w);
                format!(
                    "select(abs({x}), -abs({x}), {neg}({f32t}({})))",
                    a[1],
                    x = a[0]
                )
            }
            _ => format!(
                "{tt}({}({f32t}({}), {f32t}({})))",
                self.copysign_helper(w),
                a[0],
                a[1]
            ),
        }
    }

    fn sign_bit_helper(&mut self, w: Width) -> String {
        let name = format!("kf_sign_bit{}", w.suffix());
        let (t, u, b) = (w.ty(Scalar::F32), w.ty(Scalar::U32), w.ty(Scalar::Bool));
        let text = format!(
            "fn {name}(x: {t}) -> {b} {{\n    \
             return (bitcast<{u}>(x) & {}) != {};\n}}\n",
            w.splat(Scalar::U32, "0x80000000u"),
            w.splat(Scalar::U32, "0u")
        );
        self.add_helper(name, text)
    }

    fn signum_helper(&mut self, w: Width) -> String {
        let neg = self.sign_bit_helper(w);
        let name = format!("kf_signum{}", w.suffix());
        let t = w.ty(Scalar::F32);
        let text = format!(
            "fn {name}(x: {t}) -> {t} {{\n    \
             // Rust's signum: +-1 by the sign bit, zeros included; NaN stays NaN.\n    \
             return select(select({one}, {minus}, {neg}(x)), x, !(x == x));\n}}\n",
            one = w.splat(Scalar::F32, "1.0f"),
            minus = w.splat(Scalar::F32, "-1.0f"),
        );
        self.add_helper(name, text)
    }

    fn copysign_helper(&mut self, w: Width) -> String {
        let name = format!("kf_copysign{}", w.suffix());
        let (t, u) = (w.ty(Scalar::F32), w.ty(Scalar::U32));
        let text = format!(
            "fn {name}(x: {t}, y: {t}) -> {t} {{\n    \
             return bitcast<{t}>((bitcast<{u}>(x) & {}) | (bitcast<{u}>(y) & {}));\n}}\n",
            w.splat(Scalar::U32, "0x7fffffffu"),
            w.splat(Scalar::U32, "0x80000000u")
        );
        self.add_helper(name, text)
    }

    fn hypot_helper(&mut self, s: Scalar, w: Width) -> String {
        let name = match s {
            Scalar::F32 => format!("kf_hypot{}", w.suffix()),
            _ => format!("kf_hypot_f64{}", w.suffix()),
        };
        let t = w.ty(s);
        let one = w.splat(s, &value(s, ConstValue::Float(1.0)));
        let zero = w.splat(s, &value(s, ConstValue::Float(0.0)));
        let text = format!(
            "fn {name}(x: {t}, y: {t}) -> {t} {{\n    \
             // Scaled by the larger magnitude, so that no square overflows.\n    \
             let m = max(abs(x), abs(y));\n    \
             let r = min(abs(x), abs(y)) / select(m, {one}, m == {zero});\n    \
             // r is NaN only when both are infinite: the result is then m.\n    \
             return select(m * sqrt({one} + r * r), m, !(r == r));\n}}\n"
        );
        self.add_helper(name, text)
    }
}
