//! Operators, casts, math calls and helper functions, written once for both kinds of WGSL
//! module: the scalar module (values are scalars) and the `x4` module (values are `vec4`s).

use super::writer::{ty, Writer};
use crate::ir::*;

/// The width of the values an expression writer produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Width {
    /// One value per invocation (the scalar module).
    Scalar,
    /// Four lanes per invocation (the `x4` module).
    X4,
}

impl Width {
    /// The WGSL type of a value of `s` at this width.
    pub(super) fn ty(self, s: Scalar) -> String {
        match self {
            Width::Scalar => ty(s).to_string(),
            Width::X4 => format!("vec4<{}>", ty(s)),
        }
    }

    /// The scalar expression `v` of type `s` at this width (splatted for `X4`).
    pub(super) fn splat(self, s: Scalar, v: &str) -> String {
        match self {
            Width::Scalar => v.to_string(),
            Width::X4 => format!("vec4<{}>({v})", ty(s)),
        }
    }

    pub(super) fn suffix(self) -> &'static str {
        match self {
            Width::Scalar => "",
            Width::X4 => "_x4",
        }
    }
}

/// `op a` where `a` has type `t`.
pub(super) fn unary(op: UnaryOp, t: Scalar, a: &str) -> String {
    match (op, t) {
        (UnaryOp::Neg, _) => format!("(-{a})"),
        (UnaryOp::Not, Scalar::Bool) => format!("(!{a})"),
        (UnaryOp::Not, _) => format!("(~{a})"),
    }
}

