//! Statement and expression lowering, with name resolution.

use super::types;
use super::Helpers;
use crate::error::Error;
use crate::ir::*;
use proc_macro2::Span;
use std::collections::HashMap;
use syn::spanned::Spanned;

/// What a name in scope refers to.
#[derive(Clone, Copy)]
pub(crate) enum Binding {
    Local(LocalId),
    Param(ParamId),
    /// `let g = global_id();`: `g.x` reads the intrinsic.
    Builtin(Builtin),
    /// A workgroup or private array.
    Array(ArrayId),
    /// `const N: u32 = 256;`: a literal of a fixed type.
    Const(Literal),
}

pub(crate) struct Lowerer<'h> {
    pub(crate) kernel: Kernel,
    pub(crate) errors: Vec<Error>,
    pub(crate) scopes: Vec<HashMap<String, Binding>>,
    name_counts: HashMap<String, u32>,
    pub(crate) loop_depth: u32,
    /// Private arrays declared `let mut`.
    private_mut: Vec<ArrayId>,
    /// The `#[kernel_fn]` helpers callable, by the name they are called with.
    helpers: &'h Helpers,
    /// The helpers being inlined, innermost last.
    pub(crate) inlining: Vec<String>,
}

impl<'h> Lowerer<'h> {
    pub(crate) fn new(
        name: String,
        params: Vec<Param>,
        workgroup_size: [u32; 3],
        helpers: &'h Helpers,
    ) -> Self {
        let mut globals = HashMap::new();
        let mut name_counts = HashMap::new();
        for (i, p) in params.iter().enumerate() {
            globals.insert(p.name.clone(), Binding::Param(ParamId(i as u32)));
            name_counts.insert(p.name.clone(), 1);
        }
        Lowerer {
            kernel: Kernel {
                name,
                workgroup_size,
                params,
                locals: Vec::new(),
                arrays: Vec::new(),
                exprs: Vec::new(),
                spans: Vec::new(),
                body: Vec::new(),
            },
            errors: Vec::new(),
            scopes: vec![globals],
            name_counts,
            loop_depth: 0,
            private_mut: Vec::new(),
            helpers,
            inlining: Vec::new(),
        }
    }

    pub(crate) fn finish(self) -> (Kernel, Vec<Error>) {
        (self.kernel, self.errors)
    }

    pub(crate) fn lower_body(&mut self, block: &syn::Block) {
        let body = self.block(block);
        self.kernel.body = body;
    }

    pub(crate) fn error(&mut self, span: Span, msg: impl Into<String>) {
        self.errors.push(Error::new(span, msg));
    }

    pub(crate) fn push(&mut self, expr: Expr, span: Span) -> ExprId {
        self.kernel.exprs.push(expr);
        self.kernel.spans.push(span);
        ExprId(self.kernel.exprs.len() as u32 - 1)
    }

    fn error_expr(&mut self, span: Span, msg: impl Into<String>) -> ExprId {
        self.error(span, msg);
        self.push(Expr::Error, span)
    }

    /// Declares a local with a kernel-unique name.
    pub(crate) fn declare(
        &mut self,
        name: &str,
        ty: Option<Scalar>,
        mutable: bool,
        span: Span,
    ) -> LocalId {
        let unique = self.unique(name);
        self.kernel.locals.push(Local {
            name: unique,
            ty,
            mutable,
            span,
        });
        let id = LocalId(self.kernel.locals.len() as u32 - 1);
        self.scopes
            .last_mut()
            .expect("scope")
            .insert(name.to_string(), Binding::Local(id));
        id
    }

