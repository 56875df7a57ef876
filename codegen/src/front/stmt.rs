//! Statements: `let`, assignment and compound assignment, `if`, loops, `break`/`continue`/
//! `return`, and `if`/block expressions in value position, lowered by assigning a local.

use super::array::array_init;
use super::call::{barrier_call, builtin_call};
use super::matrix::{is_matrix_maker, is_matrix_statement};
use super::scope::{push_if, push_let, Binding, Lowerer};
use super::types;
use crate::ir::*;
use std::collections::HashMap;
use syn::spanned::Spanned;

impl Lowerer<'_> {
    pub(crate) fn block(&mut self, block: &syn::Block) -> Block {
        self.scopes.push(HashMap::new());
        let mut out = Block::new();
        for stmt in &block.stmts {
            self.stmt(stmt, &mut out);
        }
        self.scopes.pop();
        out
    }

    pub(crate) fn stmt(&mut self, stmt: &syn::Stmt, out: &mut Block) {
        match stmt {
            syn::Stmt::Local(local) => self.let_stmt(local, out),
            syn::Stmt::Expr(expr, semi) => {
                if semi.is_none() && produces_value(expr) {
                    self.error(
                        expr.span(),
                        "a kernel returns nothing; end the statement with `;` or write the \
                         value into a `&mut [T]` parameter",
                    );
                }
                self.expr_stmt(expr, out)
            }
            syn::Stmt::Item(syn::Item::Const(c)) => self.const_item(c),
            syn::Stmt::Item(item) => self.error(
                item.span(),
                "items (fn, struct, use) inside a kernel are not supported; declare values \
                 with `let` or `const` in the kernel",
            ),
            syn::Stmt::Macro(m) => self.error(
                m.span(),
                "macros are not supported in kernels (no println!/assert! on a GPU); write \
                 the code out",
            ),
        }
    }

    pub(super) fn let_stmt(&mut self, local: &syn::Local, out: &mut Block) {
        let (pat, ty) = match &local.pat {
            syn::Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
            other => (other, None),
        };
        if let (syn::Pat::Wild(_), Some(init)) = (pat, &local.init) {
            // `let _ = value;` evaluates the value (an atomic, say) and drops it.
            if init.diverge.is_none() && ty.is_none() {
                return self.expr_stmt(&init.expr, out);
            }
        }
        if let syn::Pat::Tuple(t) = pat {
            if let Some(ty) = ty {
                return self.error(
                    ty.span(),
                    "a destructured pair takes its types from the call; remove the annotation",
                );
            }
            return self.let_tuple(local, t, out);
        }
        let syn::Pat::Ident(pi) = pat else {
            self.error(
                local.pat.span(),
                "only simple `let name = value;` bindings are supported; destructuring \
                 patterns are not",
            );
            return;
        };
        if pi.by_ref.is_some() {
            self.error(
                pi.span(),
                "`ref` bindings are not supported; kernels have no references to locals",
            );
        }
        let name = pi.ident.to_string();
        if let Some(init) = &local.init {
            if let Some(space) = array_init(&init.expr) {
                let mutable = pi.mutability.is_some();
                return self.array_let(&name, pi.ident.span(), mutable, ty, &init.expr, space, out);
            }
        }
        if let Some(init) = local.init.as_ref().filter(|i| is_matrix_maker(&i.expr)) {
            let mutable = pi.mutability.is_some();
            return self.matrix_let(&name, pi.ident.span(), mutable, ty, &init.expr, out);
        }
        let vector_init = local
            .init
            .as_ref()
            .is_some_and(|i| self.vector_width(&i.expr).is_some());
        if vector_init || ty.and_then(super::vector::vector_type).is_some() {
            let init = local.init.as_ref().map(|i| &*i.expr);
            let mutable = pi.mutability.is_some();
            return self.vector_let(&name, pi.ident.span(), mutable, ty, init, out);
        }
        if let Some(syn::Type::Array(a)) = ty {
            return self.error(
                a.span(),
                "an array is declared with a value: `let mut a = [0.0f32; N];`",
            );
        }
        let ty = ty.and_then(|t| match types::scalar(t) {
            Ok(s) => Some(s),
            Err(e) => {
                self.errors.push(e);
                None
            }
        });
        let Some(init) = &local.init else {
            let id = self.declare(&name, ty, true, pi.ident.span());
            if ty.is_none() {
                self.error(
                    pi.ident.span(),
                    "a `let` without a value needs a type, such as `let x: f32;`",
                );
            }
            push_let(out, id, None, local.span());
            return;
        };
        if let Some((_, d)) = &init.diverge {
            self.error(d.span(), "`let ... else` is not supported in kernels");
        }
        // `let g = global_id();` binds the intrinsic, so that `g.x` reads it.
        if let Some(b) = builtin_call(&init.expr) {
            if pi.mutability.is_some() || ty.is_some() {
                self.error(
                    pi.span(),
                    format!("bind `{}()` without `mut` or a type", b.name()),
                );
            }
            self.scopes
                .last_mut()
                .expect("scope")
                .insert(name, Binding::Builtin(b));
            return;
        }
        if is_control_expr(&init.expr) {
            // Declared first so the arms can assign it; the name is in scope only afterwards,
            // as in Rust, because `declare` runs after lowering the arms below.
            let tmp = self.temp(ty, pi.ident.span());
            push_let(out, tmp, None, local.span());
            self.value_into(&init.expr, tmp, out);
            let value = self.push(Expr::Local(tmp), init.expr.span());
            let id = self.declare(&name, ty, pi.mutability.is_some(), pi.ident.span());
            push_let(out, id, Some(value), local.span());
            return;
        }
        let value = self.expr(&init.expr, out);
        let id = self.declare(&name, ty, pi.mutability.is_some(), pi.ident.span());
        push_let(out, id, Some(value), local.span());
    }

    /// Lowers an `if`/block expression in value position: each arm assigns `dest`.
    pub(super) fn value_into(&mut self, expr: &syn::Expr, dest: LocalId, out: &mut Block) {
        match expr {
            syn::Expr::If(e) => {
                let cond = self.expr(&e.cond, out);
                let accept = self.block_value_into(&e.then_branch, dest);
                let reject = match &e.else_branch {
                    Some((_, els)) => {
                        let mut b = Block::new();
                        self.scopes.push(HashMap::new());
                        self.value_into(els, dest, &mut b);
                        self.scopes.pop();
                        b
                    }
                    None => {
                        self.error(e.span(), "an `if` used as a value needs an `else` branch");
                        Block::new()
                    }
                };
                push_if(out, cond, accept, reject, e.span());
            }
            syn::Expr::Block(b) if b.label.is_none() => {
                let mut stmts = self.block_value_into(&b.block, dest);
                out.append(&mut stmts);
            }
            syn::Expr::Paren(p) => self.value_into(&p.expr, dest, out),
            other => {
                let v = self.expr(other, out);
                out.push(
                    Stmt::Assign {
                        local: dest,
                        value: v,
                    },
                    other.span(),
                );
            }
        }
    }

    /// A block whose last expression (no `;`) is its value, assigned to `dest`.
    pub(crate) fn block_value_into(&mut self, block: &syn::Block, dest: LocalId) -> Block {
        self.scopes.push(HashMap::new());
        let mut out = Block::new();
        let n = block.stmts.len();
        for (i, stmt) in block.stmts.iter().enumerate() {
            match stmt {
                syn::Stmt::Expr(e, None) if i + 1 == n => self.value_into(e, dest, &mut out),
                other => self.stmt(other, &mut out),
            }
        }
        if !matches!(block.stmts.last(), Some(syn::Stmt::Expr(_, None))) {
            self.error(
                block.span(),
                "this block is used as a value but ends without one; end it with an \
                 expression (no `;`)",
            );
        }
        self.scopes.pop();
        out
    }

    pub(super) fn expr_stmt(&mut self, expr: &syn::Expr, out: &mut Block) {
        match expr {
            syn::Expr::Call(c) if barrier_call(c).is_some() => {
                let b = barrier_call(c).expect("checked");
                if !c.args.is_empty() {
                    self.error(
                        c.args.span(),
                        format!("`{}()` takes no arguments", b.name()),
                    );
                }
                out.push(Stmt::Barrier(b), c.span());
            }
            syn::Expr::Call(c) if is_matrix_statement(c) => self.matrix_statement(c, out),
            syn::Expr::Assign(a) if self.matrix_target(&a.left).is_some() => {
                let target = self.matrix_target(&a.left).expect("checked");
                match &*a.right {
                    syn::Expr::Call(c) if is_matrix_maker(&a.right) => {
                        self.matrix_assign(target, c, out)
                    }
                    other => self.error(
                        other.span(),
                        "a matrix fragment is assigned from `matrix_fill` or a                          `matrix_load_*` call",
                    ),
                }
            }
            syn::Expr::Assign(a) if self.vector_binding(&a.left).is_some() => {
                if let Some(v) = self.vector_target(&a.left) {
                    self.vector_assign(v, None, &a.right, out);
                }
            }
            syn::Expr::Binary(b)
                if compound_op(&b.op).is_some() && self.vector_binding(&b.left).is_some() =>
            {
                if let Some(v) = self.vector_target(&b.left) {
                    self.vector_assign(v, Some(&b.op), &b.right, out);
                }
            }
            syn::Expr::MethodCall(mc)
                if mc.method == "store" && self.vector_width(&mc.receiver).is_some() =>
            {
                let width = self.vector_width(&mc.receiver).expect("checked");
                self.vector_store(mc, width, out);
            }
            syn::Expr::Assign(a) => {
                let value = self.expr(&a.right, out);
                self.assign(&a.left, value, out);
            }
            syn::Expr::Binary(b) if compound_op(&b.op).is_some() => {
                let op = compound_op(&b.op).expect("checked");
                let current = self.expr(&b.left, out);
                let rhs = self.expr(&b.right, out);
                let value = self.push(
                    Expr::Binary {
                        op,
                        left: current,
                        right: rhs,
                    },
                    b.span(),
                );
                self.assign(&b.left, value, out);
            }
            syn::Expr::If(e) => {
                let cond = self.expr(&e.cond, out);
                let accept = self.block(&e.then_branch);
                let reject = match &e.else_branch {
                    Some((_, els)) => {
                        let mut b = Block::new();
                        self.scopes.push(HashMap::new());
                        self.expr_stmt(els, &mut b);
                        self.scopes.pop();
                        b
                    }
                    None => Block::new(),
                };
                push_if(out, cond, accept, reject, e.span());
            }
            syn::Expr::Block(b) => {
                if b.label.is_some() {
                    self.error(b.span(), "labelled blocks are not supported in kernels");
                }
                let mut stmts = self.block(&b.block);
                // A nested block keeps its scope: wrap it in an always-taken `if`.
                if !stmts.is_empty() {
                    let t = self.push(Expr::Literal(Literal::Bool(true)), b.span());
                    push_if(out, t, std::mem::take(&mut stmts), Block::new(), b.span());
                }
            }
            syn::Expr::ForLoop(f) => self.for_loop(f, out),
            syn::Expr::While(w) => {
                if w.label.is_some() {
                    self.error(w.span(), "loop labels are not supported in kernels yet");
                }
                self.no_loop_attrs(&w.attrs, "while");
                let mut pre = Block::new();
                let cond = self.expr(&w.cond, &mut pre);
                if !pre.is_empty() {
                    self.error(
                        w.cond.span(),
                        "a `while` condition cannot contain `if` expressions or atomic \
                         operations; compute it in a `let` inside a `loop`",
                    );
                }
                self.loop_depth += 1;
                let body = self.block(&w.body);
                self.loop_depth -= 1;
                out.push(Stmt::While { cond, body }, w.span());
            }
            syn::Expr::Loop(l) => {
                if l.label.is_some() {
                    self.error(l.span(), "loop labels are not supported in kernels yet");
                }
                self.no_loop_attrs(&l.attrs, "loop");
                self.loop_depth += 1;
                let body = self.block(&l.body);
                self.loop_depth -= 1;
                out.push(Stmt::Loop { body }, l.span());
            }
            syn::Expr::Break(b) => {
                if b.label.is_some() || b.expr.is_some() {
                    self.error(
                        b.span(),
                        "`break` takes no label or value in kernels; write a plain `break`",
                    );
                }
                if self.loop_depth == 0 {
                    self.error(b.span(), "`break` outside of a loop");
                }
                out.push(Stmt::Break, b.span());
            }
            syn::Expr::Continue(c) => {
                if c.label.is_some() {
                    self.error(c.span(), "`continue` takes no label in kernels");
                }
                if self.loop_depth == 0 {
                    self.error(c.span(), "`continue` outside of a loop");
                }
                out.push(Stmt::Continue, c.span());
            }
            syn::Expr::Return(r) if !self.inlining.is_empty() => self.error(
                r.span(),
                "a #[kernel_fn] returns only at its end (its last expression, or a final \
                 `return`); an early `return` is not supported yet: use `if`/`else`",
            ),
            syn::Expr::Return(r) => {
                if let Some(e) = &r.expr {
                    self.error(
                        e.span(),
                        "a kernel returns nothing; write `return;` and store results in a \
                         `&mut [T]` parameter",
                    );
                }
                out.push(Stmt::Return, r.span());
            }
            syn::Expr::Paren(p) => self.expr_stmt(&p.expr, out),
            syn::Expr::Call(c) if self.helper_of(c).is_some() => {
                let helper = self.helper_of(c).expect("checked");
                let _ = self.inline_call(helper, c, false, out);
            }
            syn::Expr::MethodCall(mc) if self.atomic_target(&mc.receiver).is_some() => {
                self.atomic(mc, false, out);
            }
            syn::Expr::Macro(m) => self.error(
                m.span(),
                "macros are not supported in kernels (no println!/assert! on a GPU); write \
                 the code out",
            ),
            other => {
                // An expression evaluated for nothing: check it, then drop it.
                let _ = self.expr(other, out);
            }
        }
    }

    pub(super) fn assign(&mut self, target: &syn::Expr, value: ExprId, out: &mut Block) {
        if let Some(local) = self.lane_target(target) {
            return out.push(Stmt::Assign { local, value }, target.span());
        }
        match target {
            syn::Expr::Path(p) => {
                let Some(ident) = p.path.get_ident() else {
                    return self.error(p.span(), "cannot assign to this path");
                };
                match self.lookup(&ident.to_string()) {
                    Some(Binding::Local(local)) => {
                        if !self.kernel.local(local).mutable {
                            self.error(
                                ident.span(),
                                format!(
                                    "cannot assign twice to immutable variable `{ident}`; \
                                     declare it with `let mut`"
                                ),
                            );
                        }
                        out.push(Stmt::Assign { local, value }, target.span());
                    }
                    Some(Binding::Param(_)) => self.error(
                        ident.span(),
                        format!(
                            "cannot assign to parameter `{ident}`; copy it into a local with \
                             `let mut {ident} = {ident};`"
                        ),
                    ),
                    Some(Binding::Builtin(_)) => {
                        self.error(ident.span(), "cannot assign to an id intrinsic")
                    }
                    Some(Binding::Array(_)) => self.error(
                        ident.span(),
                        "cannot assign a whole array; assign its elements (`a[i] = v`)",
                    ),
                    Some(Binding::Const(_)) => {
                        self.error(ident.span(), format!("cannot assign to constant `{ident}`"))
                    }
                    Some(Binding::Vector(_)) => self.error(
                        target.span(),
                        "a vector is assigned a vector: `v = Vec4::splat(x)`",
                    ),
                    Some(Binding::Matrix(_)) => self.error(
                        ident.span(),
                        "a matrix fragment is assigned from `matrix_fill` or a `matrix_load_*`                          call",
                    ),
                    None => self.error(ident.span(), format!("cannot find value `{ident}`")),
                }
            }
            syn::Expr::Index(ix) if self.atomic_target(target).is_some() => {
                let t = self.atomic_target(target).expect("checked");
                let msg = self.plain_atomic_access(t, true);
                self.error(ix.span(), msg);
            }
            syn::Expr::Index(ix) if self.array_root(&ix.expr).is_some() => {
                let array = self.array_root(&ix.expr).expect("checked");
                let a = self.kernel.array(array);
                if a.space == Space::Private && !self.private_mut.contains(&array) {
                    let name = a.name.clone();
                    self.error(
                        ix.expr.span(),
                        format!("cannot assign to an element of `{name}`; declare it `let mut`"),
                    );
                }
                let index = self.array_index(ix, out);
                out.push(
                    Stmt::ArrayStore {
                        array,
                        index,
                        value,
                    },
                    ix.span(),
                );
            }
            syn::Expr::Index(ix) => {
                let Some(slice) = self.slice_param(&ix.expr) else {
                    return;
                };
                if let ParamKind::Slice { mutable: false, .. } = self.kernel.param(slice).kind {
                    let name = self.kernel.param(slice).name.clone();
                    self.error(
                        ix.expr.span(),
                        format!(
                            "cannot write to `{name}`: it is a `&[T]` (read-only) parameter; \
                             declare it `&mut [T]`"
                        ),
                    );
                }
                let index = self.expr(&ix.index, out);
                out.push(
                    Stmt::Store {
                        slice,
                        index,
                        value,
                    },
                    ix.span(),
                );
            }
            syn::Expr::Paren(p) => self.assign(&p.expr, value, out),
            syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => self.error(
                u.span(),
                "kernels have no references to locals; assign the variable directly",
            ),
            other => self.error(
                other.span(),
                "can only assign to a local (`x = ...`) or a slice element (`y[i] = ...`)",
            ),
        }
    }

    /// Reports the attributes of a `while` or `loop`: only a `for` over literal bounds unrolls.
    fn no_loop_attrs(&mut self, attrs: &[syn::Attribute], kind: &str) {
        for attr in attrs {
            self.error(
                attr.span(),
                format!(
                    "a `{kind}` loop takes no attributes; `#[unroll]` takes a `for` loop over \
                     literal bounds"
                ),
            );
        }
    }

    pub(super) fn for_loop(&mut self, f: &syn::ExprForLoop, out: &mut Block) {
        if f.label.is_some() {
            self.error(f.span(), "loop labels are not supported in kernels yet");
        }
        let mut unroll = false;
        for attr in &f.attrs {
            if attr.path().is_ident("unroll") && matches!(attr.meta, syn::Meta::Path(_)) {
                unroll = true;
            } else {
                self.error(
                    attr.span(),
                    "the only attribute a kernel loop takes is `#[unroll]` (no arguments)",
                );
            }
        }
        if let syn::Expr::MethodCall(mc) = &*f.expr {
            let stepped =
                matches!(&*mc.receiver, syn::Expr::MethodCall(inner) if inner.method == "step_by");
            if mc.method == "rev" && stepped {
                return self.error(
                    mc.method.span(),
                    "`.step_by(s).rev()` starts from the last stepped value, which kernels do \
                     not support; write `(a..b).rev().step_by(s)` to step down from `b - 1`",
                );
            }
        }
        let Some((r, step, reverse)) = loop_range(&f.expr) else {
            return self.error(
                f.expr.span(),
                "kernels loop over ranges only: `for i in a..b`, `a..=b`, `(a..b).step_by(s)`, \
                 `(a..b).rev()` or `(a..b).rev().step_by(s)`",
            );
        };
        let inclusive = matches!(r.limits, syn::RangeLimits::Closed(_));
        let (Some(start), Some(end)) = (&r.start, &r.end) else {
            return self.error(r.span(), "a kernel loop needs both bounds: `a..b`");
        };
        let start = self.expr(start, out);
        let end = self.expr(end, out);
        let step = step.map(|s| self.expr(s, out));
        if unroll && (inclusive || reverse) {
            self.error(
                f.expr.span(),
                "`#[unroll]` takes an ascending range with an exclusive end: `a..b` or \
                 `(a..b).step_by(s)`",
            );
        } else if unroll {
            let most = crate::proc::unroll::MAX_UNROLL;
            let range = crate::proc::unroll::literal_range(&self.kernel, start, end, step, most);
            if range.is_none() {
                self.error(
                    f.expr.span(),
                    format!(
                        "`#[unroll]` needs integer literals for the bounds and step, and at \
                         most {most} values: `for i in 0..8`"
                    ),
                );
            }
        }
        let syn::Pat::Ident(pi) = &*f.pat else {
            return self.error(f.pat.span(), "the loop variable must be a plain name");
        };
        self.scopes.push(HashMap::new());
        let var = self.declare(&pi.ident.to_string(), None, false, pi.ident.span());
        self.loop_depth += 1;
        let body = self.block(&f.body);
        self.loop_depth -= 1;
        self.scopes.pop();
        if unroll && crate::proc::unroll::leaves(&body) {
            self.error(
                f.span(),
                "a `#[unroll]` loop cannot `break` or `continue` itself: every iteration is \
                 written out",
            );
        }
        let for_loop = Stmt::For {
            var,
            start,
            end,
            step,
            inclusive,
            reverse,
            unroll,
            body,
        };
        out.push(for_loop, f.span());
    }
}

