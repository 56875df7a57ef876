//! `Vec2<T>` and `Vec4<T>` values: loads and stores of a slice or workgroup array at a vector
//! index, lane access (`v.x`, `v.y`, `v.z`, `v.w`), lane-wise arithmetic and math, `dot` and
//! `sum`.
//!
//! A vector exists only here: a vector binding is one local per lane, and every vector
//! expression is lowered to one scalar expression per lane, so that typing, uniformity and the
//! back ends see ordinary scalars. The accesses are the exception: they become one
//! [`VectorOp`], which the back ends widen (CUDA `float4`, ...).
//!
//! The statements that bind, assign and store vectors are in `vector_stmt.rs`.
//!
//! Which expressions are vectors is decided from the syntax and the names in scope
//! ([`Lowerer::vector_width`]), as Rust's types would: a name bound to a vector, a `Vec2::`/
//! `Vec4::` constructor or load, arithmetic with a vector operand, a method on a vector.

use super::expr::binary_op;
use super::scope::{push_let, Binding, Lowerer};
use crate::ir::*;
use syn::spanned::Spanned;

/// Why a vector access takes no private array, for [`Lowerer::memory_arg`]'s message.
pub(super) const PRIVATE: &str = "a private array is indexed lane by lane";

/// The lanes' names, in order.
pub(super) const LANES: [&str; 4] = ["x", "y", "z", "w"];

/// A vector bound to a name: one local per lane.
#[derive(Clone, Copy)]
pub(crate) struct VectorLocals {
    pub(super) lanes: [LocalId; 4],
    /// 2 or 4.
    pub(super) width: usize,
    /// Declared `let mut`: lanes and the whole vector may be assigned.
    pub(super) mutable: bool,
}

impl VectorLocals {
    pub(super) fn lanes(&self) -> &[LocalId] {
        &self.lanes[..self.width]
    }
}

/// The width a vector type's name gives (`Vec2`: 2, `Vec4`: 4).
fn width_of_name(name: &str) -> Option<usize> {
    match name {
        "Vec2" => Some(2),
        "Vec4" => Some(4),
        _ => None,
    }
}

/// The type name of a width.
pub(super) fn type_name(width: usize) -> &'static str {
    if width == 2 {
        "Vec2"
    } else {
        "Vec4"
    }
}

/// `Vec2::f` or `Vec4::<T>::f` called by `c`: the width and `f`.
pub(super) fn vector_fn(c: &syn::ExprCall) -> Option<(usize, String)> {
    let syn::Expr::Path(p) = &*c.func else {
        return None;
    };
    vector_fn_path(&p.path)
}

/// `Vec2::f` or `Vec4::<T>::f`: the width and `f`.
pub(super) fn vector_fn_path(path: &syn::Path) -> Option<(usize, String)> {
    let n = path.segments.len();
    if n < 2 {
        return None;
    }
    let width = width_of_name(&path.segments[n - 2].ident.to_string())?;
    Some((width, path.segments[n - 1].ident.to_string()))
}

/// `Vec2<T>` or `Vec4<T>`: the width and `T` (absent when not written).
pub(super) fn vector_type(ty: &syn::Type) -> Option<(usize, Option<&syn::Type>)> {
    let syn::Type::Path(p) = ty else {
        return None;
    };
    let last = p.path.segments.last()?;
    let width = width_of_name(&last.ident.to_string())?;
    let elem = match &last.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some((width, elem))
}

/// Whether `op` applies lane by lane to vectors: the arithmetic operators.
pub(super) fn lane_wise(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem
    )
}

