//! `Vec2<T>` and `Vec4<T>` values: loads and stores of a slice or workgroup array at a vector
//! index, lane access (`v.x`, `v.y`, `v.z`, `v.w`), lane-wise arithmetic and math, `dot` and
//! `sum`.
//!
//! A vector exists only here: a vector binding is one local per lane, and every vector
//! expression is lowered to one scalar expression per lane, so that typing, uniformity and the
//! back ends see ordinary scalars. The accesses are the exception: they become one
//! [`VectorOp`], which the back ends widen (CUDA `float4`, ...).
//!
//! Which expressions are vectors is decided from the syntax and the names in scope
//! ([`Lowerer::vector_width`]), as Rust's types would: a name bound to a vector, a `Vec2::`/
//! `Vec4::` constructor or load, arithmetic with a vector operand, a method on a vector.

use super::expr::binary_op;
use super::scope::{push_let, Binding, Lowerer};
use super::stmt::compound_op;
use super::types;
use crate::ir::*;
use proc_macro2::Span;
use syn::spanned::Spanned;

/// Why a vector access takes no private array, for [`Lowerer::memory_arg`]'s message.
const PRIVATE: &str = "a private array is indexed lane by lane";

/// The lanes' names, in order.
const LANES: [&str; 4] = ["x", "y", "z", "w"];

/// A vector bound to a name: one local per lane.
#[derive(Clone, Copy)]
pub(crate) struct VectorLocals {
    lanes: [LocalId; 4],
    /// 2 or 4.
    width: usize,
    /// Declared `let mut`: lanes and the whole vector may be assigned.
    mutable: bool,
}