    pub(crate) fn temp(&mut self, ty: Option<Scalar>, span: Span) -> LocalId {
        let count = self.name_counts.entry("tmp".into()).or_insert(0);
        let name = format!("kf_tmp{count}");
        *count += 1;
        self.kernel.locals.push(Local {
            name,
            ty,
            mutable: true,
            span,
        });
        LocalId(self.kernel.locals.len() as u32 - 1)
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    pub(crate) fn block(&mut self, block: &syn::Block) -> Block {
        self.scopes.push(HashMap::new());
        let mut out = Vec::new();
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

    fn let_stmt(&mut self, local: &syn::Local, out: &mut Block) {
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
            out.push(Stmt::Let {
                local: id,
                init: None,
            });
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
            out.push(Stmt::Let {
                local: tmp,
                init: None,
            });
            self.value_into(&init.expr, tmp, out);
            let value = self.push(Expr::Local(tmp), init.expr.span());
            let id = self.declare(&name, ty, pi.mutability.is_some(), pi.ident.span());
            out.push(Stmt::Let {
                local: id,
                init: Some(value),
            });
            return;
        }
        let value = self.expr(&init.expr, out);
        let id = self.declare(&name, ty, pi.mutability.is_some(), pi.ident.span());
        out.push(Stmt::Let {
            local: id,
            init: Some(value),
        });
    }

    /// Lowers an `if`/block expression in value position: each arm assigns `dest`.
    fn value_into(&mut self, expr: &syn::Expr, dest: LocalId, out: &mut Block) {
        match expr {
            syn::Expr::If(e) => {
                let cond = self.expr(&e.cond, out);
                let accept = self.block_value_into(&e.then_branch, dest);
                let reject = match &e.else_branch {
                    Some((_, els)) => {
                        let mut b = Vec::new();
                        self.scopes.push(HashMap::new());
                        self.value_into(els, dest, &mut b);
                        self.scopes.pop();
                        b
                    }
                    None => {
                        self.error(e.span(), "an `if` used as a value needs an `else` branch");
                        Vec::new()
                    }
                };
                out.push(Stmt::If {
                    cond,
                    accept,
                    reject,
                });
            }
            syn::Expr::Block(b) if b.label.is_none() => {
                let mut stmts = self.block_value_into(&b.block, dest);
                out.append(&mut stmts);
            }
            syn::Expr::Paren(p) => self.value_into(&p.expr, dest, out),
            other => {
                let v = self.expr(other, out);
                out.push(Stmt::Assign {
                    local: dest,
                    value: v,
                });
            }
        }
    }

    /// A block whose last expression (no `;`) is its value, assigned to `dest`.
    pub(crate) fn block_value_into(&mut self, block: &syn::Block, dest: LocalId) -> Block {
        self.scopes.push(HashMap::new());
        let mut out = Vec::new();
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

    fn expr_stmt(&mut self, expr: &syn::Expr, out: &mut Block) {
        match expr {
            syn::Expr::Call(c) if is_named_call(c, "barrier") => {
                if !c.args.is_empty() {
                    self.error(c.args.span(), "`barrier()` takes no arguments");
                }
                let site = self.push(Expr::Literal(Literal::Bool(true)), c.span());
                out.push(Stmt::Barrier { site });
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
                        let mut b = Vec::new();
                        self.scopes.push(HashMap::new());
                        self.expr_stmt(els, &mut b);
                        self.scopes.pop();
                        b
                    }
                    None => Vec::new(),
                };
                out.push(Stmt::If {
                    cond,
                    accept,
                    reject,
                });
            }
            syn::Expr::Block(b) => {
                if b.label.is_some() {
                    self.error(b.span(), "labelled blocks are not supported in kernels");
                }
                let mut stmts = self.block(&b.block);
                // A nested block keeps its scope: wrap it in an always-taken `if`.
                if !stmts.is_empty() {
                    let t = self.push(Expr::Literal(Literal::Bool(true)), b.span());
                    out.push(Stmt::If {
                        cond: t,
                        accept: std::mem::take(&mut stmts),
                        reject: Vec::new(),
                    });
                }
            }
            syn::Expr::ForLoop(f) => self.for_loop(f, out),
            syn::Expr::While(w) => {
                if w.label.is_some() {
                    self.error(w.span(), "loop labels are not supported in kernels yet");
                }
                let mut pre = Vec::new();
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
                out.push(Stmt::While { cond, body });
            }
            syn::Expr::Loop(l) => {
                if l.label.is_some() {
                    self.error(l.span(), "loop labels are not supported in kernels yet");
                }
                self.loop_depth += 1;
                let body = self.block(&l.body);
                self.loop_depth -= 1;
                out.push(Stmt::Loop { body });
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
                out.push(Stmt::Break);
            }
            syn::Expr::Continue(c) => {
                if c.label.is_some() {
                    self.error(c.span(), "`continue` takes no label in kernels");
                }
                if self.loop_depth == 0 {
                    self.error(c.span(), "`continue` outside of a loop");
                }
                out.push(Stmt::Continue);
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
                out.push(Stmt::Return);
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

    fn assign(&mut self, target: &syn::Expr, value: ExprId, out: &mut Block) {
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
                        out.push(Stmt::Assign { local, value });
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
                    None => self.error(ident.span(), format!("cannot find value `{ident}`")),
                }
            }
            syn::Expr::Index(ix) if self.atomic_target(target).is_some() => {
                let t = self.atomic_target(target).expect("checked");
                let msg = self.plain_atomic_access(t, true);
                self.error(ix.span(), msg);
            }
            syn::Expr::Index(ix) if self.array_of(&ix.expr).is_some() => {
                let array = self.array_of(&ix.expr).expect("checked");
                let a = self.kernel.array(array);
                if a.space == Space::Private && !self.private_mut.contains(&array) {
                    let name = a.name.clone();
                    self.error(
                        ix.expr.span(),
                        format!("cannot assign to an element of `{name}`; declare it `let mut`"),
                    );
                }
                let index = self.expr(&ix.index, out);
                out.push(Stmt::ArrayStore {
                    array,
                    index,
                    value,
                });
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
                out.push(Stmt::Store {
                    slice,
                    index,
                    value,
                });
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

    fn slice_param(&mut self, expr: &syn::Expr) -> Option<ParamId> {
        let syn::Expr::Path(p) = expr else {
            self.error(
                expr.span(),
                "only slice parameters can be indexed, such as `x[i]`",
            );
            return None;
        };
        let name = p.path.get_ident().map(|i| i.to_string());
        match name.as_deref().and_then(|n| self.lookup(n)) {
            Some(Binding::Param(id))
                if matches!(self.kernel.param(id).kind, ParamKind::Slice { .. }) =>
            {
                Some(id)
            }
            Some(_) => {
                self.error(
                    expr.span(),
                    "only slice parameters and arrays can be indexed",
                );
                None
            }
            None => {
                self.error(expr.span(), "cannot find this slice");
                None
            }
        }
    }

    fn for_loop(&mut self, f: &syn::ExprForLoop, out: &mut Block) {
        if f.label.is_some() {
            self.error(f.span(), "loop labels are not supported in kernels yet");
        }
        let (range, step) = match &*f.expr {
            syn::Expr::MethodCall(mc) if mc.method == "step_by" && mc.args.len() == 1 => {
                let mut inner = &*mc.receiver;
                while let syn::Expr::Paren(p) = inner {
                    inner = &p.expr;
                }
                (inner, Some(&mc.args[0]))
            }
            other => (other, None),
        };
        let syn::Expr::Range(r) = range else {
            return self.error(
                f.expr.span(),
                "kernels loop over ranges only: `for i in a..b` or `for i in (a..b).step_by(s)`",
            );
        };
        if matches!(r.limits, syn::RangeLimits::Closed(_)) {
            self.error(
                r.span(),
                "inclusive ranges `a..=b` are not supported; write `a..b + 1`",
            );
        }
        let (Some(start), Some(end)) = (&r.start, &r.end) else {
            return self.error(r.span(), "a kernel loop needs both bounds: `a..b`");
        };
        let start = self.expr(start, out);
        let end = self.expr(end, out);
        let step = step.map(|s| self.expr(s, out));
        let syn::Pat::Ident(pi) = &*f.pat else {
            return self.error(f.pat.span(), "the loop variable must be a plain name");
        };
        self.scopes.push(HashMap::new());
        let var = self.declare(&pi.ident.to_string(), None, false, pi.ident.span());
        self.loop_depth += 1;
        let body = self.block(&f.body);
        self.loop_depth -= 1;
        self.scopes.pop();
        out.push(Stmt::For {
            var,
            start,
            end,
            step,
            body,
        });
    }

    /// Lowers a value expression; `if` expressions inside it become statements in `out`.
    pub(crate) fn expr(&mut self, expr: &syn::Expr, out: &mut Block) -> ExprId {
        let span = expr.span();
        match expr {
            syn::Expr::Lit(l) => self.literal(&l.lit),
            syn::Expr::Paren(p) => self.expr(&p.expr, out),
            syn::Expr::Group(g) => self.expr(&g.expr, out),
            syn::Expr::Path(p) => self.path(p),
            syn::Expr::Unary(u) => {
                let op = match u.op {
                    syn::UnOp::Neg(_) => UnaryOp::Neg,
                    syn::UnOp::Not(_) => UnaryOp::Not,
                    syn::UnOp::Deref(_) => {
                        return self.error_expr(
                            span,
                            "kernels have no references to dereference; use the value itself",
                        )
                    }
                    _ => return self.error_expr(span, "unsupported unary operator"),
                };
                let arg = self.expr(&u.expr, out);
                self.push(Expr::Unary { op, arg }, span)
            }
            syn::Expr::Binary(b) => {
                let Some(op) = binary_op(&b.op) else {
                    return self.error_expr(
                        span,
                        "compound assignment is a statement, not a value; write it on its \
                         own line",
                    );
                };
                let left = self.expr(&b.left, out);
                let mut pre = Vec::new();
                let right = self.expr(&b.right, &mut pre);
                if pre.is_empty() || !matches!(op, BinaryOp::And | BinaryOp::Or) {
                    out.extend(pre);
                    if let Some(lit) = self.fold(op, left, right) {
                        return self.push(Expr::Literal(lit), span);
                    }
                    return self.push(Expr::Binary { op, left, right }, span);
                }
                // The right operand needs statements (an `if` expression or an atomic): run
                // them only when it is evaluated, keeping `&&`/`||` short-circuit.
                let tmp = self.temp(Some(Scalar::Bool), span);
                out.push(Stmt::Let {
                    local: tmp,
                    init: Some(left),
                });
                let mut cond = self.push(Expr::Local(tmp), span);
                if op == BinaryOp::Or {
                    cond = self.push(
                        Expr::Unary {
                            op: UnaryOp::Not,
                            arg: cond,
                        },
                        span,
                    );
                }
                pre.push(Stmt::Assign {
                    local: tmp,
                    value: right,
                });
                out.push(Stmt::If {
                    cond,
                    accept: pre,
                    reject: Vec::new(),
                });
                self.push(Expr::Local(tmp), span)
            }
            syn::Expr::Cast(c) => {
                let inner = self.expr(&c.expr, out);
                match types::scalar(&c.ty) {
                    Ok(to) => self.push(Expr::Cast { expr: inner, to }, span),
                    Err(mut e) => {
                        if e.message.contains("usize") {
                            e.message = "indices are `u32` in kernels, so `as usize` is not \
                                         needed: index with the `u32` directly (`x[i]`)"
                                .into();
                        }
                        self.errors.push(e);
                        self.push(Expr::Error, span)
                    }
                }
            }
            syn::Expr::Index(_) if self.atomic_target(expr).is_some() => {
                let t = self.atomic_target(expr).expect("checked");
                let msg = self.plain_atomic_access(t, false);
                self.error_expr(span, msg)
            }
            syn::Expr::Index(ix) if self.array_of(&ix.expr).is_some() => {
                let array = self.array_of(&ix.expr).expect("checked");
                let index = self.expr(&ix.index, out);
                self.push(Expr::ArrayLoad { array, index }, span)
            }
            syn::Expr::Index(ix) => {
                let Some(slice) = self.slice_param(&ix.expr) else {
                    return self.push(Expr::Error, span);
                };
                let index = self.expr(&ix.index, out);
                self.push(Expr::Load { slice, index }, span)
            }
            syn::Expr::Field(f) => self.field(f),
            syn::Expr::MethodCall(mc) => self.method_call(mc, out),
            syn::Expr::Call(c) => self.call(c, out),
            syn::Expr::If(_) | syn::Expr::Block(_) => {
                let tmp = self.temp(None, span);
                out.push(Stmt::Let {
                    local: tmp,
                    init: None,
                });
                self.value_into(expr, tmp, out);
                self.push(Expr::Local(tmp), span)
            }
            syn::Expr::Closure(_) => self.error_expr(
                span,
                "closures are not supported in kernels; write the code inline or in a \
                 function marked #[kernel_fn]",
            ),
            syn::Expr::Reference(_) => self.error_expr(
                span,
                "references to locals are not supported in kernels; use the value itself",
            ),
            syn::Expr::Macro(_) => self.error_expr(
                span,
                "macros are not supported in kernels (no println!/assert! on a GPU)",
            ),
            syn::Expr::Match(_) => self.error_expr(
                span,
                "`match` is not supported in kernels yet; write `if`/`else if` chains",
            ),
            syn::Expr::Array(_) | syn::Expr::Repeat(_) => self.error_expr(
                span,
                "array values are not supported yet; use slice parameters",
            ),
            syn::Expr::Tuple(_) | syn::Expr::Struct(_) => self.error_expr(
                span,
                "tuples and structs are not supported in kernels; use separate scalars",
            ),
            syn::Expr::Range(_) => self.error_expr(
                span,
                "ranges are only supported as the iterator of a `for` loop",
            ),
            syn::Expr::Unsafe(_) => self.error_expr(
                span,
                "`unsafe` blocks are not allowed in kernels; accesses are checked by kernelforge",
            ),
            _ => self.error_expr(span, "this expression is not supported in kernels"),
        }
    }

    fn literal(&mut self, lit: &syn::Lit) -> ExprId {
        let span = lit.span();
        let suffix = |s: &str| -> Result<Option<Scalar>, String> {
            match s {
                "" => Ok(None),
                "f32" => Ok(Some(Scalar::F32)),
                "i32" => Ok(Some(Scalar::I32)),
                "u32" => Ok(Some(Scalar::U32)),
                "f64" => Err("`f64` is not supported: WGSL has no 64-bit floats; use `f32`".into()),
                "usize" => Err("indices are `u32` in kernels; use the `u32` suffix".into()),
                other => Err(format!(
                    "literal suffix `{other}` is not supported; use `f32`, `i32` or `u32`"
                )),
            }
        };
        match lit {
            syn::Lit::Int(i) => match suffix(i.suffix()) {
                Ok(Some(Scalar::F32)) => match i.base10_parse::<f64>() {
                    Ok(v) => self.push(Expr::Literal(Literal::Float(v, Some(Scalar::F32))), span),
                    Err(e) => self.error_expr(span, e.to_string()),
                },
                Ok(ty) => match i.base10_parse::<u64>() {
                    Ok(v) if v <= u32::MAX as u64 => {
                        self.push(Expr::Literal(Literal::Int(v, ty)), span)
                    }
                    _ => self.error_expr(span, "integer literal does not fit in 32 bits"),
                },
                Err(m) => self.error_expr(span, m),
            },
            syn::Lit::Float(f) => match suffix(f.suffix()) {
                Ok(ty @ (None | Some(Scalar::F32))) => match f.base10_parse::<f64>() {
                    Ok(v) => self.push(Expr::Literal(Literal::Float(v, ty)), span),
                    Err(e) => self.error_expr(span, e.to_string()),
                },
                Ok(_) => self.error_expr(span, "a float literal cannot have an integer suffix"),
                Err(m) => self.error_expr(span, m),
            },
            syn::Lit::Bool(b) => self.push(Expr::Literal(Literal::Bool(b.value)), span),
            syn::Lit::Str(_) | syn::Lit::ByteStr(_) | syn::Lit::CStr(_) => {
                self.error_expr(span, "strings do not exist in kernels")
            }
            _ => self.error_expr(span, "this literal is not supported in kernels"),
        }
    }

    fn path(&mut self, p: &syn::ExprPath) -> ExprId {
        let span = p.span();
        if let Some(ident) = p.path.get_ident() {
            let name = ident.to_string();
            return match self.lookup(&name) {
                Some(Binding::Local(l)) => self.push(Expr::Local(l), span),
                Some(Binding::Param(id)) => match self.kernel.param(id).kind {
                    ParamKind::Scalar(_) => self.push(Expr::Param(id), span),
                    ParamKind::Slice { .. } => self.error_expr(
                        span,
                        format!(
                            "a slice is not a value; index it (`{name}[i]`) or take its \
                             length (`{name}.len()`)"
                        ),
                    ),
                },
                Some(Binding::Builtin(b)) => self.error_expr(
                    span,
                    format!(
                        "`{name}` holds `{}()`; read a component: `{name}.x`",
                        b.name()
                    ),
                ),
                Some(Binding::Array(_)) => self.error_expr(
                    span,
                    format!("an array is not a value; index it: `{name}[i]`"),
                ),
                Some(Binding::Const(lit)) => self.push(Expr::Literal(lit), span),
                None => self.error_expr(
                    span,
                    format!(
                        "cannot find value `{name}` in this kernel (a `const` outside the \
                         kernel is not visible to it; declare it inside the kernel's body)"
                    ),
                ),
            };
        }
        let segs: Vec<String> = p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        if segs.len() == 2 {
            if let Some(c) = Constant::from_path(&segs[0], &segs[1]) {
                return self.push(Expr::Constant(c), span);
            }
        }
        self.error_expr(
            span,
            format!(
                "`{}` is not available in kernels; constants such as `f32::MAX` and \
                 `u32::MAX` are",
                segs.join("::")
            ),
        )
    }

    fn field(&mut self, f: &syn::ExprField) -> ExprId {
        let span = f.span();
        let axis = match &f.member {
            syn::Member::Named(n) if n == "x" => Axis::X,
            syn::Member::Named(n) if n == "y" => Axis::Y,
            syn::Member::Named(n) if n == "z" => Axis::Z,
            _ => {
                return self.error_expr(
                    f.member.span(),
                    "id intrinsics have the components `.x`, `.y` and `.z`",
                )
            }
        };
        let builtin = match &*f.base {
            syn::Expr::Path(p) => {
                match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                    Some(Binding::Builtin(b)) => Some(b),
                    _ => None,
                }
            }
            other => builtin_call(other),
        };
        match builtin {
            Some(b) => self.push(Expr::Builtin(b, axis), span),
            None => self.error_expr(
                span,
                "field access works only on id intrinsics, such as `global_id().x`",
            ),
        }
    }

    fn method_call(&mut self, mc: &syn::ExprMethodCall, out: &mut Block) -> ExprId {
        let span = mc.span();
        let name = mc.method.to_string();
        if self.atomic_target(&mc.receiver).is_some() {
            return match self.atomic(mc, true, out) {
                Some(l) => self.push(Expr::Local(l), span),
                None => self.push(Expr::Error, span),
            };
        }
        if mc.turbofish.is_some() {
            return self.error_expr(span, "turbofish (`::<T>`) is not supported in kernels");
        }
        if name == "len" {
            if !mc.args.is_empty() {
                return self.error_expr(span, "`len()` takes no arguments");
            }
            return match self.slice_param(&mc.receiver) {
                Some(id) => self.push(Expr::Len(id), span),
                None => self.push(Expr::Error, span),
            };
        }
        let wrapping = match name.as_str() {
            "wrapping_add" => Some(BinaryOp::Add),
            "wrapping_sub" => Some(BinaryOp::Sub),
            "wrapping_mul" => Some(BinaryOp::Mul),
            _ => None,
        };
        if let Some(op) = wrapping {
            if mc.args.len() != 1 {
                return self.error_expr(span, format!("`{name}` takes one argument"));
            }
            let left = self.expr(&mc.receiver, out);
            let right = self.expr(&mc.args[0], out);
            return self.push(Expr::Binary { op, left, right }, span);
        }
        let Some(fun) = MathFn::from_name(&name) else {
            return self.error_expr(
                mc.method.span(),
                format!(
                    "method `{name}` is not supported in kernels; the supported methods are \
                     `len`, `wrapping_add/sub/mul` and the math functions {}",
                    math_list()
                ),
            );
        };
        if mc.args.len() + 1 != fun.arity() {
            return self.error_expr(
                span,
                format!(
                    "`{name}` takes {} argument(s) besides the receiver",
                    fun.arity() - 1
                ),
            );
        }
        let mut args = vec![self.expr(&mc.receiver, out)];
        for a in &mc.args {
            args.push(self.expr(a, out));
        }
        self.push(Expr::Math { fun, args }, span)
    }

    fn call(&mut self, c: &syn::ExprCall, out: &mut Block) -> ExprId {
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
        if name == "barrier" {
            return self.error_expr(span, "`barrier()` is a statement; write `barrier();`");
        }
        if name == "shared_array" {
            return self.error_expr(
                span,
                "`shared_array` declares workgroup memory: write `let tile = \
                 shared_array::<f32, 256>();`",
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
        let path: Vec<String> = p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        self.error_expr(
            c.func.span(),
            format!(
                "cannot call `{}` from a kernel: kernels call the id intrinsics, the math \
                 functions {} and functions marked #[kernel_fn]",
                path.join("::"),
                math_list()
            ),
        )
    }

    /// `subgroup_size()`, `subgroup_invocation_id()` and the subgroup operations.
    fn subgroup_call(&mut self, c: &syn::ExprCall, name: &str, out: &mut Block) -> Option<ExprId> {
        let span = c.span();
        let id = match name {
            "subgroup_size" => Some(SubgroupId::Size),
            "subgroup_invocation_id" => Some(SubgroupId::InvocationId),
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
        let site = self.push(Expr::Literal(Literal::Bool(true)), span);
        let result = self.temp(None, span);
        out.push(Stmt::Let {
            local: result,
            init: None,
        });
        out.push(Stmt::Subgroup {
            op,
            value,
            arg,
            result,
            site,
        });
        Some(self.push(Expr::Local(result), span))
    }

    /// `+ - * /` of two non-negative integer literals of one type, folded, so that constants
    /// such as a helper's `N / 2` cost nothing at run time. Overflow, negative results and
    /// division by zero are left to run time, where they wrap as the language says.
    fn fold(&self, op: BinaryOp, left: ExprId, right: ExprId) -> Option<Literal> {
        let (Expr::Literal(Literal::Int(a, ta)), Expr::Literal(Literal::Int(b, tb))) = (
            &self.kernel.exprs[left.0 as usize],
            &self.kernel.exprs[right.0 as usize],
        ) else {
            return None;
        };
        let ty = match (ta, tb) {
            (Some(x), Some(y)) if x != y => return None,
            (Some(x), _) | (_, Some(x)) => Some(*x),
            (None, None) => None,
        };
        let v = match op {
            BinaryOp::Add => a.checked_add(*b),
            BinaryOp::Sub => a.checked_sub(*b),
            BinaryOp::Mul => a.checked_mul(*b),
            BinaryOp::Div => a.checked_div(*b),
            _ => None,
        }?;
        let max = match ty {
            Some(Scalar::U32) => u32::MAX as u64,
            _ => i32::MAX as u64,
        };
        (v <= max).then_some(Literal::Int(v, ty))
    }

    /// The `#[kernel_fn]` a call names, by its last path segment.
    fn helper_of(&self, c: &syn::ExprCall) -> Option<&'h syn::ItemFn> {
        let syn::Expr::Path(p) = &*c.func else {
            return None;
        };
        let name = p.path.segments.last()?.ident.to_string();
        self.helpers.get(&name)
    }
}

impl Lowerer<'_> {
    /// Whether parameter `id` is an atomic slice.
    fn is_atomic(&self, id: ParamId) -> bool {
        matches!(
            self.kernel.param(id).kind,
            ParamKind::Slice { atomic: true, .. }
        )
    }

    /// The atomic slice or array `expr` indexes (`s[i]`), if it does.
    fn atomic_target(&self, expr: &syn::Expr) -> Option<AtomicTarget> {
        let syn::Expr::Index(ix) = expr else {
            return None;
        };
        let syn::Expr::Path(p) = &*ix.expr else {
            return None;
        };
        match self.lookup(&p.path.get_ident()?.to_string())? {
            Binding::Param(id) if self.is_atomic(id) => Some(AtomicTarget::Slice(id)),
            Binding::Array(id) if self.kernel.array(id).atomic => Some(AtomicTarget::Array(id)),
            _ => None,
        }
    }

    /// The error for reading (or, with `write`, writing) an element of an atomic slice or
    /// array other than through an atomic operation.
    fn plain_atomic_access(&self, t: AtomicTarget, write: bool) -> String {
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
    fn atomic(
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
        let index = self.expr(&ix.index, out);
        let args = mc.args.iter().take(n).map(|a| self.expr(a, out)).collect();
        let result = if value {
            let elem = self.kernel.atomic_elem(target);
            let tmp = self.temp(Some(elem), span);
            out.push(Stmt::Let {
                local: tmp,
                init: None,
            });
            Some(tmp)
        } else {
            None
        };
        out.push(Stmt::Atomic {
            target,
            index,
            op,
            args,
            result,
        });
        result
    }

    /// A kernel-unique name for `name` (shared with locals: `x`, `x_1`, ...).
    fn unique(&mut self, name: &str) -> String {
        let count = self.name_counts.entry(name.to_string()).or_insert(0);
        let unique = if *count == 0 {
            name.to_string()
        } else {
            format!("{name}_{count}")
        };
        *count += 1;
        unique
    }

    /// The array an indexed expression names, if it is one.
    pub(crate) fn array_of(&self, expr: &syn::Expr) -> Option<ArrayId> {
        let syn::Expr::Path(p) = expr else {
            return None;
        };
        match self.lookup(&p.path.get_ident()?.to_string())? {
            Binding::Array(id) => Some(id),
            _ => None,
        }
    }

    /// `let tile = shared_array::<T, N>();` or `let mut a = [v; N];` (optionally typed `[T; N]`).
    #[allow(clippy::too_many_arguments)]
    fn array_let(
        &mut self,
        name: &str,
        span: Span,
        mutable: bool,
        ty: Option<&syn::Type>,
        init: &syn::Expr,
        space: Space,
        out: &mut Block,
    ) {
        let (mut elem, len, value, atomic) = match (space, init) {
            (Space::Workgroup, syn::Expr::Call(c)) => {
                if !c.args.is_empty() {
                    self.error(c.args.span(), "`shared_array` takes no arguments");
                }
                let (elem, len, atomic) = self.shared_generics(c);
                (elem, len, None, atomic)
            }
            (_, syn::Expr::Repeat(r)) => {
                let len = self.const_u32(&r.len);
                let value = self.expr(&r.expr, out);
                (None, len, Some(value), false)
            }
            _ => unreachable!("array_init matched"),
        };
        if let Some(t) = ty {
            match t {
                syn::Type::Array(a) => {
                    match types::scalar(&a.elem) {
                        Ok(s) => elem = elem.or(Some(s)),
                        Err(e) => self.errors.push(e),
                    }
                    let l = self.const_u32(&a.len);
                    if l.is_some() && len.is_some() && l != len {
                        self.error(a.len.span(), "the array's type and value differ in length");
                    }
                }
                other => self.error(other.span(), "an array's type is written `[T; N]`"),
            }
        }
        // The element type of `[v; N]` comes from `v` (fixed by `valid`) when not written.
        if space == Space::Workgroup && elem == Some(Scalar::Bool) {
            self.error(span, "workgroup memory cannot hold `bool`; use `u32`");
        }
        let Some(len) = len else { return };
        if len == 0 {
            return self.error(init.span(), "an array needs at least one element");
        }
        let unique = self.unique(name);
        self.kernel.arrays.push(Array {
            name: unique,
            elem,
            len,
            space,
            atomic,
            span,
        });
        let id = ArrayId(self.kernel.arrays.len() as u32 - 1);
        if space == Space::Private {
            if mutable {
                self.private_mut.push(id);
            }
            out.push(Stmt::ArrayDecl {
                array: id,
                init: value,
            });
        } else if mutable {
            self.error(
                span,
                "workgroup memory is written through its elements; drop the `mut`",
            );
        }
        self.scopes
            .last_mut()
            .expect("scope")
            .insert(name.to_string(), Binding::Array(id));
    }

    /// `shared_array::<T, N>()`'s element type and length.
    /// Also whether the element type is `AtomicU32`/`AtomicI32`.
    fn shared_generics(&mut self, c: &syn::ExprCall) -> (Option<Scalar>, Option<u32>, bool) {
        let syn::Expr::Path(p) = &*c.func else {
            return (None, None, false);
        };
        let last = p.path.segments.last().expect("named call");
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            self.error(
                last.span(),
                "write the element type and length: `shared_array::<f32, 256>()`",
            );
            return (None, None, false);
        };
        let args: Vec<_> = args.args.iter().collect();
        let [syn::GenericArgument::Type(t), len] = args[..] else {
            self.error(
                last.arguments.span(),
                "write the element type and length: `shared_array::<f32, 256>()`",
            );
            return (None, None, false);
        };
        let atomic = types::atomic_elem(t);
        let elem = match atomic.map_or_else(|| types::scalar(t), Ok) {
            Ok(s) => Some(s),
            Err(e) => {
                self.errors.push(e);
                None
            }
        };
        let len = self.const_arg(len, "the length must be a constant `u32`");
        (elem, len, atomic.is_some())
    }

    /// A generic argument that is a compile-time `u32` (`256`, `N`, `{ N * 2 }`); `msg` is the
    /// error for any other argument.
    pub(crate) fn const_arg(&mut self, g: &syn::GenericArgument, msg: &str) -> Option<u32> {
        match g {
            syn::GenericArgument::Const(e) => self.const_u32(e),
            // `N` parses as a type path; `{ N * 2 }` as a const block.
            syn::GenericArgument::Type(syn::Type::Path(tp)) => {
                self.const_u32(&syn::Expr::Path(syn::ExprPath {
                    attrs: Vec::new(),
                    qself: None,
                    path: tp.path.clone(),
                }))
            }
            other => {
                self.error(other.span(), msg);
                None
            }
        }
    }

    /// Evaluates a compile-time integer: literals, `const` items, `+ - * /` and parentheses.
    fn const_int(&mut self, e: &syn::Expr) -> Option<u64> {
        let lookup = |n: &str| match self.lookup(n) {
            Some(Binding::Const(Literal::Int(v, _))) => Some(v),
            _ => None,
        };
        match const_eval(e, &lookup) {
            Ok(v) => Some(v),
            Err((span, msg)) => {
                self.error(span, msg);
                None
            }
        }
    }

    /// Evaluates a compile-time `u32` (an array length).
    pub(crate) fn const_u32(&mut self, e: &syn::Expr) -> Option<u32> {
        let v = self.const_int(e)?;
        match u32::try_from(v) {
            Ok(v) => Some(v),
            Err(_) => {
                self.error(e.span(), "this constant does not fit in a `u32`");
                None
            }
        }
    }

    /// `const N: u32 = 256;` inside a kernel.
    fn const_item(&mut self, c: &syn::ItemConst) {
        let name = c.ident.to_string();
        let ty = match types::scalar(&c.ty) {
            Ok(t) => t,
            Err(e) => return self.errors.push(e),
        };
        let lit = match ty {
            Scalar::F32 => match &*c.expr {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Float(f),
                    ..
                }) => f.base10_parse::<f64>().ok(),
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(i),
                    ..
                }) => i.base10_parse::<f64>().ok(),
                syn::Expr::Unary(syn::ExprUnary {
                    op: syn::UnOp::Neg(_),
                    expr,
                    ..
                }) => match &**expr {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Float(f),
                        ..
                    }) => f.base10_parse::<f64>().ok().map(|v| -v),
                    _ => None,
                },
                _ => None,
            }
            .map(|v| Literal::Float(v, Some(Scalar::F32))),
            Scalar::Bool => match &*c.expr {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Bool(b),
                    ..
                }) => Some(Literal::Bool(b.value)),
                _ => None,
            },
            Scalar::U32 | Scalar::I32 => match self.const_int(&c.expr) {
                Some(v)
                    if (ty == Scalar::U32 && v <= u32::MAX as u64)
                        || (ty == Scalar::I32 && v <= i32::MAX as u64) =>
                {
                    Some(Literal::Int(v, Some(ty)))
                }
                Some(_) => return self.error(c.expr.span(), "this constant does not fit its type"),
                None => return,
            },
        };
        match lit {
            Some(lit) => {
                self.scopes
                    .last_mut()
                    .expect("scope")
                    .insert(name, Binding::Const(lit));
            }
            None => self.error(
                c.expr.span(),
                "a kernel `const` is a literal (integer constants may also use `+ - * /` and \
                 other constants)",
            ),
        }
    }
}

