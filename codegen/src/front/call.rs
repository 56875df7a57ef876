//! Calls: the id intrinsics, the math functions, subgroup operations and `#[kernel_fn]`
//! helpers (inlined by `inline.rs`).

use super::scope::{push_let, Lowerer};
use crate::ir::*;
use crate::Error;
use syn::spanned::Spanned;

impl<'h> Lowerer<'h> {
    pub(super) fn call(&mut self, c: &syn::ExprCall, out: &mut Block) -> ExprId {
        let span = c.span();
        let syn::Expr::Path(p) = &*c.func else {
            return self.error_expr(span, "only named functions can be called in kernels");
        };
        let name = p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if builtin_call(&syn::Expr::Call(c.clone())).is_some() {
            return self.error_expr(
                span,
                format!("`{name}()` is a three-component id; read a component: `{name}().x`"),
            );
        }
        if Barrier::from_name(&name).is_some() {
            return self.error_expr(
                span,
                format!("`{name}()` is a statement; write `{name}();`"),
            );
        }
        if name == "shared_array" {
            return self.error_expr(
                span,
                "`shared_array` declares workgroup memory: write `let tile = \
                 shared_array::<f32, 256>();`",
            );
        }
        if super::matrix::is_matrix_fn(&name) {
            return self.error_expr(
                span,
                format!(
                    "`{name}` is not a value: bind a fragment with `let a = {name}(..);`, \
                     and call `matrix_mma`, `matrix_store` and `matrix_scale_rows` as statements"
                ),
            );
        }
        if name == self.kernel.name {
            return self.error_expr(
                span,
                "recursion is not supported: GPUs have no call stack for it; write a loop",
            );
        }
        if p.path.segments.len() == 1 {
            if let Some(v) = self.subgroup_call(c, &name, out) {
                return v;
            }
            if let Some(fun) = MathFn::from_name(&name) {
                if c.args.len() != fun.arity() {
                    return self
                        .error_expr(span, format!("`{name}` takes {} argument(s)", fun.arity()));
                }
                let args = c.args.iter().map(|a| self.expr(a, out)).collect();
                return self.push(Expr::Math { fun, args }, span);
            }
        }
        if let Some(helper) = self.helper_of(c) {
            return match self.inline_call(helper, c, true, out) {
                Some(v) => v,
                None => self.push(Expr::Error, span),
            };
        }
        let path = path_names(&p.path);
        if let Some(e) = self.bits_to_float_call(c, &path, out) {
            return e;
        }
        if p.path.segments.len() == 1 && self.lookup(&name).is_some() {
            // A local (a closure's, say) called as a function: no helper can be meant.
            return self.error_expr(
                c.func.span(),
                format!(
                    "`{name}` is a local variable, not a function: kernels call the id \
                     intrinsics, the math functions and functions marked #[kernel_fn]"
                ),
            );
        }
        let span = c.func.span();
        self.errors.push(Error::unknown_call(
            span,
            format!(
                "cannot call `{}` from a kernel: kernels call the id intrinsics, the math \
                 functions {} and functions marked #[kernel_fn]",
                path.join("::"),
                math_list()
            ),
        ));
        self.push(Expr::Error, span)
    }

    /// `subgroup_size()`, `subgroup_invocation_id()` and the subgroup operations.
    pub(super) fn subgroup_call(
        &mut self,
        c: &syn::ExprCall,
        name: &str,
        out: &mut Block,
    ) -> Option<ExprId> {
        let span = c.span();
        let id = match name {
            "subgroup_size" => Some(SubgroupId::Size),
            "subgroup_invocation_id" => Some(SubgroupId::InvocationId),
            "subgroup_id" => Some(SubgroupId::Id),
            "num_subgroups" => Some(SubgroupId::Count),
            _ => None,
        };
        if let Some(id) = id {
            if !c.args.is_empty() {
                return Some(self.error_expr(span, format!("`{name}()` takes no arguments")));
            }
            return Some(self.push(Expr::SubgroupId(id), span));
        }
        let op = SubgroupOp::from_name(name)?;
        let arity = 1 + op.has_arg() as usize;
        if c.args.len() != arity {
            let what = match op {
                SubgroupOp::Broadcast => "a value and a lane: `subgroup_broadcast(v, 0)`",
                SubgroupOp::ShuffleXor => "a value and a lane mask: `subgroup_shuffle_xor(v, 1)`",
                _ => "one value",
            };
            return Some(self.error_expr(span, format!("`{name}` takes {what}")));
        }
        let value = self.expr(&c.args[0], out);
        let arg = op.has_arg().then(|| self.expr(&c.args[1], out));
        let result = self.temp(None, span);
        push_let(out, result, None, span);
        out.push(
            Stmt::Subgroup {
                op,
                value,
                arg,
                result,
            },
            span,
        );
        Some(self.push(Expr::Local(result), span))
    }

    /// The `#[kernel_fn]` a call names, by its last path segment.
    pub(super) fn helper_of(&self, c: &syn::ExprCall) -> Option<&'h syn::ItemFn> {
        let syn::Expr::Path(p) = &*c.func else {
            return None;
        };
        let name = p.path.segments.last()?.ident.to_string();
        self.helpers.get(&name)
    }
}

/// The identifiers of `path`'s segments (`["f32", "MAX"]` for `f32::MAX`).
pub(super) fn path_names(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

/// Whether `c` calls a function whose last path segment is `name`.
/// The barrier `c` calls (`barrier()`, `workgroup_barrier()`, `subgroup_barrier()`), if any.
pub(super) fn barrier_call(c: &syn::ExprCall) -> Option<Barrier> {
    let syn::Expr::Path(p) = &*c.func else {
        return None;
    };
    Barrier::from_name(&p.path.segments.last()?.ident.to_string())
}

pub(super) fn is_named_call(c: &syn::ExprCall, name: &str) -> bool {
    matches!(&*c.func, syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == name))
}

pub(super) fn math_list() -> String {
    MathFn::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn builtin_call(expr: &syn::Expr) -> Option<Builtin> {
    let syn::Expr::Call(c) = expr else {
        return None;
    };
    let syn::Expr::Path(p) = &*c.func else {
        return None;
    };
    if !c.args.is_empty() {
        return None;
    }
    let name = p.path.segments.last()?.ident.to_string();
    [
        Builtin::GlobalId,
        Builtin::LocalId,
        Builtin::GroupId,
        Builtin::GroupSize,
        Builtin::NumGroups,
    ]
    .into_iter()
    .find(|b| b.name() == name)
}
