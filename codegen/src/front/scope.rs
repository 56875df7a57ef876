//! The lowerer's state and its scopes: name resolution, kernel-unique names for locals and
//! arrays, and the expression arena the other `front` modules add to.

use super::Helpers;
use crate::error::Error;
use crate::ir::*;
use proc_macro2::Span;
use std::collections::HashMap;

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
    pub(super) name_counts: HashMap<String, u32>,
    pub(crate) loop_depth: u32,
    /// Private arrays declared `let mut`.
    pub(super) private_mut: Vec<ArrayId>,
    /// The `#[kernel_fn]` helpers callable, by the name they are called with.
    pub(super) helpers: &'h Helpers,
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

    pub(super) fn error_expr(&mut self, span: Span, msg: impl Into<String>) -> ExprId {
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

    /// A kernel-unique name for `name` (shared with locals: `x`, `x_1`, ...).
    pub(super) fn unique(&mut self, name: &str) -> String {
        let count = self.name_counts.entry(name.to_string()).or_insert(0);
        let unique = if *count == 0 {
            name.to_string()
        } else {
            format!("{name}_{count}")
        };
        *count += 1;
        unique
    }
}