/// Evaluates a non-negative integer constant expression.
fn const_eval(e: &syn::Expr, lookup: &dyn Fn(&str) -> Option<u64>) -> Result<u64, (Span, String)> {
    let bad = |e: &syn::Expr| {
        (
            e.span(),
            "expected a constant: an integer literal, a `const` declared in the kernel, or \
             `+ - * /` of them"
                .to_string(),
        )
    };
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i
            .base10_parse::<u64>()
            .map_err(|err| (i.span(), err.to_string())),
        syn::Expr::Paren(p) => const_eval(&p.expr, lookup),
        syn::Expr::Group(g) => const_eval(&g.expr, lookup),
        syn::Expr::Block(b) if b.block.stmts.len() == 1 => match &b.block.stmts[0] {
            syn::Stmt::Expr(inner, None) => const_eval(inner, lookup),
            _ => Err(bad(e)),
        },
        syn::Expr::Path(p) => {
            let name = p
                .path
                .get_ident()
                .map(|i| i.to_string())
                .ok_or_else(|| bad(e))?;
            lookup(&name).ok_or_else(|| {
                (
                    e.span(),
                    format!(
                        "`{name}` is not a constant of this kernel; declare `const {name}: u32 = \
                         ...;` inside the kernel's body"
                    ),
                )
            })
        }
        syn::Expr::Binary(b) => {
            let l = const_eval(&b.left, lookup)?;
            let r = const_eval(&b.right, lookup)?;
            let v = match b.op {
                syn::BinOp::Add(_) => l.checked_add(r),
                syn::BinOp::Sub(_) => l.checked_sub(r),
                syn::BinOp::Mul(_) => l.checked_mul(r),
                syn::BinOp::Div(_) => l.checked_div(r),
                _ => return Err(bad(e)),
            };
            v.ok_or_else(|| {
                (
                    e.span(),
                    "this constant overflows or divides by zero".into(),
                )
            })
        }
        _ => Err(bad(e)),
    }
}