impl Writer<'_> {
    /// `e`, of type `from`, converted to `to`, neither of them `bf16` nor a 64-bit integer.
    /// WGSL clamps a float to the range of `from` values that fit the integer (`f32` to `i32`
    /// gives at most 2^31 - 128) and leaves NaN open, so float-to-integer casts call helpers
    /// that saturate and give 0 for NaN, as Rust's `as`. `f16` to integers goes through `f32`
    /// (the clamp would stop at 65504), and `f64` to `f16` rounds to odd in `f32` first (a
    /// driver may convert through `f32`, rounding twice).
    pub(super) fn cast(&mut self, from: Scalar, to: Scalar, e: String, w: Width) -> String {
        use Scalar::*;
        match (from, to) {
            (a, b) if a == b => e,
            (F16, I32 | U32) => {
                let e = format!("{}({e})", w.ty(F32));
                self.cast(F32, to, e, w)
            }
            (F32 | F64, I32 | U32) => {
                let name = self.float_to_int_helper(from, to, w);
                format!("{name}({e})")
            }
            (F64, F16) => format!("f16({}({e}))", self.use_helper("kf_f64_to_odd_f32")),
            _ => format!("{}({e})", w.ty(to)),
        }
    }

    /// The helper converting float type `from` (`f32`, `f64`) to `to` (`i32`, `u32`).
    fn float_to_int_helper(&mut self, from: Scalar, to: Scalar, w: Width) -> String {
        let name = format!("kf_{}_to_{}{}", ty(from), ty(to), w.suffix());
        let (max, limit) = match (from, to) {
            (Scalar::F32, Scalar::I32) => ("2147483647i", "2147483648.0f"),
            (Scalar::F32, _) => ("4294967295u", "4294967296.0f"),
            (_, Scalar::I32) => ("2147483647i", "2147483648.0lf"),
            _ => ("4294967295u", "4294967296.0lf"),
        };
        // NaN: on the bits for f32 (no driver may assume it away); f64 has no 64-bit bitcast, and naga's `!=` is an ordered comparison, false for NaN.
        let nan = if from == Scalar::F32 {
            format!(
                "(bitcast<{}>(x) & {}) > {}",
                w.ty(Scalar::U32),
                w.splat(Scalar::U32, "0x7fffffffu"),
                w.splat(Scalar::U32, "0x7f800000u")
            )
        } else {
            "!(x == x)".to_string()
        };
        let text = format!(
            "// Rust's `as`: saturating, NaN to 0 (WGSL clamps below the integer's maximum).\n\
             fn {name}(x: {ft}) -> {it} {{\n    \
             return select(select({it}(x), {max}, x >= {limit}), {zero}, {nan});\n}}\n",
            ft = w.ty(from),
            it = w.ty(to),
            max = w.splat(to, max),
            limit = w.splat(from, limit),
            zero = w.splat(to, if to == Scalar::I32 { "0i" } else { "0u" }),
        );
        self.add_helper(name, text)
    }

    /// `l op r`, where `l` has type `lt` and `right` is `r`'s expression; integer `/` and `%`
    /// call helpers that define division by zero (and `i32::MIN / -1`), unless `r` is a
    /// nonzero integer literal, which needs neither.
    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        lt: Scalar,
        (l, r): (&str, &str),
        right: ExprId,
        w: Width,
    ) -> String {
        let nonzero =
            matches!(*self.kernel.expr(right), Expr::Literal(Literal::Int(v, _)) if v != 0);
        match op {
            BinaryOp::Div | BinaryOp::Rem if lt.is_int() && !nonzero => {
                let name = self.int_div_helper(op == BinaryOp::Div, lt, w);
                format!("{name}({l}, {r})")
            }
            BinaryOp::Shl | BinaryOp::Shr => {
                format!(
                    "({l} {} ({r} & {}))",
                    op.symbol(),
                    w.splat(Scalar::U32, "31u")
                )
            }
            // `&&` and `||` take scalars only. In the x4 module both sides are evaluated
            // anyway: nothing in the vector shape can fault.
            BinaryOp::And if w == Width::X4 => format!("({l} & {r})"),
            BinaryOp::Or if w == Width::X4 => format!("({l} | {r})"),
            BinaryOp::BitAnd if lt == Scalar::Bool => format!("({l} & {r})"),
            BinaryOp::BitOr if lt == Scalar::Bool => format!("({l} | {r})"),
            BinaryOp::BitXor if lt == Scalar::Bool => format!("({l} != {r})"),
            _ => format!("({l} {} {r})", op.symbol()),
        }
    }

    /// A call of `fun` at type `t` on the written arguments `a`; `round` calls a helper.
    /// SPIR-V's extended instructions take no `f64` for the transcendental functions, so those
    /// compute in `f32` (the README states their precision).
    pub(super) fn math(&mut self, fun: MathFn, t: Scalar, a: &[String], w: Width) -> String {
        use MathFn::*;
        if t == Scalar::F64
            && matches!(
                fun,
                Exp | Exp2
                    | Ln
                    | Log2
                    | Log10
                    | Tanh
                    | Sin
                    | Cos
                    | Pow
                    | Sinh
                    | Cosh
                    | Tan
                    | Asin
                    | Acos
                    | Atan
                    | Atan2
                    | Erf
                    | ExpM1
                    | Ln1p
            )
        {
            let a: Vec<String> = a.iter().map(|x| format!("f32({x})")).collect();
            return format!("f64({})", self.math(fun, Scalar::F32, &a, w));
        }
        let name = match fun {
            MathFn::Ln => "log".to_string(),
            MathFn::MulAdd => "fma".to_string(),
            MathFn::Round => self.round_helper(t, w),
            MathFn::Signum | MathFn::Copysign | MathFn::Hypot => return self.sign_fn(fun, t, a, w),
            MathFn::Erf | MathFn::ExpM1 | MathFn::Ln1p => return self.special_fn(fun, t, &a[0], w),
            MathFn::Rsqrt => "inverseSqrt".to_string(),
            // WGSL has neither: `1 / x` (an abstract literal takes x's type) and log2 scaled.
            MathFn::Recip => return format!("(1.0 / {})", a[0]),
            MathFn::Log10 => return format!("(log2({}) * 0.3010299956639812)", a[0]),
            // WGSL's abs(i32::MIN) is i32::MIN, as in the kernel language.
            f => f.name().to_string(),
        };
        format!("{name}({})", a.join(", "))
    }

    /// The helper for integer `/` (`div`) or `%` of type `s`: the kernel language's results
    /// for a zero divisor and `i32::MIN / -1` (WGSL defines them the same way; the helper
    /// makes every driver agree).
    fn int_div_helper(&mut self, div: bool, s: Scalar, w: Width) -> String {
        let op = if div { "/" } else { "%" };
        let name = format!(
            "kf_{}_{}{}",
            if div { "div" } else { "rem" },
            ty(s),
            w.suffix()
        );
        let t = w.ty(s);
        let body = if s == Scalar::I32 {
            let (or, and) = match w {
                Width::Scalar => ("||", "&&"),
                Width::X4 => ("|", "&"),
            };
            format!(
                "    let special = (b == {zero}) {or} ((a == {min}) {and} (b == {minus_one}));\n    \
                 return a {op} select(b, {one}, special);\n",
                zero = w.splat(s, "0i"),
                min = w.splat(s, "i32(-2147483648)"),
                minus_one = w.splat(s, "-1i"),
                one = w.splat(s, "1i"),
            )
        } else {
            format!(
                "    return a {op} select(b, {}, b == {});\n",
                w.splat(s, "1u"),
                w.splat(s, "0u")
            )
        };
        let text = format!("fn {name}(a: {t}, b: {t}) -> {t} {{\n{body}}}\n");
        self.add_helper(name, text)
    }

    /// The helper for `round`: half away from zero, as Rust's `f32::round` and CUDA's
    /// `roundf` (WGSL's `round` is half to even).
    fn round_helper(&mut self, s: Scalar, w: Width) -> String {
        let name = match s {
            Scalar::F32 => format!("kf_round{}", w.suffix()),
            _ => format!("kf_round_{}{}", ty(s), w.suffix()),
        };
        let t = w.ty(s);
        let half = super::types::value(s, ConstValue::Float(0.5));
        let text = format!(
            "fn {name}(x: {t}) -> {t} {{\n    \
             // Half away from zero, as Rust's f32::round and CUDA's roundf.\n    \
             let t = trunc(x);\n    \
             return select(t, t + sign(x), abs(x - t) >= {});\n}}\n",
            w.splat(s, &half)
        );
        self.add_helper(name, text)
    }
}
