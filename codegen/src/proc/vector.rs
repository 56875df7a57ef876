//! Recognises elementwise kernels that a back end can run four invocations at a time, one
//! `vec4` per invocation.
//!
//! A kernel has the vector shape when it has the elementwise shape of [`super::linear`] and its
//! body, run for the index `i`:
//! - is made of `let`, assignment, stores and `if`/`else` (no loops, `break`, `continue` or
//!   `return`), so that every branch can become a per-lane select;
//! - indexes each slice either only at `i` (a *vector slice*, read and written as `vec4`) or only
//!   at uniform indices (a *scalar slice*, read as a scalar and splatted);
//! - stores only into vector slices, at `i`.
//!
//! Under these rules invocation `i` touches only elements `i` of the vector slices, so four
//! consecutive invocations can share one `vec4` access without changing any result; branches
//! are computed on every lane and merged with selects, which is safe because nothing in the body
//! can fault or have an effect other than a store, and stores are masked.

use super::linear::{self, is_uniform, Linear};
use crate::ir::*;

/// The vector shape of a kernel.
#[derive(Clone, Debug)]
pub struct Vector<'a> {
    /// The elementwise shape it extends.
    pub linear: Linear<'a>,
    /// Slices indexed only at the invocation index, accessed as `vec4`.
    pub vector_slices: Vec<ParamId>,
}

/// Finds the vector shape in `kernel`, when it has one.
pub fn analyse(kernel: &Kernel) -> Option<Vector<'_>> {
    // Private arrays are indexed lane by lane: no `vec4` form.
    if !kernel.arrays.is_empty() {
        return None;
    }
    let linear = linear::analyse(kernel)?;
    let index = linear.index;
    let mut ok = true;
    walk_stmts(linear.body, &mut |s| {
        ok &= matches!(
            s,
            Stmt::Let { .. } | Stmt::Assign { .. } | Stmt::Store { .. } | Stmt::If { .. }
        );
    });
    if !ok {
        return None;
    }
    // How each slice is indexed: at `i` (vector) or at a uniform index (scalar).
    let mut at_index: Vec<ParamId> = Vec::new();
    let mut at_uniform: Vec<ParamId> = Vec::new();
    let mut classify = |slice: ParamId, idx: ExprId| -> bool {
        if *kernel.expr(idx) == Expr::Local(index) {
            if !at_index.contains(&slice) {
                at_index.push(slice);
            }
            true
        } else if is_uniform(kernel, idx) {
            if !at_uniform.contains(&slice) {
                at_uniform.push(slice);
            }
            true
        } else {
            false
        }
    };
    walk_stmts(linear.body, &mut |s| {
        if let Stmt::Store {
            slice, index: idx, ..
        } = s
        {
            // A store at a uniform index would be a race between lanes: not vectorised.
            ok &= *kernel.expr(*idx) == Expr::Local(index);
            ok &= classify(*slice, *idx);
        }
    });
    walk_exprs(kernel, linear.body, &mut |e| match kernel.expr(e) {
        Expr::Load { slice, index: idx } => ok &= classify(*slice, *idx),
        // Only `global_id().x` (as `i`) and uniform builtins are known per lane.
        Expr::Builtin(b, _) => ok &= matches!(b, Builtin::GroupSize | Builtin::NumGroups),
        // Bit operations stay in the scalar module: no `vec4` lowering is written for them.
        Expr::Error | Expr::SubgroupId(_) | Expr::Int { .. } => ok = false,
        _ => {}
    });
    if !ok || at_index.iter().any(|s| at_uniform.contains(s)) {
        return None;
    }
    at_index.sort();
    Some(Vector {
        linear,
        vector_slices: at_index,
    })
}
