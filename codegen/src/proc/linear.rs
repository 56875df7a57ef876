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
//! bounds for the whole chunk when `hi <= s.len()`, which is checked once per chunk. So is
//! every strided access `s[K * i + c]` (`K`, `c` literals, `c < K`: element `c` of record `i`,
//! as the BN254 kernels index four limbs an element) when `K hi <= s.len()`. `i` here is also
//! any immutable local bound to it (a helper's parameter, inlined). Other accesses keep their
//! per-access check.
//!
//! Private arrays are per invocation and may be in the body, but only where every slice
//! access is one of these forms: the fast loop is then free of per-access checks, each an early
//! exit that keeps LLVM from vectorising the loop (`bn254_fr_mul`, four limbs an element: 1.7x
//! faster with the checks hoisted and the base addresses in locals). A kernel with private
//! arrays and other accesses (the MSM's data-dependent ones) would gain little from a second
//! copy of its body.

use crate::ir::*;

/// The elementwise shape of a kernel, when it has one.
#[derive(Clone, Debug)]
pub struct Linear<'a> {
    /// The local bound to `global_id().x`.
    pub index: LocalId,
    /// `index` and the immutable locals bound to it, directly or through each other.
    pub aliases: Vec<LocalId>,
    /// The uniform bound of the guard, if any.
    pub bound: Option<ExprId>,
    /// The statements run for each invocation with `index < bound`.
    pub body: &'a [Stmt],
    /// Slices indexed at `index` or `K index + c` somewhere in `body`, with the largest `K` (1
    /// for `index`): `K hi <= len` is checked once per chunk.
    pub slices: Vec<(ParamId, u32)>,
}

impl Linear<'_> {
    /// `K` when `e` is `index` (1), `K * index`, `index * K` or one of those plus a literal
    /// `c < K` (either side), `index` standing for any of its aliases.
    pub fn stride(&self, kernel: &Kernel, e: ExprId) -> Option<u32> {
        stride(kernel, &self.aliases, e)
    }
}

/// [`Linear::stride`] over `aliases`.
fn stride(kernel: &Kernel, aliases: &[LocalId], e: ExprId) -> Option<u32> {
    let literal = |e: ExprId| match *kernel.expr(e) {
        Expr::Literal(Literal::Int(v, _)) => u32::try_from(v).ok(),
        _ => None,
    };
    let alias = |e: ExprId| matches!(kernel.expr(e), Expr::Local(l) if aliases.contains(l));
    let product = |e: ExprId| match *kernel.expr(e) {
        Expr::Binary {
            op: BinaryOp::Mul,
            left,
            right,
        } => match (literal(left), literal(right)) {
            (Some(k), None) if alias(right) => Some(k),
            (None, Some(k)) if alias(left) => Some(k),
            _ => None,
        },
        _ => None,
    };
    if alias(e) {
        return Some(1);
    }
    let k = match *kernel.expr(e) {
        Expr::Binary {
            op: BinaryOp::Add,
            left,
            right,
        } => match (product(left), literal(right), literal(left), product(right)) {
            (Some(k), Some(c), _, _) | (_, _, Some(c), Some(k)) if c < k => k,
            _ => return None,
        },
        _ => product(e)?,
    };
    (k > 0).then_some(k)
}

/// Finds the elementwise shape in `kernel`, for 1-D workgroups only.
pub fn analyse(kernel: &Kernel) -> Option<Linear<'_>> {
    // Workgroup arrays and barriers belong to workgroups, not to a flat range.
    if kernel.workgroup_size[1] != 1
        || kernel.workgroup_size[2] != 1
        || kernel
            .arrays
            .iter()
            .any(|(_, a)| a.space == Space::Workgroup)
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
    let mut aliases = vec![index];
    walk_stmts(body, &mut |s| {
        if let Stmt::Let {
            local,
            init: Some(init),
        } = s
        {
            let to_alias = matches!(kernel.expr(*init), Expr::Local(l) if aliases.contains(l));
            if to_alias && !kernel.local(*local).mutable && !aliases.contains(local) {
                aliases.push(*local);
            }
        }
    });
    let mut slices: Vec<(ParamId, u32)> = Vec::new();
    let mut all_strided = true;
    walk_slice_accesses(kernel, body, &mut |slice, idx| {
        let Some(k) = stride(kernel, &aliases, idx) else {
            all_strided = false;
            return;
        };
        match slices.iter_mut().find(|(s, _)| *s == slice) {
            Some((_, most)) => *most = (*most).max(k),
            None => slices.push((slice, k)),
        }
    });
    if !kernel.arrays.is_empty() && !all_strided {
        return None;
    }
    slices.sort();
    Some(Linear {
        index,
        aliases,
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
