//! The lowerer's state and its scopes: name resolution, kernel-unique names for locals and
//! arrays, and the expression arena the other `front` modules add to.

use super::Helpers;
use crate::error::Error;
use crate::ir::*;
use proc_macro2::Span;
use std::collections::HashMap;
use syn::spanned::Spanned;

/// Appends `let local = init;` to `out` (without `init`, the local is assigned later).
pub(crate) fn push_let(out: &mut Block, local: LocalId, init: Option<ExprId>, span: Span) {
    out.push(Stmt::Let { local, init }, span);
}

/// Appends `if cond { accept } else { reject }` to `out`.
pub(crate) fn push_if(out: &mut Block, cond: ExprId, accept: Block, reject: Block, span: Span) {
    let stmt = Stmt::If {
        cond,
        accept,
        reject,
    };
    out.push(stmt, span);
}

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
    /// A matrix fragment (`let a = matrix_load_a(..)`).
    Matrix(MatrixId),
    /// A `Vec2` or `Vec4`: one local per lane.
    Vector(super::vector::VectorLocals),
}

pub(crate) struct Lowerer<'h> {
    pub(crate) kernel: Kernel,
    pub(crate) errors: Vec<Error>,
    pub(crate) scopes: Vec<HashMap<String, Binding>>,
    pub(super) name_counts: HashMap<String, u32>,
    pub(crate) loop_depth: u32,
    /// Private arrays declared `let mut`.
    pub(super) private_mut: Vec<ArrayId>,
    /// Matrix fragments declared `let mut`.
    pub(super) matrix_mut: Vec<MatrixId>,
    /// The dimensions, outermost first, of the arrays of arrays (`[[f32; 32]; 8]` is
    /// `[8, 32]`), which are stored flat, row-major; absent for plain arrays.
    pub(super) array_dims: HashMap<ArrayId, Vec<u32>>,
    /// The `#[kernel_fn]` helpers callable, by the name they are called with.
    pub(super) helpers: &'h Helpers,
    /// The helpers being inlined, innermost last.
    pub(crate) inlining: Vec<String>,
}

impl<'h> Lowerer<'h> {
    pub(crate) fn new(
        name: String,
        params: Vec<(Param, Span)>,
        workgroup_size: [u32; 3],
        helpers: &'h Helpers,
    ) -> Self {
        let mut globals = HashMap::new();
        let mut name_counts = HashMap::new();
        let mut arena = Arena::new();
        for (p, span) in params {
            name_counts.insert(p.name.clone(), 1);
            let name = p.name.clone();
            globals.insert(name, Binding::Param(arena.append(p, span)));
        }
        Lowerer {
            kernel: Kernel {
                name,
                workgroup_size,
                params: arena,
                locals: Arena::new(),
                arrays: Arena::new(),
                exprs: Arena::new(),
                matrices: Arena::new(),
                body: Block::new(),
            },
            errors: Vec::new(),
            scopes: vec![globals],
            name_counts,
            loop_depth: 0,
            private_mut: Vec::new(),
            matrix_mut: Vec::new(),
            array_dims: HashMap::new(),
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
        self.kernel.exprs.append(expr, span)
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
        let id = self.add_local(unique, ty, mutable, span);
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
        self.add_local(name, ty, true, span)
    }

    /// Appends a local named `name` (already kernel-unique) to the kernel.
    pub(super) fn add_local(
        &mut self,
        name: String,
        ty: Option<Scalar>,
        mutable: bool,
        span: Span,
    ) -> LocalId {
        let local = Local {
            name,
            declared_ty: ty,
            mutable,
        };
        self.kernel.locals.append(local, span)
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    /// What a single-name path expression (`tile`, `acc`) is bound to, if anything.
    pub(crate) fn path_binding(&self, e: &syn::Expr) -> Option<Binding> {
        let syn::Expr::Path(p) = e else {
            return None;
        };
        self.lookup(&p.path.get_ident()?.to_string())
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
    /// The plain slice or workgroup array that argument `arg` (`&x`, `&mut x`, or `x`) of the
    /// operation `name` names; `store` when it writes there. The errors say what `name` takes,
    /// with the call's form `form` and why a private array is not allowed (`private`).
    pub(super) fn memory_arg(
        &mut self,
        arg: &syn::Expr,
        name: &str,
        store: bool,
        form: &str,
        private: &str,
    ) -> Option<Memory> {
        let inner = match arg {
            syn::Expr::Reference(r) => &*r.expr,
            other => other,
        };
        let mem = match self.path_binding(inner) {
            Some(Binding::Param(p)) => match self.kernel.param(p).kind {
                ParamKind::Slice {
                    atomic: false,
                    mutable,
                    ..
                } => {
                    if store && !mutable {
                        self.error(
                            inner.span(),
                            format!(
                                "`{}` is read-only (`&[T]`); `{name}` writes a `&mut` slice or \
                                 a workgroup array",
                                self.kernel.param(p).name
                            ),
                        );
                        return None;
                    }
                    Some(Memory::Slice(p))
                }
                _ => None,
            },
            Some(Binding::Array(a)) => {
                let arr = self.kernel.array(a);
                (arr.space == Space::Workgroup && !arr.atomic).then_some(Memory::Array(a))
            }
            _ => None,
        };
        if mem.is_none() {
            let what = if store { "writes" } else { "reads" };
            self.error(
                inner.span(),
                format!(
                    "`{name}` {what} a slice parameter or a workgroup array ({private}): \
                     {form}"
                ),
            );
        }
        mem
    }
}
