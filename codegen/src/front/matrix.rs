//! Matrix tiles: `let acc = matrix_fill(v)`, `let a = matrix_load_a(&mem, offset, stride,
//! Layout::RowMajor)` (and `_b`, `_acc`), `matrix_mma(&mut acc, &a, &b)` and
//! `matrix_store(&mut mem, offset, stride, layout, &acc)` and `matrix_scale_rows(&mut acc,
//! &mem, offset)` (see `ir::matrix`).

use super::call::is_named_call;
use super::scope::{Binding, Lowerer};
use crate::ir::*;
use proc_macro2::Span;
use syn::spanned::Spanned;

/// The functions that make a fragment (a `let`'s or an assignment's value).
const MAKERS: [&str; 4] = [
    "matrix_fill",
    "matrix_load_a",
    "matrix_load_b",
    "matrix_load_acc",
];

/// The matrix functions that are statements.
const STATEMENTS: [&str; 3] = ["matrix_mma", "matrix_store", "matrix_scale_rows"];

/// Whether `e` calls a function that makes a fragment.
pub(super) fn is_matrix_maker(e: &syn::Expr) -> bool {
    matches!(e, syn::Expr::Call(c) if MAKERS.iter().any(|m| is_named_call(c, m)))
}

/// Whether `c` calls `matrix_mma`, `matrix_store` or `matrix_scale_rows`.
pub(super) fn is_matrix_statement(c: &syn::ExprCall) -> bool {
    STATEMENTS.iter().any(|m| is_named_call(c, m))
}

/// Whether `name` is one of the matrix functions.
pub(super) fn is_matrix_fn(name: &str) -> bool {
    MAKERS.contains(&name) || STATEMENTS.contains(&name)
}

/// `e` without a leading `&` or `&mut` (whose span would be the `&` alone).
fn unref(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Reference(r) => &r.expr,
        other => other,
    }
}

