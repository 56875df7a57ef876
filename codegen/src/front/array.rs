//! Arrays: workgroup memory (`shared_array::<T, N>()`) and private arrays (`[v; N]`).

use super::call::is_named_call;
use super::scope::{Binding, Lowerer};
use super::types;
use crate::ir::*;
use proc_macro2::Span;
use syn::spanned::Spanned;

impl Lowerer<'_> {
    /// The array an indexed expression names, if it is one.
    pub(crate) fn array_of(&self, expr: &syn::Expr) -> Option<ArrayId> {
        match self.path_binding(expr)? {
            Binding::Array(id) => Some(id),
            _ => None,
        }
    }

    /// The array under the indexing `expr` applies to: `tile` in `tile[y]` (`expr` is what
    /// `[x]` indexes, so `tile[y][x]` passes `tile[y]`).
    pub(crate) fn array_root(&self, mut expr: &syn::Expr) -> Option<ArrayId> {
        while let syn::Expr::Index(ix) = expr {
            expr = &ix.expr;
        }
        self.array_of(expr)
    }

    /// The flat element index of `ix`, an element of an array (of arrays): `tile[y][x]` of a
    /// `[[f32; 32]; 8]` is `y * 32 + x`. Every dimension must be indexed.
    pub(super) fn array_index(&mut self, ix: &syn::ExprIndex, out: &mut Block) -> ExprId {
        let mut indices = vec![&*ix.index];
        let mut root = &*ix.expr;
        while let syn::Expr::Index(inner) = root {
            indices.push(&inner.index);
            root = &inner.expr;
        }
        indices.reverse();
        let array = self.array_of(root).expect("an array root");
        let dims = self
            .array_dims
            .get(&array)
            .cloned()
            .unwrap_or_else(|| vec![self.kernel.array(array).len]);
        if indices.len() != dims.len() {
            let name = self.kernel.array(array).name.clone();
            let want: String = ["a", "b", "c", "d", "e", "f"]
                .iter()
                .cycle()
                .take(dims.len())
                .map(|v| format!("[{v}]"))
                .collect();
            let shape: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
            return self.error_expr(
                ix.span(),
                format!(
                    "`{name}` is {} (dimensions {}): index every dimension, `{name}{want}`; a \
                     whole row cannot be read or written",
                    if dims.len() > 1 {
                        "an array of arrays"
                    } else {
                        "an array"
                    },
                    shape.join(" x ")
                ),
            );
        }
        let span = ix.span();
        let mut flat = self.expr(indices[0], out);
        for (&i, &d) in indices[1..].iter().zip(&dims[1..]) {
            let i = self.expr(i, out);
            let d = self.push(
                Expr::Literal(Literal::Int(d as u64, Some(Scalar::U32))),
                span,
            );
            let scaled = self.push(
                Expr::Binary {
                    op: BinaryOp::Mul,
                    left: flat,
                    right: d,
                },
                span,
            );
            flat = self.push(
                Expr::Binary {
                    op: BinaryOp::Add,
                    left: scaled,
                    right: i,
                },
                span,
            );
        }
        flat
    }

    /// The innermost element type and the dimensions (outermost first) of an array type
    /// `[[T; M]; N]` (`T` itself, no dimensions, for a non-array type).
    fn array_shape<'t>(&mut self, mut t: &'t syn::Type) -> (&'t syn::Type, Vec<Option<u32>>) {
        let mut dims = Vec::new();
        while let syn::Type::Array(a) = t {
            dims.push(self.const_u32(&a.len));
            t = &a.elem;
        }
        (t, dims)
    }

    /// `let tile = shared_array::<T>(n);`: workgroup memory of `n` elements, `n` a `u32`
    /// scalar parameter of the kernel, so the length is chosen at launch.
    fn launch_sized_let(&mut self, name: &str, span: Span, mutable: bool, c: &syn::ExprCall) {
        // After an error the name is still bound (to one element), so that its uses report
        // nothing more.
        let sized = self.launch_sized(span, mutable, c);
        let (elem, len_param, atomic) = match sized {
            Some((elem, p, atomic)) => (elem, Some(p), atomic),
            None => (Some(Scalar::F32), None, false),
        };
        let array = Array {
            name: self.unique(name),
            declared_elem: elem,
            len: if len_param.is_some() { 0 } else { 1 },
            len_param,
            space: Space::Workgroup,
            atomic,
        };
        let id = self.kernel.arrays.append(array, span);
        self.bind_array(name, id);
    }

    /// Makes `name` refer to array `id` in the current scope.
    fn bind_array(&mut self, name: &str, id: ArrayId) {
        self.scopes
            .last_mut()
            .expect("scope")
            .insert(name.to_string(), Binding::Array(id));
    }

    /// The element type and length parameter of `shared_array::<T>(n)`, or `None` after
    /// reporting why it is not one.
    fn launch_sized(
        &mut self,
        span: Span,
        mutable: bool,
        c: &syn::ExprCall,
    ) -> Option<(Option<Scalar>, ParamId, bool)> {
        const FORM: &str = "a launch-sized workgroup array is `shared_array::<T>(n)`, `T` a \
                            scalar or atomic type and `n` a `u32` parameter of the kernel";
        let syn::Expr::Path(p) = &*c.func else {
            self.error(c.span(), FORM);
            return None;
        };
        let last = p.path.segments.last().expect("named call");
        let elem_ty = match &last.arguments {
            syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match &a.args[0] {
                syn::GenericArgument::Type(t) => t,
                other => {
                    self.error(other.span(), FORM);
                    return None;
                }
            },
            _ => {
                self.error(last.span(), FORM);
                return None;
            }
        };
        if let syn::Type::Array(a) = elem_ty {
            self.error(
                a.span(),
                "a launch-sized workgroup array has one dimension; index it `y * width + x`",
            );
            return None;
        }
        let atomic = types::atomic_elem(elem_ty);
        let elem = atomic.or_else(|| self.scalar_or_error(elem_ty));
        let len_param = match &c.args[0] {
            syn::Expr::Path(lp) => match lp.path.get_ident().map(|i| i.to_string()) {
                Some(n) => match self.lookup(&n) {
                    Some(Binding::Param(id))
                        if self.kernel.param(id).kind == ParamKind::Scalar(Scalar::U32) =>
                    {
                        Some(id)
                    }
                    _ => None,
                },
                None => None,
            },
            _ => None,
        };
        let Some(len_param) = len_param else {
            self.error(c.args[0].span(), FORM);
            return None;
        };
        if let Some((other, _)) = self.kernel.launch_sized_array() {
            let other = self.kernel.array(other).name.clone();
            self.error(
                c.span(),
                format!(
                    "a kernel has at most one launch-sized workgroup array (CUDA has one \
                     dynamic shared memory block), and `{other}` is one; carve both out of one \
                     array"
                ),
            );
            return None;
        }
        if elem == Some(Scalar::Bool) {
            self.error(span, "workgroup memory cannot hold `bool`; use `u32`");
        }
        if mutable {
            self.error(
                span,
                "workgroup memory is written through its elements; drop the `mut`",
            );
        }
        Some((elem, len_param, atomic.is_some()))
    }

    /// The scalar type `t` names, or `None` with its error recorded.
    fn scalar_or_error(&mut self, t: &syn::Type) -> Option<Scalar> {
        match types::scalar(t) {
            Ok(s) => Some(s),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    /// `let tile = shared_array::<T, N>();` or `let mut a = [v; N];` (optionally typed `[T; N]`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn array_let(
        &mut self,
        name: &str,
        span: Span,
        mutable: bool,
        ty: Option<&syn::Type>,
        init: &syn::Expr,
        space: Space,
        out: &mut Block,
    ) {
        // `dims`: the lengths, outermost first (one for a plain array).
        let (mut elem, dims, value, atomic) = match (space, init) {
            (Space::Workgroup, syn::Expr::Call(c)) if c.args.len() == 1 => {
                return self.launch_sized_let(name, span, mutable, c);
            }
            (Space::Workgroup, syn::Expr::Call(c)) => {
                if !c.args.is_empty() {
                    self.error(c.args.span(), "`shared_array` takes no arguments");
                }
                let (elem, dims, atomic) = self.shared_generics(c);
                (elem, dims, None, atomic)
            }
            (_, syn::Expr::Repeat(r)) => {
                // `[[v; M]; N]`: nested repeats, each a dimension.
                let mut dims = vec![self.const_u32(&r.len)];
                let mut inner = &*r.expr;
                while let syn::Expr::Repeat(ir) = inner {
                    dims.push(self.const_u32(&ir.len));
                    inner = &ir.expr;
                }
                let value = self.expr(inner, out);
                (None, dims, Some(value), false)
            }
            _ => unreachable!("array_init matched"),
        };
        if let Some(t) = ty {
            match t {
                syn::Type::Array(_) => {
                    let (inner, tdims) = self.array_shape(t);
                    let s = self.scalar_or_error(inner);
                    elem = elem.or(s);
                    let known = |d: &[Option<u32>]| d.iter().all(|d| d.is_some());
                    if known(&tdims) && known(&dims) && tdims != dims {
                        self.error(t.span(), "the array's type and value differ in shape");
                    }
                }
                other => self.error(other.span(), "an array's type is written `[T; N]`"),
            }
        }
        let Some(dims) = dims.into_iter().collect::<Option<Vec<u32>>>() else {
            return;
        };
        let len = dims
            .iter()
            .try_fold(1u32, |n, &d| n.checked_mul(d))
            .filter(|_| !dims.is_empty());
        // The element type of `[v; N]` comes from `v` (fixed by `valid`) when not written.
        if space == Space::Workgroup && elem == Some(Scalar::Bool) {
            self.error(span, "workgroup memory cannot hold `bool`; use `u32`");
        }
        let Some(len) = len else {
            return self.error(init.span(), "the array has more than 2^32 elements");
        };
        if len == 0 {
            return self.error(init.span(), "an array needs at least one element");
        }
        let unique = self.unique(name);
        let array = Array {
            name: unique,
            declared_elem: elem,
            len,
            len_param: None,
            space,
            atomic,
        };
        let id = self.kernel.arrays.append(array, span);
        if dims.len() > 1 {
            self.array_dims.insert(id, dims);
        }
        if space == Space::Private {
            if mutable {
                self.private_mut.push(id);
            }
            out.push(
                Stmt::ArrayDecl {
                    array: id,
                    init: value,
                },
                span,
            );
        } else if mutable {
            self.error(
                span,
                "workgroup memory is written through its elements; drop the `mut`",
            );
        }
        self.bind_array(name, id);
    }

    /// `shared_array::<T, N>()`'s element type and dimensions (`T` may be an array type,
    /// `[f32; 32]`, for an array of arrays), and whether the element type is
    /// `AtomicU32`/`AtomicI32`/`AtomicF32`.
    pub(super) fn shared_generics(
        &mut self,
        c: &syn::ExprCall,
    ) -> (Option<Scalar>, Vec<Option<u32>>, bool) {
        let syn::Expr::Path(p) = &*c.func else {
            return (None, vec![None], false);
        };
        let last = p.path.segments.last().expect("named call");
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            self.error(
                last.span(),
                "write the element type and length: `shared_array::<f32, 256>()`",
            );
            return (None, vec![None], false);
        };
        let args: Vec<_> = args.args.iter().collect();
        let [syn::GenericArgument::Type(t), len] = args[..] else {
            self.error(
                last.arguments.span(),
                "write the element type and length: `shared_array::<f32, 256>()`",
            );
            return (None, vec![None], false);
        };
        let len = self.const_arg(len, "the length must be a constant `u32`");
        let (inner, mut dims) = self.array_shape(t);
        let atomic = types::atomic_elem(inner);
        let elem = atomic.or_else(|| self.scalar_or_error(inner));
        dims.insert(0, len);
        (elem, dims, atomic.is_some())
    }
}

/// Whether a `let` initialiser declares an array, and where it lives.
pub(super) fn array_init(e: &syn::Expr) -> Option<Space> {
    match e {
        syn::Expr::Repeat(_) => Some(Space::Private),
        syn::Expr::Call(c) if is_named_call(c, "shared_array") => Some(Space::Workgroup),
        _ => None,
    }
}
