//! Walkers over statements and expressions, shared by validation, the passes and the back
//! ends.

use super::*;
use proc_macro2::Span;

/// The blocks nested directly in `stmt`: an `if`'s two arms, a loop's body, or none.
pub fn child_blocks(stmt: &Stmt) -> impl Iterator<Item = &Block> {
    let (first, second) = match stmt {
        Stmt::If { accept, reject, .. } => (Some(accept), Some(reject)),
        Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop { body } => {
            (Some(body), None)
        }
        _ => (None, None),
    };
    first.into_iter().chain(second)
}

/// Calls `f` on every statement of `block`, nested ones included, in source order.
pub fn walk_stmts<'a>(block: &'a [Stmt], f: &mut impl FnMut(&'a Stmt)) {
    for stmt in block {
        f(stmt);
        for b in child_blocks(stmt) {
            walk_stmts(b, f);
        }
    }
}

/// Calls `f` on every statement of `block` with its span, nested ones included, in source
/// order.
pub fn walk_stmts_spanned<'a>(block: &'a Block, f: &mut impl FnMut(&'a Stmt, Span)) {
    for (stmt, span) in block.span_iter() {
        f(stmt, span);
        for b in child_blocks(stmt) {
            walk_stmts_spanned(b, f);
        }
    }
}

/// Calls `f` on every expression the statements of `block` use, nested blocks included, and on
/// every operand under them.
pub fn walk_exprs(kernel: &Kernel, block: &[Stmt], f: &mut impl FnMut(ExprId)) {
    let mut stack: Vec<ExprId> = Vec::new();
    walk_stmts(block, &mut |s| stack.extend(stmt_exprs(s)));
    while let Some(e) = stack.pop() {
        f(e);
        stack.extend(expr_operands(kernel.expr(e)));
    }
}

/// Calls `f(slice, index)` on every store to and load from a slice in `block`, nested blocks
/// included (atomics not: they are not loads or stores; vector accesses not: see
/// [`VectorOp`]).
pub fn walk_slice_accesses(kernel: &Kernel, block: &[Stmt], f: &mut impl FnMut(ParamId, ExprId)) {
    walk_stmts(block, &mut |s| {
        if let Stmt::Store { slice, index, .. } = s {
            f(*slice, *index);
        }
    });
    walk_exprs(kernel, block, &mut |e| {
        if let Expr::Load { slice, index } = kernel.expr(e) {
            f(*slice, *index);
        }
    });
}

/// Calls `f(array, index)` on every store to and load from an array in `block`, nested blocks
/// included (atomics not), as [`walk_slice_accesses`] does for slices.
pub fn walk_array_accesses(kernel: &Kernel, block: &[Stmt], f: &mut impl FnMut(ArrayId, ExprId)) {
    walk_stmts(block, &mut |s| {
        if let Stmt::ArrayStore { array, index, .. } = s {
            f(*array, *index);
        }
    });
    walk_exprs(kernel, block, &mut |e| {
        if let Expr::ArrayLoad { array, index } = kernel.expr(e) {
            f(*array, *index);
        }
    });
}

/// The expressions a statement uses directly (not those of nested blocks).
pub fn stmt_exprs(stmt: &Stmt) -> Vec<ExprId> {
    match stmt {
        Stmt::Let { init, .. } => init.iter().copied().collect(),
        Stmt::Assign { value, .. } => vec![*value],
        Stmt::Store { index, value, .. } | Stmt::ArrayStore { index, value, .. } => {
            vec![*index, *value]
        }
        Stmt::ArrayDecl { init, .. } => init.iter().copied().collect(),
        Stmt::Atomic { index, args, .. } => {
            let mut v = vec![*index];
            v.extend(args.iter().copied());
            v
        }
        Stmt::Subgroup { value, arg, .. } => {
            let mut v = vec![*value];
            v.extend(arg.iter().copied());
            v
        }
        Stmt::Matrix(op) => op.exprs(),
        Stmt::Vector(op) => op.exprs(),
        Stmt::If { cond, .. } | Stmt::While { cond, .. } => vec![*cond],
        Stmt::For {
            start, end, step, ..
        } => {
            let mut v = vec![*start, *end];
            v.extend(step.iter().copied());
            v
        }
        Stmt::Loop { .. } | Stmt::Break | Stmt::Continue | Stmt::Return | Stmt::Barrier(_) => {
            vec![]
        }
    }
}

/// The direct operands of an expression.
pub fn expr_operands(expr: &Expr) -> Vec<ExprId> {
    match expr {
        Expr::Load { index, .. } | Expr::ArrayLoad { index, .. } => vec![*index],
        Expr::Unary { arg, .. } => vec![*arg],
        Expr::Binary { left, right, .. } => vec![*left, *right],
        Expr::Cast { expr, .. } => vec![*expr],
        Expr::Math { args, .. } | Expr::Int { args, .. } => args.clone(),
        _ => vec![],
    }
}