impl Lowerer<'_> {
    /// The vector `e` names, if it is a name bound to one.
    pub(super) fn vector_binding(&self, e: &syn::Expr) -> Option<VectorLocals> {
        match self.path_binding(e)? {
            Binding::Vector(v) => Some(v),
            _ => None,
        }
    }

    /// The width of `e` if it is a vector expression (see the module docs), else `None`.
    pub(crate) fn vector_width(&self, e: &syn::Expr) -> Option<usize> {
        match e {
            syn::Expr::Path(_) => self.vector_binding(e).map(|v| v.width),
            syn::Expr::Paren(p) => self.vector_width(&p.expr),
            syn::Expr::Group(g) => self.vector_width(&g.expr),
            syn::Expr::Call(c) => vector_fn(c).map(|(w, _)| w),
            syn::Expr::Binary(b) if binary_op(&b.op).is_some() => self
                .vector_width(&b.left)
                .or_else(|| self.vector_width(&b.right)),
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => self.vector_width(&u.expr),
            syn::Expr::MethodCall(mc)
                if !matches!(mc.method.to_string().as_str(), "dot" | "sum" | "store") =>
            {
                self.vector_width(&mc.receiver)
            }
            _ => None,
        }
    }

    /// A scalar operand of vector arithmetic, evaluated once: literals, parameters and locals
    /// as they are, anything else into a temporary.
    fn once(&mut self, e: &syn::Expr, out: &mut Block) -> ExprId {
        let v = self.expr(e, out);
        match self.kernel.expr(v) {
            Expr::Literal(_)
            | Expr::Constant(_)
            | Expr::Param(_)
            | Expr::Local(_)
            | Expr::Error => v,
            _ => {
                let span = e.span();
                let tmp = self.temp(None, span);
                push_let(out, tmp, Some(v), span);
                self.push(Expr::Local(tmp), span)
            }
        }
    }

    /// `n` uses of the scalar `v` (an expression without effects, safe to repeat).
    pub(super) fn repeat(&mut self, v: ExprId, n: usize) -> Vec<ExprId> {
        let span = self.kernel.span(v);
        let e = self.kernel.expr(v).clone();
        let mut lanes = vec![v];
        for _ in 1..n {
            lanes.push(self.push(e.clone(), span));
        }
        lanes
    }

    /// The lanes of `e` as an operand of a `width`-lane operation: a vector of that width, or a
    /// scalar repeated in every lane.
    pub(super) fn operand(&mut self, e: &syn::Expr, width: usize, out: &mut Block) -> Vec<ExprId> {
        match self.vector_width(e) {
            Some(w) if w == width => self.vector(e, width, out),
            Some(w) => {
                let msg = format!(
                    "this is a `{}`, and the other operand a `{}`: lanes are combined one by one, \
                     so both must have the same width",
                    type_name(w),
                    type_name(width)
                );
                let err = self.error_expr(e.span(), msg);
                self.repeat(err, width)
            }
            None => {
                let v = self.once(e, out);
                self.repeat(v, width)
            }
        }
    }

    /// The `width` lanes of the vector expression `e` (one whose [`vector_width`] is
    /// `Some(width)`), each an expression evaluated where it is used; the statements it needs
    /// (loads, temporaries) go to `out`.
    ///
    /// [`vector_width`]: Self::vector_width
    pub(crate) fn vector(&mut self, e: &syn::Expr, width: usize, out: &mut Block) -> Vec<ExprId> {
        let span = e.span();
        match e {
            syn::Expr::Paren(p) => self.vector(&p.expr, width, out),
            syn::Expr::Group(g) => self.vector(&g.expr, width, out),
            syn::Expr::Path(_) => {
                let v = self.vector_binding(e).expect("a vector name");
                v.lanes()
                    .iter()
                    .map(|&l| self.push(Expr::Local(l), span))
                    .collect()
            }
            syn::Expr::Call(c) => self.vector_call(c, width, out),
            syn::Expr::Unary(u) => {
                let arg = self.vector(&u.expr, width, out);
                arg.into_iter()
                    .map(|arg| {
                        let op = UnaryOp::Neg;
                        self.push(Expr::Unary { op, arg }, span)
                    })
                    .collect()
            }
            syn::Expr::Binary(b) => {
                let op = binary_op(&b.op).expect("checked by vector_width");
                if !lane_wise(op) {
                    let err = self.error_expr(
                        b.op.span(),
                        "vectors have the arithmetic operators `+ - * / %`; compare or combine \
                         their lanes one by one (`v.x`, `v.y`, ...)",
                    );
                    return self.repeat(err, width);
                }
                let left = self.operand(&b.left, width, out);
                let right = self.operand(&b.right, width, out);
                left.into_iter()
                    .zip(right)
                    .map(|(left, right)| self.push(Expr::Binary { op, left, right }, span))
                    .collect()
            }
            syn::Expr::MethodCall(mc) => self.vector_method(mc, width, out),
            _ => {
                let err = self.error_expr(span, "not a vector expression");
                self.repeat(err, width)
            }
        }
    }

    /// `VecN::new(..)`, `VecN::splat(v)` or `VecN::load(&mem, i)`.
    fn vector_call(&mut self, c: &syn::ExprCall, width: usize, out: &mut Block) -> Vec<ExprId> {
        let span = c.span();
        let (_, f) = vector_fn(c).expect("checked by vector_width");
        let ty = type_name(width);
        let args: Vec<&syn::Expr> = c.args.iter().collect();
        match (f.as_str(), args.len()) {
            ("new", n) if n == width => args.iter().map(|a| self.expr(a, out)).collect(),
            ("splat", 1) => {
                let v = self.once(args[0], out);
                self.repeat(v, width)
            }
            ("load", 2) => {
                let form =
                    format!("`{ty}::load(&x, i)` reads `x[{width} * i..{width} * i + {width}]`");
                let mem = self.memory_arg(args[0], &format!("{ty}::load"), false, &form, PRIVATE);
                let index = self.expr(args[1], out);
                let lanes: Vec<LocalId> = (0..width).map(|_| self.temp(None, span)).collect();
                for &l in &lanes {
                    push_let(out, l, None, span);
                }
                if let Some(mem) = mem {
                    let lanes = lanes.clone();
                    out.push(Stmt::Vector(VectorOp::Load { mem, index, lanes }), span);
                }
                lanes
                    .into_iter()
                    .map(|l| self.push(Expr::Local(l), span))
                    .collect()
            }
            (f, _) => {
                let msg = match f {
                    "new" => format!("`{ty}::new` takes {width} lanes"),
                    "splat" => format!("`{ty}::splat` takes one value, put in every lane"),
                    "load" => format!("`{ty}::load` takes the memory and a vector index: `{ty}::load(&x, i)`"),
                    _ => format!(
                        "`{ty}::{f}` is not available in kernels; a `{ty}` is made with `{ty}::new`, \
                         `{ty}::splat` or `{ty}::load`"
                    ),
                };
                let err = self.error_expr(span, msg);
                self.repeat(err, width)
            }
        }
    }

    /// A lane-wise math method on a vector: `v.max(w)`, `v.sqrt()`, `v.mul_add(a, b)`, with
    /// vector arguments of the same width or scalars used in every lane.
    fn vector_method(
        &mut self,
        mc: &syn::ExprMethodCall,
        width: usize,
        out: &mut Block,
    ) -> Vec<ExprId> {
        let span = mc.span();
        let name = mc.method.to_string();
        let Some(fun) = MathFn::from_name(&name).filter(|f| f.arity() == mc.args.len() + 1) else {
            let ty = type_name(width);
            let msg = if MathFn::from_name(&name).is_some() {
                format!(
                    "`{name}` takes {} argument(s) besides the receiver",
                    MathFn::from_name(&name).map_or(0, |f| f.arity() - 1)
                )
            } else {
                format!(
                    "`{ty}` has the lane-wise math methods (`max`, `min`, `abs`, `sqrt`, `exp`, \
                     `mul_add`, ...), `dot`, `sum` and `store`; `{name}` is not one of them"
                )
            };
            let err = self.error_expr(mc.method.span(), msg);
            return self.repeat(err, width);
        };
        let mut per_arg = vec![self.vector(&mc.receiver, width, out)];
        for a in &mc.args {
            per_arg.push(self.operand(a, width, out));
        }
        (0..width)
            .map(|k| {
                let args = per_arg.iter().map(|a| a[k]).collect();
                self.push(Expr::Math { fun, args }, span)
            })
            .collect()
    }

    /// The lane `f` names of a vector of `width` lanes (`v.x`: 0, ...), or an error at the
    /// name.
    pub(super) fn lane_index(&mut self, f: &syn::ExprField, width: usize) -> Option<usize> {
        let name = match &f.member {
            syn::Member::Named(n) => n.to_string(),
            syn::Member::Unnamed(_) => String::new(),
        };
        let k = LANES[..width].iter().position(|l| *l == name);
        if k.is_none() {
            let lanes = LANES[..width].join("`, `.");
            let msg = format!("a `{}` has the lanes `.{lanes}`", type_name(width));
            self.error(f.member.span(), msg);
        }
        k
    }

    /// A scalar use of a vector: `v.x` (a lane), `v.dot(w)` or `v.sum()`; `None` when `e` is
    /// none of these.
    pub(crate) fn vector_scalar(&mut self, e: &syn::Expr, out: &mut Block) -> Option<ExprId> {
        let span = e.span();
        match e {
            syn::Expr::Field(f) => {
                let width = self.vector_width(&f.base)?;
                let Some(k) = self.lane_index(f, width) else {
                    return Some(self.push(Expr::Error, f.member.span()));
                };
                if let Some(v) = self.vector_binding(&f.base) {
                    return Some(self.push(Expr::Local(v.lanes[k]), span));
                }
                Some(self.vector(&f.base, width, out)[k])
            }
            syn::Expr::MethodCall(mc) => {
                let name = mc.method.to_string();
                if name != "dot" && name != "sum" {
                    return None;
                }
                let width = self.vector_width(&mc.receiver)?;
                let lanes = match (name.as_str(), mc.args.len()) {
                    ("sum", 0) => self.vector(&mc.receiver, width, out),
                    ("dot", 1) => {
                        let a = self.vector(&mc.receiver, width, out);
                        let b = self.operand(&mc.args[0], width, out);
                        a.into_iter()
                            .zip(b)
                            .map(|(left, right)| {
                                self.push(
                                    Expr::Binary {
                                        op: BinaryOp::Mul,
                                        left,
                                        right,
                                    },
                                    span,
                                )
                            })
                            .collect()
                    }
                    _ => {
                        let msg =
                            format!("`{name}` takes {} argument(s)", usize::from(name == "dot"));
                        return Some(self.error_expr(span, msg));
                    }
                };
                // Summed lane by lane from `x`, the order every back end keeps.
                let mut lanes = lanes.into_iter();
                let first = lanes.next().expect("two or more lanes");
                Some(lanes.fold(first, |left, right| {
                    self.push(
                        Expr::Binary {
                            op: BinaryOp::Add,
                            left,
                            right,
                        },
                        span,
                    )
                }))
            }
            _ => None,
        }
    }

    /// The error for a vector where a scalar is needed.
    pub(crate) fn vector_as_scalar(&mut self, e: &syn::Expr, width: usize) -> ExprId {
        let ty = type_name(width);
        self.error_expr(
            e.span(),
            format!(
                "this is a `{ty}`, not a scalar: read a lane (`.x`), reduce it (`.sum()`, \
                 `.dot(w)`), or store it (`.store(&mut y, i)`)"
            ),
        )
    }
}
