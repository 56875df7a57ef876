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
        let array = Array {
            name: unique,
            declared_elem: elem,
            len,
            space,
            atomic,
        };
        let id = self.kernel.arrays.append(array, span);
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
        self.scopes
            .last_mut()
            .expect("scope")
            .insert(name.to_string(), Binding::Array(id));
    }

    /// `shared_array::<T, N>()`'s element type and length.
    /// Also whether the element type is `AtomicU32`/`AtomicI32`/`AtomicF32`.
    pub(super) fn shared_generics(
        &mut self,
        c: &syn::ExprCall,
    ) -> (Option<Scalar>, Option<u32>, bool) {
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
}

/// Whether a `let` initialiser declares an array, and where it lives.
pub(super) fn array_init(e: &syn::Expr) -> Option<Space> {
    match e {
        syn::Expr::Repeat(_) => Some(Space::Private),
        syn::Expr::Call(c) if is_named_call(c, "shared_array") => Some(Space::Workgroup),
        _ => None,
    }
}
