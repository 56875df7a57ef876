//! Recognises the elementwise shape that the CPU back end runs as a vectorisable loop.
//!
//! The shape is
//!
//! ```text
//! let i = global_id().x;          // immutable
//! if i < BOUND { BODY }           // or: if i >= BOUND { return; } BODY
//! ```
//!
//! where `BOUND` is uniform (the same for every invocation: literals, scalar parameters,
//! lengths, `group_size()`, `num_groups()`). Over a chunk of consecutive invocations `lo..hi` the
//! guard folds into the range (`hi = min(hi, BOUND)`), and every access `s[i]` in `BODY` is in
//! bounds for the whole chunk when `hi <= s.len()`, which is checked once per chunk. Other
//! accesses keep their per-access check.

use crate::ir::*;

/// The elementwise shape of a kernel, when it has one.
#[derive(Clone, Debug)]
pub struct Linear<'a> {
    /// The local bound to `global_id().x`.
    pub index: LocalId,
    /// The uniform bound of the guard, if any.
    pub bound: Option<ExprId>,
    /// The statements run for each invocation with `index < bound`.
    pub body: &'a [Stmt],
    /// Slices indexed by exactly `index` somewhere in `body`: their lengths are checked once per
    /// chunk.
    pub slices: Vec<ParamId>,
}

/// Finds the elementwise shape in `kernel`, for 1-D workgroups only.
pub fn analyse(kernel: &Kernel) -> Option<Linear<'_>> {
    // Arrays and barriers belong to invocations and workgroups, not to a flat range.
    if kernel.workgroup_size[1] != 1
        || kernel.workgroup_size[2] != 1
        || !kernel.arrays.is_empty()
        || kernel.has_barrier()
    {
        return None;
    }
    let (first, rest) = kernel.body.split_first()?;
    let Stmt::Let {
        local,
        init: Some(init),
    } = first
    else {
        return None;
    };
    if kernel.local(*local).mutable
        || *kernel.expr(*init) != Expr::Builtin(Builtin::GlobalId, Axis::X)
    {
        return None;
    }
    let index = *local;
    let is_index = |e: ExprId| *kernel.expr(e) == Expr::Local(index);
    let (bound, body): (Option<ExprId>, &[Stmt]) = match rest {
        [Stmt::If {
            cond,
            accept,
            reject,
        }] if reject.is_empty() => match kernel.expr(*cond) {
            Expr::Binary {
                op: BinaryOp::Lt,
                left,
                right,
            } if is_index(*left) && is_uniform(kernel, *right) => (Some(*right), accept),
            _ => (None, rest),
        },
        [Stmt::If {
            cond,
            accept,
            reject,
        }, tail @ ..]
            if reject.is_empty() && matches!(&accept[..], [Stmt::Return]) =>
        {
            match kernel.expr(*cond) {
                Expr::Binary {
                    op: BinaryOp::Ge,
                    left,
                    right,
                } if is_index(*left) && is_uniform(kernel, *right) => (Some(*right), tail),
                _ => (None, rest),
            }
        }
        _ => (None, rest),
    };
    // Vector accesses reach elements other than `i` (and are not reported as slice accesses).
    let mut vectors = false;
    walk_stmts(body, &mut |s| vectors |= matches!(s, Stmt::Vector(_)));
    if vectors {
        return None;
    }
    let mut slices = Vec::new();
    walk_slice_accesses(kernel, body, &mut |slice, idx| {
        if is_index(idx) && !slices.contains(&slice) {
            slices.push(slice);
        }
    });
    slices.sort();
    Some(Linear {
        index,
        bound,
        body,
        slices,
    })
}

/// Whether `e` has the same value in every invocation and cannot fail.
pub fn is_uniform(kernel: &Kernel, e: ExprId) -> bool {
    match kernel.expr(e) {
        Expr::Literal(_) | Expr::Constant(_) | Expr::Param(_) | Expr::Len(_) => true,
        Expr::Builtin(b, _) => matches!(b, Builtin::GroupSize | Builtin::NumGroups),
        Expr::Load { .. } | Expr::ArrayLoad { .. } | Expr::Local(_) | Expr::Error => false,
        other => expr_operands(other).iter().all(|&o| is_uniform(kernel, o)),
    }
}
