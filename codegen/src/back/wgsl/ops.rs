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

    fn suffix(self) -> &'static str {
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

/// `e`, of type `from`, converted to `to`.
pub(super) fn cast(from: Scalar, to: Scalar, e: String, w: Width) -> String {
    if from == to {
        e
    } else {
        format!("{}({e})", w.ty(to))
    }
}

impl Writer<'_> {
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
        if t == Scalar::F64 && matches!(fun, Exp | Exp2 | Ln | Log2 | Tanh | Sin | Cos | Pow) {
            let a: Vec<String> = a.iter().map(|x| format!("f32({x})")).collect();
            return format!("f64({})", self.math(fun, Scalar::F32, &a, w));
        }
        let name = match fun {
            MathFn::Ln => "log".to_string(),
            MathFn::MulAdd => "fma".to_string(),
            MathFn::Round => self.round_helper(t, w),
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
        self.helpers.entry(name.clone()).or_insert(text);
        name
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
        self.helpers.entry(name.clone()).or_insert(text);
        name
    }
}