impl VectorLocals {
    fn lanes(&self) -> &[LocalId] {
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
fn type_name(width: usize) -> &'static str {
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

/// The call `e` is, under parentheses.
fn unparen_call(mut e: &syn::Expr) -> Option<&syn::ExprCall> {
    while let syn::Expr::Paren(p) = e {
        e = &p.expr;
    }
    match e {
        syn::Expr::Call(c) => Some(c),
        _ => None,
    }
}

/// Whether `expr` reads local `l`.
fn reads(k: &Kernel, expr: ExprId, l: LocalId) -> bool {
    match k.expr(expr) {
        Expr::Local(m) => *m == l,
        other => expr_operands(other).iter().any(|&o| reads(k, o, l)),
    }
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
    fn repeat(&mut self, v: ExprId, n: usize) -> Vec<ExprId> {
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
    fn operand(&mut self, e: &syn::Expr, width: usize, out: &mut Block) -> Vec<ExprId> {
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
                if !matches!(
                    op,
                    BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem
                ) {
                    let err = self.error_expr(
                        b.op.span(),
                        format!(
                            "vectors have the arithmetic operators `+ - * / %`; compare or \
                             combine their lanes one by one (`{0}.x`, `{0}.y`, ...)",
                            "v"
                        ),
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

    /// A scalar use of a vector: `v.x` (a lane), `v.dot(w)` or `v.sum()`; `None` when `e` is
    /// none of these.
    pub(crate) fn vector_scalar(&mut self, e: &syn::Expr, out: &mut Block) -> Option<ExprId> {
        let span = e.span();
        match e {
            syn::Expr::Field(f) => {
                let width = self.vector_width(&f.base)?;
                let name = match &f.member {
                    syn::Member::Named(n) => n.to_string(),
                    syn::Member::Unnamed(_) => String::new(),
                };
                let Some(k) = LANES[..width].iter().position(|l| *l == name) else {
                    let lanes = LANES[..width].join("`, `.");
                    let msg = format!("a `{}` has the lanes `.{lanes}`", type_name(width));
                    return Some(self.error_expr(f.member.span(), msg));
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

    /// `let v = <vector>;`, `let mut v: Vec4<f32> = ..;` or `let mut v: Vec4<f32>;`.
    pub(super) fn vector_let(
        &mut self,
        name: &str,
        name_span: Span,
        mutable: bool,
        ty: Option<&syn::Type>,
        init: Option<&syn::Expr>,
        out: &mut Block,
    ) {
        let declared = ty.and_then(vector_type);
        let elem = match declared {
            Some((_, Some(t))) => match types::scalar(t) {
                Ok(s) if s != Scalar::Bool => Some(s),
                Ok(_) => {
                    self.error(t.span(), "vector lanes are numbers, not `bool`");
                    None
                }
                Err(e) => {
                    self.errors.push(e);
                    None
                }
            },
            _ => None,
        };
        if let (Some(t), None) = (ty, declared) {
            let msg = "this value is a vector: annotate it as `Vec2<T>` or `Vec4<T>`";
            self.error(t.span(), msg);
        }
        let width = match (declared, init.and_then(|i| self.vector_width(i))) {
            (Some((d, _)), Some(w)) if d != w => {
                let msg = format!(
                    "the value is a `{}`, not a `{}`",
                    type_name(w),
                    type_name(d)
                );
                self.error(init.expect("has a width").span(), msg);
                d
            }
            (Some((d, _)), _) => d,
            (None, Some(w)) => w,
            (None, None) => unreachable!("vector_let is called for vectors"),
        };
        let values: Vec<Option<ExprId>> = match init {
            Some(i) if self.vector_width(i).is_some() => {
                let values = self.vector(i, width, out);
                // A load's lanes take the declared type, so that a mismatch is reported as
                // the load's (in `valid::typing`), not as a conversion.
                if let (Some(e), Some((_, f))) = (elem, unparen_call(i).and_then(vector_fn)) {
                    for &v in values.iter().filter(|_| f == "load") {
                        if let Expr::Local(l) = *self.kernel.expr(v) {
                            self.kernel.locals[l].declared_ty = Some(e);
                        }
                    }
                }
                values.into_iter().map(Some).collect()
            }
            Some(i) => {
                let ty = type_name(width);
                let msg = format!(
                    "a `{ty}` is made with `{ty}::new`, `{ty}::splat`, `{ty}::load` or vector \
                     arithmetic"
                );
                self.error(i.span(), msg);
                vec![None; width]
            }
            None if elem.is_none() => {
                self.error(
                    name_span,
                    "a `let` without a value needs its lane type: `Vec4<f32>`",
                );
                vec![None; width]
            }
            None => vec![None; width],
        };
        let mut lanes = Vec::with_capacity(4);
        for (k, value) in values.into_iter().enumerate() {
            let unique = self.unique(&format!("{name}_{}", LANES[k]));
            let l = self.add_local(unique, elem, mutable || init.is_none(), name_span);
            push_let(out, l, value, name_span);
            lanes.push(l);
        }
        // A `Vec2` repeats its first lane in the unused two.
        lanes.resize(4, lanes[0]);
        let v = VectorLocals {
            lanes: [lanes[0], lanes[1], lanes[2], lanes[3]],
            width,
            mutable: mutable || init.is_none(),
        };
        self.scopes
            .last_mut()
            .expect("scope")
            .insert(name.to_string(), Binding::Vector(v));
    }

    /// The vector a statement assigns (`v = ..`, `v += ..`), if `target` names one; an error
    /// if it is not `mut`.
    pub(super) fn vector_target(&mut self, target: &syn::Expr) -> Option<VectorLocals> {
        let v = self.vector_binding(target)?;
        if !v.mutable {
            self.error(
                target.span(),
                "cannot assign to an immutable vector; declare it with `let mut`",
            );
        }
        Some(v)
    }

    /// `v = value;` (with `op`: `v op= value;`).
    pub(super) fn vector_assign(
        &mut self,
        v: VectorLocals,
        op: Option<&syn::BinOp>,
        value: &syn::Expr,
        out: &mut Block,
    ) {
        let span = value.span();
        let width = v.width;
        let values = match op {
            None => match self.vector_width(value) {
                Some(_) => self.operand(value, width, out),
                None => {
                    let ty = type_name(width);
                    let msg = format!(
                        "this is a scalar, and a `{ty}` is assigned a `{ty}`: \
                         `{ty}::splat(x)` puts `x` in every lane"
                    );
                    let err = self.error_expr(value.span(), msg);
                    self.repeat(err, width)
                }
            },
            Some(op) => {
                let op = compound_op(op).filter(|o| {
                    matches!(
                        o,
                        BinaryOp::Add
                            | BinaryOp::Sub
                            | BinaryOp::Mul
                            | BinaryOp::Div
                            | BinaryOp::Rem
                    )
                });
                let rhs = self.operand(value, width, out);
                match op {
                    Some(op) => v
                        .lanes()
                        .iter()
                        .zip(rhs)
                        .map(|(&l, right)| {
                            let left = self.push(Expr::Local(l), span);
                            self.push(Expr::Binary { op, left, right }, span)
                        })
                        .collect(),
                    None => {
                        let err = self.error_expr(
                            span,
                            "vectors have the compound assignments `+= -= *= /= %=`",
                        );
                        self.repeat(err, width)
                    }
                }
            }
        };
        // A lane's new value may read another lane (`v = Vec2::new(v.y, v.x)`): then every
        // value is computed before any lane is assigned.
        let k = &self.kernel;
        let crosswise = values.iter().enumerate().any(|(i, &e)| {
            v.lanes()
                .iter()
                .enumerate()
                .any(|(j, &l)| i != j && reads(k, e, l))
        });
        let values: Vec<ExprId> = if crosswise {
            values
                .into_iter()
                .map(|e| {
                    let tmp = self.temp(None, span);
                    push_let(out, tmp, Some(e), span);
                    self.push(Expr::Local(tmp), span)
                })
                .collect()
        } else {
            values
        };
        for (&local, value) in v.lanes().iter().zip(values) {
            out.push(Stmt::Assign { local, value }, span);
        }
    }

    /// The lane of a vector that `v.x = ..` assigns, if `target` is a lane of a vector name.
    pub(super) fn lane_target(&mut self, target: &syn::Expr) -> Option<LocalId> {
        let syn::Expr::Field(f) = target else {
            return None;
        };
        let v = self.vector_binding(&f.base)?;
        let name = match &f.member {
            syn::Member::Named(n) => n.to_string(),
            syn::Member::Unnamed(_) => String::new(),
        };
        let Some(k) = LANES[..v.width].iter().position(|l| *l == name) else {
            let lanes = LANES[..v.width].join("`, `.");
            let msg = format!("a `{}` has the lanes `.{lanes}`", type_name(v.width));
            self.error(f.member.span(), msg);
            return Some(v.lanes[0]);
        };
        if !v.mutable {
            self.error(
                target.span(),
                "cannot assign to a lane of an immutable vector; declare it with `let mut`",
            );
        }
        Some(v.lanes[k])
    }

    /// `v.store(&mut mem, i)`: writes `mem[width * i..width * i + width]`.
    pub(super) fn vector_store(&mut self, mc: &syn::ExprMethodCall, width: usize, out: &mut Block) {
        let span = mc.span();
        let ty = type_name(width);
        if mc.args.len() != 2 {
            let msg = "`store` takes the memory and a vector index: `v.store(&mut y, i)`";
            return self.error(span, msg);
        }
        // The memory is named before the values are evaluated, as a call's receiver would be.
        let values = self.vector(&mc.receiver, width, out);
        let form = format!("`v.store(&mut y, i)` writes `y[{width} * i..{width} * i + {width}]`");
        let mem = self.memory_arg(&mc.args[0], &format!("{ty}::store"), true, &form, PRIVATE);
        let index = self.expr(&mc.args[1], out);
        if let Some(mem) = mem {
            out.push(Stmt::Vector(VectorOp::Store { mem, index, values }), span);
        }
    }
}
