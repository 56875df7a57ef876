//! Expressions: literals, names, operators, casts, indexing, id components and method calls.

use super::call::{builtin_call, math_list, path_names};
use super::scope::{push_if, push_let, Binding, Lowerer};
use super::types;
use crate::ir::*;
use syn::spanned::Spanned;

impl Lowerer<'_> {
    /// Lowers a value expression; `if` expressions inside it become statements in `out`.
    pub(crate) fn expr(&mut self, expr: &syn::Expr, out: &mut Block) -> ExprId {
        let span = expr.span();
        // Vectors (`vector.rs`): a lane, `dot` or `sum` is a scalar; a vector itself is not.
        if let Some(v) = self.vector_scalar(expr, out) {
            return v;
        }
        if let Some(width) = self.vector_width(expr) {
            return self.vector_as_scalar(expr, width);
        }
        match expr {
            syn::Expr::Lit(l) => self.literal(&l.lit),
            syn::Expr::Paren(p) => self.expr(&p.expr, out),
            syn::Expr::Group(g) => self.expr(&g.expr, out),
            syn::Expr::Path(p) => self.path(p),
            syn::Expr::Unary(u) => {
                let op = match u.op {
                    syn::UnOp::Neg(_) => UnaryOp::Neg,
                    syn::UnOp::Not(_) => UnaryOp::Not,
                    syn::UnOp::Deref(_) => {
                        return self.error_expr(
                            span,
                            "kernels have no references to dereference; use the value itself",
                        )
                    }
                    _ => return self.error_expr(span, "unsupported unary operator"),
                };
                let arg = self.expr(&u.expr, out);
                self.push(Expr::Unary { op, arg }, span)
            }
            syn::Expr::Binary(b) => {
                let Some(op) = binary_op(&b.op) else {
                    return self.error_expr(
                        span,
                        "compound assignment is a statement, not a value; write it on its \
                         own line",
                    );
                };
                let left = self.expr(&b.left, out);
                let mut pre = Block::new();
                let right = self.expr(&b.right, &mut pre);
                if pre.is_empty() || !matches!(op, BinaryOp::And | BinaryOp::Or) {
                    out.append(&mut pre);
                    if let Some(lit) = self.fold(op, left, right) {
                        return self.push(Expr::Literal(lit), span);
                    }
                    return self.push(Expr::Binary { op, left, right }, span);
                }
                // The right operand needs statements (an `if` expression or an atomic): run
                // them only when it is evaluated, keeping `&&`/`||` short-circuit.
                let tmp = self.temp(Some(Scalar::Bool), span);
                push_let(out, tmp, Some(left), span);
                let mut cond = self.push(Expr::Local(tmp), span);
                if op == BinaryOp::Or {
                    cond = self.push(
                        Expr::Unary {
                            op: UnaryOp::Not,
                            arg: cond,
                        },
                        span,
                    );
                }
                pre.push(
                    Stmt::Assign {
                        local: tmp,
                        value: right,
                    },
                    span,
                );
                push_if(out, cond, pre, Block::new(), span);
                self.push(Expr::Local(tmp), span)
            }
            syn::Expr::Cast(c) => {
                let inner = self.expr(&c.expr, out);
                match types::scalar(&c.ty) {
                    Ok(to) => self.push(Expr::Cast { expr: inner, to }, span),
                    Err(mut e) => {
                        if e.message.contains("usize") {
                            e.message = "indices are `u32` in kernels, so `as usize` is not \
                                         needed: index with the `u32` directly (`x[i]`)"
                                .into();
                        }
                        self.errors.push(e);
                        self.push(Expr::Error, span)
                    }
                }
            }
            syn::Expr::Index(_) if self.atomic_target(expr).is_some() => {
                let t = self.atomic_target(expr).expect("checked");
                let msg = self.plain_atomic_access(t, false);
                self.error_expr(span, msg)
            }
            syn::Expr::Index(ix) if self.array_root(&ix.expr).is_some() => {
                let array = self.array_root(&ix.expr).expect("checked");
                let index = self.array_index(ix, out);
                self.push(Expr::ArrayLoad { array, index }, span)
            }
            syn::Expr::Index(ix) => {
                let Some(slice) = self.slice_param(&ix.expr) else {
                    return self.push(Expr::Error, span);
                };
                let index = self.expr(&ix.index, out);
                self.push(Expr::Load { slice, index }, span)
            }
            syn::Expr::Field(f) if matches!(f.member, syn::Member::Unnamed(_)) => {
                self.pair_field(f, out)
            }
            syn::Expr::Field(f) => self.field(f),
            syn::Expr::MethodCall(mc) => self.method_call(mc, out),
            syn::Expr::Call(c) => self.call(c, out),
            syn::Expr::If(_) | syn::Expr::Block(_) => {
                let tmp = self.temp(None, span);
                push_let(out, tmp, None, span);
                self.value_into(expr, tmp, out);
                self.push(Expr::Local(tmp), span)
            }
            syn::Expr::Closure(_) => self.error_expr(
                span,
                "closures are not supported in kernels; write the code inline or in a \
                 function marked #[kernel_fn]",
            ),
            syn::Expr::Reference(_) => self.error_expr(
                span,
                "references to locals are not supported in kernels; use the value itself",
            ),
            syn::Expr::Macro(_) => self.error_expr(
                span,
                "macros are not supported in kernels (no println!/assert! on a GPU)",
            ),
            syn::Expr::Match(_) => self.error_expr(
                span,
                "`match` is not supported in kernels yet; write `if`/`else if` chains",
            ),
            syn::Expr::Array(_) | syn::Expr::Repeat(_) => self.error_expr(
                span,
                "array values are not supported yet; use slice parameters",
            ),
            syn::Expr::Tuple(_) | syn::Expr::Struct(_) => self.error_expr(
                span,
                "tuples and structs are not supported in kernels; use separate scalars",
            ),
            syn::Expr::Range(_) => self.error_expr(
                span,
                "ranges are only supported as the iterator of a `for` loop",
            ),
            syn::Expr::Unsafe(_) => self.error_expr(
                span,
                "`unsafe` blocks are not allowed in kernels; accesses are checked by kernelforge",
            ),
            _ => self.error_expr(span, "this expression is not supported in kernels"),
        }
    }

    pub(super) fn literal(&mut self, lit: &syn::Lit) -> ExprId {
        let span = lit.span();
        let suffix = |s: &str| -> Result<Option<Scalar>, String> {
            match s {
                "" => Ok(None),
                "usize" => Err("indices are `u32` in kernels; use the `u32` suffix".into()),
                "bool" => Err(format!("literal suffix `{s}` is not supported")),
                other => Scalar::from_rust_name(other).map(Some).ok_or_else(|| {
                    format!(
                        "literal suffix `{other}` is not supported; use `f16`, `bf16`, `f32`, \
                         `f64`, `i32`, `u32`, `i64` or `u64`"
                    )
                }),
            }
        };
        match lit {
            syn::Lit::Int(i) => match suffix(i.suffix()) {
                Ok(Some(f)) if f.is_float() => match i.base10_parse::<f64>() {
                    Ok(v) => self.push(Expr::Literal(Literal::Float(v, Some(f))), span),
                    Err(e) => self.error_expr(span, e.to_string()),
                },
                Ok(ty) => match i.base10_parse::<u64>() {
                    Ok(v) if v <= literal_max(ty) => {
                        self.push(Expr::Literal(Literal::Int(v, ty)), span)
                    }
                    _ => self.error_expr(
                        span,
                        format!(
                            "integer literal out of range for `{}`",
                            ty.map_or("u32", Scalar::rust_name)
                        ),
                    ),
                },
                Err(m) => self.error_expr(span, m),
            },
            syn::Lit::Float(f) => match suffix(f.suffix()) {
                Ok(ty) if ty.is_none_or(Scalar::is_float) => match f.base10_parse::<f64>() {
                    Ok(v) => self.push(Expr::Literal(Literal::Float(v, ty)), span),
                    Err(e) => self.error_expr(span, e.to_string()),
                },
                Ok(_) => self.error_expr(span, "a float literal cannot have an integer suffix"),
                Err(m) => self.error_expr(span, m),
            },
            syn::Lit::Bool(b) => self.push(Expr::Literal(Literal::Bool(b.value)), span),
            syn::Lit::Str(_) | syn::Lit::ByteStr(_) | syn::Lit::CStr(_) => {
                self.error_expr(span, "strings do not exist in kernels")
            }
            _ => self.error_expr(span, "this literal is not supported in kernels"),
        }
    }

    pub(super) fn path(&mut self, p: &syn::ExprPath) -> ExprId {
        let span = p.span();
        if let Some(ident) = p.path.get_ident() {
            let name = ident.to_string();
            return match self.lookup(&name) {
                Some(Binding::Local(l)) => self.push(Expr::Local(l), span),
                Some(Binding::Param(id)) => match self.kernel.param(id).kind {
                    ParamKind::Scalar(_) => self.push(Expr::Param(id), span),
                    ParamKind::Slice { .. } => self.error_expr(
                        span,
                        format!(
                            "a slice is not a value; index it (`{name}[i]`) or take its \
                             length (`{name}.len()`)"
                        ),
                    ),
                },
                Some(Binding::Builtin(b)) => self.error_expr(
                    span,
                    format!(
                        "`{name}` holds `{}()`; read a component: `{name}.x`",
                        b.name()
                    ),
                ),
                Some(Binding::Array(_)) => self.error_expr(
                    span,
                    format!("an array is not a value; index it: `{name}[i]`"),
                ),
                Some(Binding::Const(lit)) => self.push(Expr::Literal(lit), span),
                Some(Binding::Vector(_)) => unreachable!("vectors are lowered in `vector.rs`"),
                Some(Binding::Matrix(_)) => self.error_expr(
                    span,
                    format!(
                        "`{name}` is a matrix fragment, which its warp holds as a whole: \
                         it is used only by `matrix_mma`, `matrix_store` and \
                         `matrix_scale_rows`; store it to memory to read its elements"
                    ),
                ),
                None => self.error_expr(
                    span,
                    format!(
                        "cannot find value `{name}` in this kernel (a `const` outside the \
                         kernel is not visible to it; declare it inside the kernel's body)"
                    ),
                ),
            };
        }
        let segs = path_names(&p.path);
        if segs.len() == 2 {
            if let Some(c) = Constant::from_path(&segs[0], &segs[1]) {
                return self.push(Expr::Constant(c), span);
            }
        }
        if let Some(lit) = super::math_consts::math_constant(&segs) {
            return self.push(Expr::Literal(lit), span);
        }
        self.error_expr(
            span,
            format!(
                "`{}` is not available in kernels; constants such as `f32::MAX`, \
                 `f16::EPSILON` and `u64::MAX` are, and `std::f32::consts::*` and \
                 `std::f64::consts::*` ({})",
                segs.join("::"),
                super::math_consts::names()
            ),
        )
    }

    pub(super) fn field(&mut self, f: &syn::ExprField) -> ExprId {
        let span = f.span();
        let axis = match &f.member {
            syn::Member::Named(n) if n == "x" => Axis::X,
            syn::Member::Named(n) if n == "y" => Axis::Y,
            syn::Member::Named(n) if n == "z" => Axis::Z,
            _ => {
                return self.error_expr(
                    f.member.span(),
                    "id intrinsics have the components `.x`, `.y` and `.z`",
                )
            }
        };
        let builtin = match &*f.base {
            syn::Expr::Path(p) => {
                match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                    Some(Binding::Builtin(b)) => Some(b),
                    _ => None,
                }
            }
            other => builtin_call(other),
        };
        match builtin {
            Some(b) => self.push(Expr::Builtin(b, axis), span),
            None => self.error_expr(
                span,
                "field access works only on id intrinsics, such as `global_id().x`",
            ),
        }
    }

    pub(super) fn method_call(&mut self, mc: &syn::ExprMethodCall, out: &mut Block) -> ExprId {
        let span = mc.span();
        let name = mc.method.to_string();
        if self.atomic_target(&mc.receiver).is_some() {
            return match self.atomic(mc, true, out) {
                Some(l) => self.push(Expr::Local(l), span),
                None => self.push(Expr::Error, span),
            };
        }
        if mc.turbofish.is_some() {
            return self.error_expr(span, "turbofish (`::<T>`) is not supported in kernels");
        }
        if name == "len" {
            if !mc.args.is_empty() {
                return self.error_expr(span, "`len()` takes no arguments");
            }
            return match self.slice_param(&mc.receiver) {
                Some(id) => self.push(Expr::Len(id), span),
                None => self.push(Expr::Error, span),
            };
        }
        if let Some(e) = self.int_method(mc, &name, out) {
            return e;
        }
        let Some(fun) = MathFn::from_name(&name) else {
            return self.error_expr(
                mc.method.span(),
                format!(
                    "method `{name}` is not supported in kernels; the supported methods are \
                     `len`, the integer methods `wrapping_*`, `overflowing_add/sub`, \
                     `carrying_add`, `borrowing_sub`, `widening_mul`, `count_ones`, \
                     `leading_zeros`, `trailing_zeros`, `rotate_left/right`, `reverse_bits`, \
                     `to_bits`, `is_nan`, `is_finite`, and the math functions {}",
                    math_list()
                ),
            );
        };
        if mc.args.len() + 1 != fun.arity() {
            return self.error_expr(
                span,
                format!(
                    "`{name}` takes {} argument(s) besides the receiver",
                    fun.arity() - 1
                ),
            );
        }
        let mut args = vec![self.expr(&mc.receiver, out)];
        for a in &mc.args {
            args.push(self.expr(a, out));
        }
        self.push(Expr::Math { fun, args }, span)
    }

    pub(super) fn slice_param(&mut self, expr: &syn::Expr) -> Option<ParamId> {
        let syn::Expr::Path(p) = expr else {
            self.error(
                expr.span(),
                "only slice parameters can be indexed, such as `x[i]`",
            );
            return None;
        };
        let name = p.path.get_ident().map(|i| i.to_string());
        match name.as_deref().and_then(|n| self.lookup(n)) {
            Some(Binding::Param(id))
                if matches!(self.kernel.param(id).kind, ParamKind::Slice { .. }) =>
            {
                Some(id)
            }
            Some(_) => {
                self.error(
                    expr.span(),
                    "only slice parameters and arrays can be indexed",
                );
                None
            }
            None => {
                self.error(expr.span(), "cannot find this slice");
                None
            }
        }
    }

    /// `+ - * /` of two non-negative integer literals of one type, folded, so that constants
    /// such as a helper's `N / 2` cost nothing at run time. Overflow, negative results and
    /// division by zero are left to run time, where they wrap as the language says.
    pub(super) fn fold(&self, op: BinaryOp, left: ExprId, right: ExprId) -> Option<Literal> {
        let (Expr::Literal(Literal::Int(a, ta)), Expr::Literal(Literal::Int(b, tb))) =
            (self.kernel.expr(left), self.kernel.expr(right))
        else {
            return None;
        };
        let ty = match (ta, tb) {
            (Some(x), Some(y)) if x != y => return None,
            (Some(x), _) | (_, Some(x)) => Some(*x),
            (None, None) => None,
        };
        let v = match op {
            BinaryOp::Add => a.checked_add(*b),
            BinaryOp::Sub => a.checked_sub(*b),
            BinaryOp::Mul => a.checked_mul(*b),
            BinaryOp::Div => a.checked_div(*b),
            _ => None,
        }?;
        // Unsuffixed results stay within `i32`, the type they default to.
        let max = ty.map_or(i32::MAX as u64, |s| literal_max(Some(s)));
        (v <= max).then_some(Literal::Int(v, ty))
    }
}

