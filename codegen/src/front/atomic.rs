//! Atomic operations on atomic slices and workgroup arrays: `s[i].fetch_add(v, Relaxed)`.

use super::scope::{push_let, Binding, Lowerer};
use crate::ir::*;
use syn::spanned::Spanned;

impl Lowerer<'_> {
    /// Whether parameter `id` is an atomic slice.
    pub(super) fn is_atomic(&self, id: ParamId) -> bool {
        matches!(
            self.kernel.param(id).kind,
            ParamKind::Slice { atomic: true, .. }
        )
    }

    /// The atomic slice or array `expr` indexes (`s[i]`), if it does.
    pub(super) fn atomic_target(&self, expr: &syn::Expr) -> Option<AtomicTarget> {
        let syn::Expr::Index(ix) = expr else {
            return None;
        };
        if let Some(id) = self.array_root(&ix.expr) {
            return self
                .kernel
                .array(id)
                .atomic
                .then_some(AtomicTarget::Array(id));
        }
        let syn::Expr::Path(p) = &*ix.expr else {
            return None;
        };
        match self.lookup(&p.path.get_ident()?.to_string())? {
            Binding::Param(id) if self.is_atomic(id) => Some(AtomicTarget::Slice(id)),
            _ => None,
        }
    }

    /// The error for reading (or, with `write`, writing) an element of an atomic slice or
    /// array other than through an atomic operation.
    pub(super) fn plain_atomic_access(&self, t: AtomicTarget, write: bool) -> String {
        let kind = match t {
            AtomicTarget::Slice(_) => "slice",
            AtomicTarget::Array(_) => "array",
        };
        let n = self.kernel.atomic_name(t);
        if write {
            format!(
                "elements of an atomic {kind} are written with an atomic operation: write \
                 `{n}[i].store(v, Relaxed)` (or `fetch_add`, `swap`, ...)"
            )
        } else {
            format!(
                "elements of an atomic {kind} are read with an atomic operation: write \
                 `{n}[i].load(Relaxed)`"
            )
        }
    }

    /// Lowers `s[i].op(args, orderings)` on an atomic slice or array to a [`Stmt::Atomic`]; when
    /// `value` is set, the returned local holds its result.
    pub(super) fn atomic(
        &mut self,
        mc: &syn::ExprMethodCall,
        value: bool,
        out: &mut Block,
    ) -> Option<LocalId> {
        let span = mc.span();
        let syn::Expr::Index(ix) = &*mc.receiver else {
            return None;
        };
        let target = self.atomic_target(&mc.receiver)?;
        let name = mc.method.to_string();
        let Some(op) = AtomicOp::from_method(&name) else {
            let list: Vec<&str> = AtomicOp::ALL.iter().map(|o| o.method()).collect();
            self.error(
                mc.method.span(),
                format!(
                    "`{name}` is not an atomic operation kernels support; they support {}",
                    list.join(", ")
                ),
            );
            return None;
        };
        if !op.defined_on(self.kernel.atomic_elem(target)) {
            self.error(
                mc.method.span(),
                format!(
                    "`{name}` is a bitwise operation, which `AtomicF32` does not have; it has \
                     load, store, fetch_add, fetch_sub, fetch_min, fetch_max, swap and \
                     compare_exchange"
                ),
            );
            return None;
        }
        let (n, m) = (op.operands(), op.orderings());
        if mc.args.len() != n && mc.args.len() != n + m {
            self.error(
                span,
                format!(
                    "`{name}` takes {n} value argument(s), optionally followed by {m} \
                     `Relaxed` ordering(s)"
                ),
            );
            return None;
        }
        for ord in mc.args.iter().skip(n) {
            let relaxed = matches!(ord, syn::Expr::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "Relaxed"));
            if !relaxed {
                self.error(
                    ord.span(),
                    "kernel atomics are relaxed (WGSL has no other ordering): write \
                     `Relaxed` or leave the ordering out",
                );
            }
        }
        if value && !op.returns() {
            self.error(
                span,
                format!("`{name}` returns nothing; write it as a statement"),
            );
            return None;
        }
        if mc.turbofish.is_some() {
            self.error(span, "turbofish (`::<T>`) is not supported in kernels");
        }
        let index = match target {
            AtomicTarget::Array(_) => self.array_index(ix, out),
            AtomicTarget::Slice(_) => self.expr(&ix.index, out),
        };
        let args = mc.args.iter().take(n).map(|a| self.expr(a, out)).collect();
        let result = if value {
            let elem = self.kernel.atomic_elem(target);
            let tmp = self.temp(elem, span);
            push_let(out, tmp, None, span);
            Some(tmp)
        } else {
            None
        };
        let atomic = Stmt::Atomic {
            target,
            index,
            op,
            args,
            result,
        };
        out.push(atomic, span);
        result
    }
}