/// The last path segment's name of a called function.
fn called(c: &syn::ExprCall) -> String {
    match &*c.func {
        syn::Expr::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

impl Lowerer<'_> {
    /// The fragment a path names (the left side of an assignment), if it names one.
    pub(super) fn matrix_target(&self, e: &syn::Expr) -> Option<MatrixId> {
        match self.path_binding(e)? {
            Binding::Matrix(id) => Some(id),
            _ => None,
        }
    }

    /// `let [mut] name = matrix_fill(..)` or `matrix_load_*(..)`: declares a fragment.
    pub(super) fn matrix_let(
        &mut self,
        name: &str,
        span: Span,
        mutable: bool,
        ty: Option<&syn::Type>,
        init: &syn::Expr,
        out: &mut Block,
    ) {
        if let Some(t) = ty {
            self.error(
                t.span(),
                "a matrix fragment takes its type from its call; remove the annotation",
            );
        }
        let syn::Expr::Call(c) = init else {
            return;
        };
        let Some((role, elem, made)) = self.matrix_maker(c, out) else {
            return;
        };
        let matrix = Matrix {
            name: self.unique(name),
            role,
            elem,
        };
        let id = self.kernel.matrices.append(matrix, span);
        if mutable {
            self.matrix_mut.push(id);
        }
        self.scopes
            .last_mut()
            .expect("scope")
            .insert(name.to_string(), Binding::Matrix(id));
        out.push(Stmt::Matrix(made.op(id)), c.span());
    }

    /// `name = matrix_fill(..)` (or a load) for a fragment `name` declared `let mut` with the
    /// same role and element type.
    pub(super) fn matrix_assign(&mut self, target: MatrixId, c: &syn::ExprCall, out: &mut Block) {
        let Some((role, elem, made)) = self.matrix_maker(c, out) else {
            return;
        };
        let m = self.kernel.matrix(target).clone();
        if !self.matrix_mut.contains(&target) {
            return self.error(
                c.span(),
                format!(
                    "cannot assign twice to `{}`; declare it with `let mut`",
                    m.name
                ),
            );
        }
        if (role, elem) != (m.role, m.elem) {
            return self.error(
                c.span(),
                format!(
                    "`{}` is {}, and this makes {}; declare a new fragment with `let`",
                    m.name,
                    describe(m.role, m.elem),
                    describe(role, elem)
                ),
            );
        }
        out.push(Stmt::Matrix(made.op(target)), c.span());
    }

    /// The role, element type and operation of a call that makes a fragment, or `None` after
    /// reporting what is wrong with it.
    fn matrix_maker(
        &mut self,
        c: &syn::ExprCall,
        out: &mut Block,
    ) -> Option<(MatrixRole, Scalar, Made)> {
        let name = called(c);
        if name == "matrix_fill" {
            if c.args.len() != 1 {
                self.error(
                    c.span(),
                    "`matrix_fill` takes the value of every element: `matrix_fill(0.0)`",
                );
                return None;
            }
            let value = self.expr(&c.args[0], out);
            return Some((MatrixRole::Acc, Scalar::F32, Made::Fill(value)));
        }
        let role = match name.as_str() {
            "matrix_load_a" => MatrixRole::A,
            "matrix_load_b" => MatrixRole::B,
            _ => MatrixRole::Acc,
        };
        let place = self.matrix_place(c, &name, false, out)?;
        let mem = place.mem;
        let elem = self.kernel.mem_elem(mem)?;
        let ok = match role {
            MatrixRole::Acc => elem == Scalar::F32,
            _ => matches!(elem, Scalar::F32 | Scalar::F16 | Scalar::BF16),
        };
        if !ok {
            let want = match role {
                MatrixRole::Acc => "`f32` (accumulators are `f32`)",
                _ => "`f32`, `f16` or `bf16`",
            };
            self.error(
                unref(&c.args[0]).span(),
                format!(
                    "`{name}` loads {want} elements, and `{}` holds `{}`",
                    self.kernel.mem_name(mem),
                    elem.rust_name()
                ),
            );
            return None;
        }
        Some((role, elem, Made::Load(place)))
    }

    /// `matrix_mma(&mut acc, &a, &b)`, `matrix_store(&mut mem, offset, stride, layout,
    /// &acc)` or `matrix_scale_rows(&mut acc, &mem, offset)` as a statement.
    pub(super) fn matrix_statement(&mut self, c: &syn::ExprCall, out: &mut Block) {
        let name = called(c);
        if name == "matrix_scale_rows" {
            return self.matrix_scale_rows(c, out);
        }
        if name == "matrix_mma" {
            if c.args.len() != 3 {
                return self.error(
                    c.span(),
                    "`matrix_mma` takes the accumulator and the two operands: \
                     `matrix_mma(&mut acc, &a, &b)`",
                );
            }
            let acc = self.fragment_arg(&c.args[0], MatrixRole::Acc, Some(&name));
            let a = self.fragment_arg(&c.args[1], MatrixRole::A, None);
            let b = self.fragment_arg(&c.args[2], MatrixRole::B, None);
            let (Some(acc), Some(a), Some(b)) = (acc, a, b) else {
                return;
            };
            let (ta, tb) = (self.kernel.matrix(a).elem, self.kernel.matrix(b).elem);
            if ta != tb {
                return self.error(
                    c.span(),
                    format!(
                        "`matrix_mma` multiplies operands of one type, and `{}` is `{}` while \
                         `{}` is `{}`; load both from memory of the same type",
                        self.kernel.matrix(a).name,
                        ta.rust_name(),
                        self.kernel.matrix(b).name,
                        tb.rust_name()
                    ),
                );
            }
            out.push(Stmt::Matrix(MatrixOp::Mma { acc, a, b }), c.span());
            return;
        }
        if c.args.len() != 5 {
            return self.error(
                c.span(),
                "`matrix_store` takes the memory, offset, stride, layout and accumulator: \
                 `matrix_store(&mut c, offset, stride, Layout::RowMajor, &acc)`",
            );
        }
        let Some(place) = self.matrix_place(c, &name, true, out) else {
            return;
        };
        let mem = place.mem;
        let Some(matrix) = self.fragment_arg(&c.args[4], MatrixRole::Acc, None) else {
            return;
        };
        if let Some(elem) = self.kernel.mem_elem(mem).filter(|&e| e != Scalar::F32) {
            return self.error(
                unref(&c.args[0]).span(),
                format!(
                    "`matrix_store` writes an `f32` accumulator, and `{}` holds `{}`; store it \
                     to an `f32` workgroup array and convert from there",
                    self.kernel.mem_name(mem),
                    elem.rust_name()
                ),
            );
        }
        out.push(Stmt::Matrix(MatrixOp::Store { matrix, place }), c.span());
    }

    /// `matrix_scale_rows(&mut acc, &mem, offset)`: the factors are `f32`, in a slice or a
    /// workgroup array (the whole warp reads them).
    fn matrix_scale_rows(&mut self, c: &syn::ExprCall, out: &mut Block) {
        let form = "`matrix_scale_rows(&mut acc, &factors, offset)`";
        if c.args.len() != 3 {
            return self.error(
                c.span(),
                format!(
                    "`matrix_scale_rows` takes the accumulator, the factors and the offset of \
                     row 0's factor: {form}"
                ),
            );
        }
        let matrix = self.fragment_arg(&c.args[0], MatrixRole::Acc, Some("matrix_scale_rows"));
        let mem = self.memory_arg(
            &c.args[1],
            "matrix_scale_rows",
            false,
            form,
            "the whole warp reads it; a private array is per invocation",
        );
        let offset = self.expr(&c.args[2], out);
        let (Some(matrix), Some(mem)) = (matrix, mem) else {
            return;
        };
        if let Some(elem) = self.kernel.mem_elem(mem).filter(|&e| e != Scalar::F32) {
            return self.error(
                unref(&c.args[1]).span(),
                format!(
                    "`matrix_scale_rows` multiplies by `f32` factors, and `{}` holds `{}`; \
                     write the factors to an `f32` workgroup array",
                    self.kernel.mem_name(mem),
                    elem.rust_name()
                ),
            );
        }
        let op = MatrixOp::ScaleRows {
            matrix,
            mem,
            offset,
        };
        out.push(Stmt::Matrix(op), c.span());
    }

    /// The memory, offset, stride and layout of a load (`store`: a store) whose first four
    /// arguments are `&mem, offset, stride, layout`.
    fn matrix_place(
        &mut self,
        c: &syn::ExprCall,
        name: &str,
        store: bool,
        out: &mut Block,
    ) -> Option<MatrixPlace> {
        let form = if store {
            "`matrix_store(&mut c, offset, stride, Layout::RowMajor, &acc)`".to_string()
        } else {
            format!("`{name}(&x, offset, stride, Layout::RowMajor)`")
        };
        if !store && c.args.len() != 4 {
            self.error(c.span(), format!("`{name}` takes four arguments: {form}"));
            return None;
        }
        let mem = self.memory_arg(
            &c.args[0],
            name,
            store,
            &form,
            "the whole warp shares it; a private array is per invocation",
        );
        let offset = self.expr(&c.args[1], out);
        let stride = self.expr(&c.args[2], out);
        let layout = self.layout(&c.args[3], out);
        Some(MatrixPlace {
            mem: mem?,
            offset,
            stride,
            layout: layout?,
        })
    }

    /// `Layout::RowMajor`, `Layout::ColMajor` or `Layout::col_major_if(cond)`.
    fn layout(&mut self, arg: &syn::Expr, out: &mut Block) -> Option<Layout> {
        if let syn::Expr::Call(c) = arg {
            if is_named_call(c, "col_major_if") && c.args.len() == 1 {
                return Some(Layout::ColMajorIf(self.expr(&c.args[0], out)));
            }
        }
        let name = match arg {
            syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        match name.as_deref() {
            Some("RowMajor") => Some(Layout::RowMajor),
            Some("ColMajor") => Some(Layout::ColMajor),
            _ => {
                self.error(
                    arg.span(),
                    "the layout is `Layout::RowMajor`, `Layout::ColMajor` or \
                     `Layout::col_major_if(cond)`",
                );
                None
            }
        }
    }

    /// The fragment `arg` (`&a`, `&mut acc`) names, checked to have `role` and, when the
    /// function `write` updates it, to be passed `&mut` and declared `let mut`.
    fn fragment_arg(
        &mut self,
        arg: &syn::Expr,
        role: MatrixRole,
        write: Option<&str>,
    ) -> Option<MatrixId> {
        let (inner, is_mut) = match arg {
            syn::Expr::Reference(r) => (&*r.expr, r.mutability.is_some()),
            other => (other, false),
        };
        let id = match inner {
            syn::Expr::Path(p) => {
                match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                    Some(Binding::Matrix(id)) => Some(id),
                    _ => None,
                }
            }
            _ => None,
        };
        let want = match role {
            MatrixRole::A => "an A fragment (`matrix_load_a`)",
            MatrixRole::B => "a B fragment (`matrix_load_b`)",
            MatrixRole::Acc => "an accumulator (`matrix_fill` or `matrix_load_acc`)",
        };
        let Some(id) = id else {
            self.error(inner.span(), format!("expected {want} here"));
            return None;
        };
        let m = self.kernel.matrix(id);
        if m.role != role {
            let msg = format!(
                "`{}` is {}; expected {want} here",
                m.name,
                describe(m.role, m.elem)
            );
            self.error(inner.span(), msg);
            return None;
        }
        if let (Some(f), false) = (write, is_mut) {
            let msg = format!("`{f}` updates the accumulator: pass `&mut {}`", m.name);
            self.error(arg.span(), msg);
            return None;
        }
        if write.is_some() && !self.matrix_mut.contains(&id) {
            let msg = format!("`{}` is updated here; declare it `let mut`", m.name);
            self.error(inner.span(), msg);
            return None;
        }
        Some(id)
    }
}

/// What a call that makes a fragment does to it.
enum Made {
    /// `matrix_fill(value)`.
    Fill(ExprId),
    /// `matrix_load_*(..)`.
    Load(MatrixPlace),
}

impl Made {
    /// The operation on `matrix`.
    fn op(self, matrix: MatrixId) -> MatrixOp {
        match self {
            Made::Fill(value) => MatrixOp::Fill { matrix, value },
            Made::Load(place) => MatrixOp::Load { matrix, place },
        }
    }
}

/// `an A fragment of f16`, ...: a fragment's kind in messages.
fn describe(role: MatrixRole, elem: Scalar) -> String {
    match role {
        MatrixRole::A => format!("an A fragment of `{}`", elem.rust_name()),
        MatrixRole::B => format!("a B fragment of `{}`", elem.rust_name()),
        MatrixRole::Acc => "an accumulator".to_string(),
    }
}