/// The largest value an integer literal of type `ty` may have (an unsuffixed one may be up to
/// `u32::MAX` or, in a 64-bit context, `u64::MAX`; `valid` checks it against its type).
fn literal_max(ty: Option<Scalar>) -> u64 {
    match ty {
        Some(s) => s.int_range().map_or(0, |(_, hi)| hi as u64),
        None => u64::MAX,
    }
}

pub(super) fn binary_op(op: &syn::BinOp) -> Option<BinaryOp> {
    use syn::BinOp as B;
    Some(match op {
        B::Add(_) => BinaryOp::Add,
        B::Sub(_) => BinaryOp::Sub,
        B::Mul(_) => BinaryOp::Mul,
        B::Div(_) => BinaryOp::Div,
        B::Rem(_) => BinaryOp::Rem,
        B::And(_) => BinaryOp::And,
        B::Or(_) => BinaryOp::Or,
        B::BitXor(_) => BinaryOp::BitXor,
        B::BitAnd(_) => BinaryOp::BitAnd,
        B::BitOr(_) => BinaryOp::BitOr,
        B::Shl(_) => BinaryOp::Shl,
        B::Shr(_) => BinaryOp::Shr,
        B::Eq(_) => BinaryOp::Eq,
        B::Lt(_) => BinaryOp::Lt,
        B::Le(_) => BinaryOp::Le,
        B::Ne(_) => BinaryOp::Ne,
        B::Ge(_) => BinaryOp::Ge,
        B::Gt(_) => BinaryOp::Gt,
        _ => return None,
    })
}