/// Whether a `let` initialiser declares an array, and where it lives.
fn array_init(e: &syn::Expr) -> Option<Space> {
    match e {
        syn::Expr::Repeat(_) => Some(Space::Private),
        syn::Expr::Call(c) if is_named_call(c, "shared_array") => Some(Space::Workgroup),
        _ => None,
    }
}

/// Whether `c` calls a function whose last path segment is `name`.
fn is_named_call(c: &syn::ExprCall, name: &str) -> bool {
    matches!(&*c.func, syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == name))
}

fn math_list() -> String {
    MathFn::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(" ")
}

fn builtin_call(expr: &syn::Expr) -> Option<Builtin> {
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

fn is_control_expr(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::If(_) | syn::Expr::Block(_) => true,
        syn::Expr::Paren(p) => is_control_expr(&p.expr),
        _ => false,
    }
}

fn produces_value(expr: &syn::Expr) -> bool {
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

fn binary_op(op: &syn::BinOp) -> Option<BinaryOp> {
    use syn::BinOp as B;
    Some(match op {
        B::Add(_) => BinaryOp::Add,
        B::Sub(_) => BinaryOp::Sub,
        B::Mul(_) => BinaryOp::Mul,
        B::Div(_) => BinaryOp::Div,
        B::Rem(_) => BinaryOp::Rem,
        B::And(_) => BinaryOp::And,
        B::Or(_) => BinaryOp::Or,
        B::BitXor(_) => BinaryOp::BitXor,
        B::BitAnd(_) => BinaryOp::BitAnd,
        B::BitOr(_) => BinaryOp::BitOr,
        B::Shl(_) => BinaryOp::Shl,
        B::Shr(_) => BinaryOp::Shr,
        B::Eq(_) => BinaryOp::Eq,
        B::Lt(_) => BinaryOp::Lt,
        B::Le(_) => BinaryOp::Le,
        B::Ne(_) => BinaryOp::Ne,
        B::Ge(_) => BinaryOp::Ge,
        B::Gt(_) => BinaryOp::Gt,
        _ => return None,
    })
}

fn compound_op(op: &syn::BinOp) -> Option<BinaryOp> {
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
