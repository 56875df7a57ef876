//! Which `for` loops a back end without an unroll hint unrolls: loops over literal bounds whose
//! unrolled body stays small. WGSL has no `#pragma unroll`, and lavapipe keeps a private array
//! indexed by a loop variable in memory: a 64 x 64 SGEMM tile with its 4 x 4 register block
//! written as loops over `array<f32, 16>` ran 1.7x slower there than the same shader with the
//! block's loops written out (1.47-1.53 s against 0.83-0.98 s at 1024^3; with the loops written
//! out and the arrays kept, 1.10 s in a slower run of the vec4 shader's 0.92 s). Unrolled, each
//! index is a constant and the array becomes registers. nvcc and the CPU backend's LLVM unroll
//! such loops themselves.
//!
//! `#[unroll]` on a loop over literal bounds (CubeCL's spelling; CUDA's `#pragma unroll`) asks
//! for it whatever the size: 13-bit-limb field arithmetic runs rows of 20 limb products 20 times
//! over arrays of 40 column sums, far past [`BUDGET`], and on lavapipe it ran 28x slower as
//! loops. CUDA gets `#pragma unroll` for it; the CPU back end keeps the loop, which LLVM may
//! unroll, so that long written-out kernels do not multiply the generated Rust (rustc's debug
//! info overflowed its stack on such a kernel: docs/troubleshooting.md).
//!
//! A loop that does not unroll but only reads such an array (an epilogue that applies an
//! activation to each accumulator) would still keep it in memory for the whole shader:
//! [`read_copies`] names the arrays it reads through a copy made just before it instead, which
//! leaves the original indexed only by constants. `matmul`, whose epilogue applies a run-time
//! activation, went from 0.73-0.82x of the handwritten vec4 shader on lavapipe to 0.84-1.00x
//! (docs/benchmarks.md, twentieth session).

use crate::ir::*;
use std::collections::HashSet;

/// The most statements a loop may have once unrolled, its own nested unrolled loops counted
/// unrolled: a 4 x 4 register block's product (16) and a 16-wide partial dot product fit, the
/// 16-deep step of a tile around them (16 x 28) does not. A loop marked `#[unroll]` unrolls
/// whatever its size.
pub const BUDGET: u64 = 64;

/// The most values a `#[unroll]` loop may take: beyond it the front end reports the loop, as a
/// written-out body that long is more likely a mistake than a speed-up.
pub const MAX_UNROLL: u64 = 1024;

/// The values the variable of `stmt` takes, in order, when `stmt` is a `for` loop to unroll:
/// ascending, over an integer-literal start, end and step (`(a..b)` or `(a..b).step_by(s)`),
/// with no `break` or `continue` of its own and at most [`BUDGET`] statements unrolled.
pub fn unrolled_values(k: &Kernel, stmt: &Stmt) -> Option<Vec<u64>> {
    plan(k, stmt).map(|(values, _)| values)
}

/// [`unrolled_values`] and the statements the unrolled loop emits.
fn plan(k: &Kernel, stmt: &Stmt) -> Option<(Vec<u64>, u64)> {
    let Stmt::For {
        start,
        end,
        step,
        inclusive: false,
        reverse: false,
        unroll,
        body,
        ..
    } = stmt
    else {
        return None;
    };
    let most = if *unroll { MAX_UNROLL } else { BUDGET };
    let values = literal_range(k, *start, *end, *step, most)?;
    if values.is_empty() || leaves(body) {
        return None;
    }
    let size = (values.len() as u64).saturating_mul(cost(k, body));
    // `#[unroll]` asks for it whatever the size (the front end checked the rest).
    (*unroll || size <= BUDGET).then_some((values, size))
}

/// The values of a range with literal bounds and step (a step of 0 counts as 1, as the loop
/// does); `None` for other bounds or more than `most` values.
pub fn literal_range(
    k: &Kernel,
    start: ExprId,
    end: ExprId,
    step: Option<ExprId>,
    most: u64,
) -> Option<Vec<u64>> {
    let lit = |e: ExprId| match k.expr(e) {
        Expr::Literal(Literal::Int(v, _)) => Some(*v),
        _ => None,
    };
    let (s, e) = (lit(start)?, lit(end)?);
    let st = match step {
        Some(st) => lit(st)?.max(1),
        None => 1,
    };
    if e.saturating_sub(s).div_ceil(st) > most {
        return None;
    }
    Some((s..e).step_by(st as usize).collect())
}

/// Whether `block` holds a `break` or `continue` of the loop around it (those inside nested
/// loops are theirs).
pub fn leaves(block: &[Stmt]) -> bool {
    block.iter().any(|s| match s {
        Stmt::Break | Stmt::Continue => true,
        Stmt::For { .. } | Stmt::While { .. } | Stmt::Loop { .. } => false,
        _ => child_blocks(s).any(|b| leaves(b)),
    })
}

