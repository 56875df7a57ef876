//! Statements on `Vec2<T>` and `Vec4<T>` values (see `vector.rs`): `let`, whole-vector and
//! lane assignment, compound assignment, and `v.store(&mut y, i)`.

use super::scope::{push_let, Binding, Lowerer};
use super::stmt::compound_op;
use super::types;
use super::vector::{lane_wise, type_name, vector_fn, vector_type, VectorLocals, LANES, PRIVATE};
use crate::ir::*;
use proc_macro2::Span;
use syn::spanned::Spanned;

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
        // Declared without a value, the vector is assigned later.
        let mutable = mutable || init.is_none();
        let mut lanes = Vec::with_capacity(4);
        for (k, value) in values.into_iter().enumerate() {
            let unique = self.unique(&format!("{name}_{}", LANES[k]));
            let l = self.add_local(unique, elem, mutable, name_span);
            push_let(out, l, value, name_span);
            lanes.push(l);
        }
        // A `Vec2` repeats its first lane in the unused two.
        lanes.resize(4, lanes[0]);
        let v = VectorLocals {
            lanes: [lanes[0], lanes[1], lanes[2], lanes[3]],
            width,
            mutable,
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
                let op = compound_op(op).filter(|&o| lane_wise(o));
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
        let Some(k) = self.lane_index(f, v.width) else {
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
        // The receiver's lanes, then the index: Rust's order for a method call.
        let values = self.vector(&mc.receiver, width, out);
        let form = format!("`v.store(&mut y, i)` writes `y[{width} * i..{width} * i + {width}]`");
        let mem = self.memory_arg(&mc.args[0], &format!("{ty}::store"), true, &form, PRIVATE);
        let index = self.expr(&mc.args[1], out);
        if let Some(mem) = mem {
            out.push(Stmt::Vector(VectorOp::Store { mem, index, values }), span);
        }
    }
}