/// The range a `for` loop runs over, its `step_by` argument and whether it is reversed:
/// `a..b`, `a..=b`, `(r).step_by(s)`, `(r).rev()` and `(r).rev().step_by(s)`. (`step_by`
/// before `rev` would start from the last stepped value, which is not supported.)
fn loop_range(expr: &syn::Expr) -> Option<(&syn::ExprRange, Option<&syn::Expr>, bool)> {
    fn unparen(mut e: &syn::Expr) -> &syn::Expr {
        while let syn::Expr::Paren(p) = e {
            e = &p.expr;
        }
        e
    }
    let mut e = unparen(expr);
    let mut step = None;
    if let syn::Expr::MethodCall(mc) = e {
        if mc.method == "step_by" && mc.args.len() == 1 {
            step = Some(&mc.args[0]);
            e = unparen(&mc.receiver);
        }
    }
    let mut reverse = false;
    if let syn::Expr::MethodCall(mc) = e {
        if mc.method == "rev" && mc.args.is_empty() {
            reverse = true;
            e = unparen(&mc.receiver);
        }
    }
    match e {
        syn::Expr::Range(r) => Some((r, step, reverse)),
        _ => None,
    }
}

pub(super) fn is_control_expr(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::If(_) | syn::Expr::Block(_) => true,
        syn::Expr::Paren(p) => is_control_expr(&p.expr),
        _ => false,
    }
}

