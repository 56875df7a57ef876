//! Rust's integer methods for bit manipulation and multi-limb arithmetic: the `wrapping_*`
//! family (the language's operators already wrap), `count_ones`, `leading_zeros`,
//! `trailing_zeros`, `rotate_left/right`, `reverse_bits`, `to_bits`/`from_bits`, and the pair
//! results of `overflowing_add/sub`, `carrying_add`, `borrowing_sub` and `widening_mul`, which
//! are destructured (`let (lo, hi) = a.widening_mul(b);`, in `tuple.rs`) or taken apart (`.0`,
//! `.1`).

use super::scope::{push_if, push_let, Lowerer};
use crate::ir::*;
use syn::spanned::Spanned;

/// The methods returning a pair, with their argument counts besides the receiver.
const PAIR_METHODS: &[(&str, usize)] = &[
    ("overflowing_add", 1),
    ("overflowing_sub", 1),
    ("carrying_add", 2),
    ("borrowing_sub", 2),
    ("widening_mul", 1),
];

/// Whether `name` is a method returning a pair.
pub(super) fn is_pair_method(name: &str) -> bool {
    PAIR_METHODS.iter().any(|(n, _)| *n == name)
}

impl Lowerer<'_> {
    /// A single-result integer method call, or `None` when `name` is not one.
    pub(super) fn int_method(
        &mut self,
        mc: &syn::ExprMethodCall,
        name: &str,
        out: &mut Block,
    ) -> Option<ExprId> {
        let span = mc.span();
        let binary = match name {
            "wrapping_add" => Some(BinaryOp::Add),
            "wrapping_sub" => Some(BinaryOp::Sub),
            "wrapping_mul" => Some(BinaryOp::Mul),
            "wrapping_div" => Some(BinaryOp::Div),
            "wrapping_rem" => Some(BinaryOp::Rem),
            "wrapping_shl" => Some(BinaryOp::Shl),
            "wrapping_shr" => Some(BinaryOp::Shr),
            _ => None,
        };
        if let Some(op) = binary {
            if mc.args.len() != 1 {
                return Some(self.error_expr(span, format!("`{name}` takes one argument")));
            }
            let left = self.expr(&mc.receiver, out);
            let right = self.expr(&mc.args[0], out);
            return Some(self.push(Expr::Binary { op, left, right }, span));
        }
        if name == "wrapping_neg" {
            if !mc.args.is_empty() {
                return Some(self.error_expr(span, "`wrapping_neg` takes no arguments"));
            }
            let arg = self.expr(&mc.receiver, out);
            return Some(self.push(
                Expr::Unary {
                    op: UnaryOp::Neg,
                    arg,
                },
                span,
            ));
        }
        if is_pair_method(name) {
            let parts = if name == "widening_mul" {
                "(lo, hi)"
            } else {
                "(value, carry)"
            };
            return Some(self.error_expr(
                span,
                format!(
                    "`{name}` returns a pair: destructure it, `let {parts} = a.{name}(...);`, \
                     or take one part, `.0` or `.1`"
                ),
            ));
        }
        let (op, arity) = IntOp::from_method(name)?;
        if mc.args.len() != arity {
            return Some(self.error_expr(
                span,
                format!("`{name}` takes {arity} argument(s) besides the receiver"),
            ));
        }
        let mut args = vec![self.expr(&mc.receiver, out)];
        for a in &mc.args {
            args.push(self.expr(a, out));
        }
        Some(self.push(Expr::Int { op, args }, span))
    }

    /// `f32::from_bits(u)` / `f64::from_bits(u)`, or `None` when `c` is not such a call.
    pub(super) fn bits_to_float_call(
        &mut self,
        c: &syn::ExprCall,
        path: &[String],
        out: &mut Block,
    ) -> Option<ExprId> {
        let [ty, f] = path else { return None };
        if f != "from_bits" {
            return None;
        }
        let span = c.span();
        let to = match ty.as_str() {
            "f32" => Scalar::F32,
            "f64" => Scalar::F64,
            _ => {
                return Some(self.error_expr(
                    span,
                    format!(
                        "`{ty}::from_bits` is not supported; `f32::from_bits` and \
                         `f64::from_bits` are (kernels have no 16-bit integers)"
                    ),
                ))
            }
        };
        if c.args.len() != 1 {
            return Some(self.error_expr(span, "`from_bits` takes one argument"));
        }
        let arg = self.expr(&c.args[0], out);
        Some(self.push(
            Expr::Int {
                op: IntOp::FromBits(to),
                args: vec![arg],
            },
            span,
        ))
    }

    /// The two results of a pair method call `mc`, or `None` (with an error reported) when it is
    /// not one. The operands are evaluated once, into temporaries.
    pub(super) fn pair_call(
        &mut self,
        mc: &syn::ExprMethodCall,
        out: &mut Block,
    ) -> Option<(ExprId, ExprId)> {
        let span = mc.span();
        let name = mc.method.to_string();
        let Some(&(_, arity)) = PAIR_METHODS.iter().find(|(n, _)| *n == name) else {
            self.error(
                span,
                format!(
                    "only the pair results of {} can be destructured or taken apart",
                    PAIR_METHODS
                        .iter()
                        .map(|(n, _)| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            return None;
        };
        if mc.args.len() != arity {
            self.error(
                span,
                format!("`{name}` takes {arity} argument(s) besides the receiver"),
            );
            return None;
        }
        let mut operands = Vec::new();
        for e in std::iter::once(&*mc.receiver).chain(&mc.args) {
            let v = self.expr(e, out);
            let t = self.temp(None, e.span());
            push_let(out, t, Some(v), e.span());
            operands.push(t);
        }
        let local = |this: &mut Self, l: LocalId| this.push(Expr::Local(l), span);
        let (a, b) = (local(self, operands[0]), local(self, operands[1]));
        let carry = match arity {
            2 => local(self, operands[2]),
            _ => self.push(Expr::Literal(Literal::Bool(false)), span),
        };
        let binary =
            |this: &mut Self, op, left, right| this.push(Expr::Binary { op, left, right }, span);
        let (op, second) = match name.as_str() {
            "overflowing_add" | "carrying_add" => (BinaryOp::Add, IntOp::AddCarry),
            "overflowing_sub" | "borrowing_sub" => (BinaryOp::Sub, IntOp::SubBorrow),
            _ => (BinaryOp::Mul, IntOp::MulHi),
        };
        let mut value = binary(self, op, a, b);
        let mut args = vec![a, b];
        if arity == 2 {
            // `a + b + (c as T)` with T known only after typing: an integer local that is 1
            // when `c` holds, typed by its use.
            let bit = self.temp(None, span);
            let zero = self.push(Expr::Literal(Literal::Int(0, None)), span);
            push_let(out, bit, Some(zero), span);
            let one = self.push(Expr::Literal(Literal::Int(1, None)), span);
            let mut set = Block::new();
            set.push(
                Stmt::Assign {
                    local: bit,
                    value: one,
                },
                span,
            );
            push_if(out, carry, set, Block::new(), span);
            let bit = local(self, bit);
            value = binary(self, op, value, bit);
        }
        if second != IntOp::MulHi {
            args.push(carry);
        }
        let second = self.push(Expr::Int { op: second, args }, span);
        Some((value, second))
    }

    /// `call.0` or `call.1` of a pair method call.
    pub(super) fn pair_field(&mut self, f: &syn::ExprField, out: &mut Block) -> ExprId {
        let span = f.span();
        let index = match &f.member {
            syn::Member::Unnamed(i) if i.index < 2 => i.index,
            _ => return self.error_expr(f.member.span(), "a pair has the fields `.0` and `.1`"),
        };
        let mut base = &*f.base;
        while let syn::Expr::Paren(p) = base {
            base = &p.expr;
        }
        let syn::Expr::MethodCall(mc) = base else {
            return self.error_expr(
                span,
                "tuple fields (`.0`, `.1`) apply only to the pair results of `overflowing_add`, \
                 `carrying_add`, `widening_mul`, ...",
            );
        };
        match self.pair_call(mc, out) {
            Some((v, c)) => [v, c][index as usize],
            None => self.push(Expr::Error, span),
        }
    }
}