/// The statements `block` emits: nested loops that unroll count as unrolled.
fn cost(k: &Kernel, block: &[Stmt]) -> u64 {
    block
        .iter()
        .map(|s| match plan(k, s) {
            Some((_, size)) => size,
            None => child_blocks(s).fold(1u64, |c, b| c.saturating_add(cost(k, b))),
        })
        .fold(0u64, u64::saturating_add)
}

/// The private arrays that loop `stmt` (a `for` that does not unroll, a `while` or a `loop`,
/// not nested in another such loop) reads through a copy made before it: those of at most
/// [`BUDGET`] elements, declared outside it, that it reads and never writes, and whose every
/// other access either has a constant index (literals and variables of unrolled loops) or is
/// in another such loop that copies it too, so that the copies are what let the original stay
/// in registers. In `k`'s declaration order.
pub fn read_copies(k: &Kernel, stmt: &Stmt) -> Vec<ArrayId> {
    let Some(this) = Reads::of(k, stmt) else {
        return Vec::new();
    };
    let mut loops = Vec::new();
    outer_loops(k, &k.body, &mut loops);
    let loops: Vec<Reads> = loops.into_iter().filter_map(|l| Reads::of(k, l)).collect();
    let unrolled = unrolled_vars(k);
    let mut dynamic = HashSet::new();
    walk_array_accesses(k, &k.body, &mut |a, i| {
        let copied = loops.iter().any(|l| l.copies(a) && l.inside.contains(&i));
        if !copied && !constant(k, i, &unrolled) {
            dynamic.insert(a);
        }
    });
    k.arrays
        .iter()
        .map(|(a, _)| a)
        .filter(|&a| this.copies(a) && !dynamic.contains(&a))
        .filter(|&a| k.array(a).space == Space::Private && k.array(a).len as u64 <= BUDGET)
        .collect()
}

/// What a loop that stays a loop does with arrays.
struct Reads {
    /// The index of every array access in it.
    inside: HashSet<ExprId>,
    /// The arrays it reads.
    read: HashSet<ArrayId>,
    /// The arrays it writes or declares.
    written: HashSet<ArrayId>,
}

impl Reads {
    fn of(k: &Kernel, stmt: &Stmt) -> Option<Reads> {
        let body = match stmt {
            Stmt::For { body, .. } if plan(k, stmt).is_none() => body,
            Stmt::While { body, .. } | Stmt::Loop { body } => body,
            _ => return None,
        };
        let (mut inside, mut read, mut written) = (HashSet::new(), HashSet::new(), HashSet::new());
        walk_array_accesses(k, body, &mut |a, i| {
            inside.insert(i);
            read.insert(a);
        });
        walk_stmts(body, &mut |s| match s {
            Stmt::ArrayStore { array, .. } | Stmt::ArrayDecl { array, .. } => {
                written.insert(*array);
            }
            _ => {}
        });
        Some(Reads {
            inside,
            read,
            written,
        })
    }

    /// Whether the loop reads `a` through a copy, as far as it alone can tell.
    fn copies(&self, a: ArrayId) -> bool {
        self.read.contains(&a) && !self.written.contains(&a)
    }
}

/// The loops that stay loops in `block` and are nested in none: the back end's outermost.
fn outer_loops<'k>(k: &Kernel, block: &'k [Stmt], out: &mut Vec<&'k Stmt>) {
    for s in block {
        match s {
            Stmt::For { body, .. } if plan(k, s).is_some() => outer_loops(k, body, out),
            Stmt::For { .. } | Stmt::While { .. } | Stmt::Loop { .. } => out.push(s),
            _ => child_blocks(s).for_each(|b| outer_loops(k, b, out)),
        }
    }
}

/// The variables of every `for` loop in `k` that unrolls.
fn unrolled_vars(k: &Kernel) -> HashSet<LocalId> {
    let mut vars = HashSet::new();
    walk_stmts(&k.body, &mut |s| {
        if let Stmt::For { var, .. } = s {
            if plan(k, s).is_some() {
                vars.insert(*var);
            }
        }
    });
    vars
}

/// Whether index `e` is a constant once the loops over `unrolled` are written out.
fn constant(k: &Kernel, e: ExprId, unrolled: &HashSet<LocalId>) -> bool {
    match k.expr(e) {
        Expr::Literal(_) | Expr::Constant(_) => true,
        Expr::Local(l) => unrolled.contains(l),
        Expr::Binary { left, right, .. } => {
            constant(k, *left, unrolled) && constant(k, *right, unrolled)
        }
        Expr::Cast { expr, .. } => constant(k, *expr, unrolled),
        _ => false,
    }
}