pub(super) fn produces_value(expr: &syn::Expr) -> bool {
    !matches!(
        expr,
        syn::Expr::If(_)
            | syn::Expr::ForLoop(_)
            | syn::Expr::While(_)
            | syn::Expr::Loop(_)
            | syn::Expr::Block(_)
            | syn::Expr::Assign(_)
            | syn::Expr::Return(_)
            | syn::Expr::Break(_)
            | syn::Expr::Continue(_)
            | syn::Expr::Macro(_)
    ) && !matches!(expr, syn::Expr::Binary(b) if compound_op(&b.op).is_some())
}

pub(super) fn compound_op(op: &syn::BinOp) -> Option<BinaryOp> {
    use syn::BinOp as B;
    Some(match op {
        B::AddAssign(_) => BinaryOp::Add,
        B::SubAssign(_) => BinaryOp::Sub,
        B::MulAssign(_) => BinaryOp::Mul,
        B::DivAssign(_) => BinaryOp::Div,
        B::RemAssign(_) => BinaryOp::Rem,
        B::BitXorAssign(_) => BinaryOp::BitXor,
        B::BitAndAssign(_) => BinaryOp::BitAnd,
        B::BitOrAssign(_) => BinaryOp::BitOr,
        B::ShlAssign(_) => BinaryOp::Shl,
        B::ShrAssign(_) => BinaryOp::Shr,
        _ => return None,
    })
}
