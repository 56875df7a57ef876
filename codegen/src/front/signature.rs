//! Signatures: the one set of rules for the signatures of kernels, of their instances and of
//! `#[kernel_fn]` helpers. They differ only in what they may take and return and in the words
//! of their messages, which [`Owner`] decides.

use super::types;
use crate::error::Error;
use crate::ir::{ParamKind, Scalar};
use proc_macro2::Span;
use syn::spanned::Spanned;

/// Whose signature is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// A `#[compute_kernel]` function (after its const generic parameters were substituted,
    /// see `instances.rs`): slices and scalars in, nothing out.
    Kernel,
    /// A `#[kernel_fn]` helper: also arrays in, one scalar out, and const generic parameters.
    Helper,
}

impl Owner {
    /// How messages name the function.
    fn noun(self) -> &'static str {
        match self {
            Owner::Kernel => "a kernel",
            Owner::Helper => "a #[kernel_fn]",
        }
    }
}

/// A parameter's type.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ParamTy {
    Scalar(Scalar),
    /// `&[T]`, `&mut [T]`, `&[AtomicU32]`.
    Slice {
        elem: Scalar,
        mutable: bool,
        atomic: bool,
    },
    /// `&[T; N]`, `&mut [T; N]`, `&[AtomicU32; N]` (helpers only).
    Array {
        elem: Scalar,
        atomic: bool,
        len: ArrayLen,
    },
}

/// An array parameter's length: a literal, or a const generic parameter (by index).
#[derive(Clone, Copy, Debug)]
pub(crate) enum ArrayLen {
    Fixed(u32),
    Generic(usize),
}

/// One parameter, checked.
#[derive(Debug)]
pub(crate) struct SigParam {
    pub name: String,
    /// Bound `mut` (a helper's scalar parameter may be assigned).
    pub mutable: bool,
    pub ty: ParamTy,
    /// The whole parameter, `name: type`.
    pub span: Span,
}

/// A signature, checked: what the lowering of a body and of a call needs.
#[derive(Debug)]
pub(crate) struct Signature {
    /// Names of the const generic parameters, in order (helpers only).
    pub consts: Vec<String>,
    /// The parameters that passed the checks, in order.
    pub params: Vec<SigParam>,
    /// The returned scalar, if any (helpers only).
    pub ret: Option<Scalar>,
}

impl SigParam {
    /// The kernel parameter kind (kernels have no array parameters).
    pub(crate) fn kind(&self) -> ParamKind {
        match self.ty {
            ParamTy::Scalar(s) => ParamKind::Scalar(s),
            ParamTy::Slice {
                elem,
                mutable,
                atomic,
            } => ParamKind::Slice {
                elem,
                mutable,
                atomic,
            },
            ParamTy::Array { .. } => unreachable!("kernel parameters are never arrays"),
        }
    }
}

/// Checks `sig` as `owner`'s: a free function, not `async`, `unsafe` or variadic, without a
/// `where` clause, plain parameter names of kernel types, and for a kernel no generic
/// parameters left, nothing returned and at least one parameter; for a helper const generic
/// parameters only and one scalar or nothing returned. Every problem is reported, in source
/// order.
pub(crate) fn check(sig: &syn::Signature, owner: Owner) -> (Signature, Vec<Error>) {
    let mut errors = Vec::new();
    let noun = owner.noun();
    if let Some(a) = &sig.asyncness {
        errors.push(Error::new(a.span(), format!("{noun} cannot be `async`")));
    }
    if let Some(u) = &sig.unsafety {
        errors.push(Error::new(
            u.span(),
            match owner {
                Owner::Kernel => {
                    "a kernel cannot be `unsafe`: its accesses are checked (CPU) or robust (wgpu)"
                }
                Owner::Helper => "a #[kernel_fn] cannot be `unsafe`",
            },
        ));
    }
    let consts = generics(&sig.generics, owner, &mut errors);
    if let Some(w) = &sig.generics.where_clause {
        errors.push(Error::new(
            w.span(),
            format!("{noun} takes no `where` clause"),
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(Error::new(v.span(), format!("{noun} cannot be variadic")));
    }
    let mut params = Vec::new();
    for input in &sig.inputs {
        let pt = match input {
            syn::FnArg::Receiver(r) => {
                errors.push(Error::new(
                    r.span(),
                    format!("{noun} cannot take `self`; write a free function"),
                ));
                continue;
            }
            syn::FnArg::Typed(pt) => pt,
        };
        let (name, mutable) = match &*pt.pat {
            syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                (pi.ident.to_string(), pi.mutability.is_some())
            }
            other => {
                errors.push(Error::new(
                    other.span(),
                    match owner {
                        Owner::Kernel => {
                            "kernel parameters must be plain names, such as `x: &[f32]`"
                        }
                        Owner::Helper => "parameters must be plain names, such as `x: f32`",
                    },
                ));
                continue;
            }
        };
        let ty = match owner {
            Owner::Kernel => types::param_kind(&pt.ty).map(|k| match k {
                ParamKind::Scalar(s) => ParamTy::Scalar(s),
                ParamKind::Slice {
                    elem,
                    mutable,
                    atomic,
                } => ParamTy::Slice {
                    elem,
                    mutable,
                    atomic,
                },
            }),
            Owner::Helper => helper_param_ty(&pt.ty, &consts),
        };
        match ty {
            Ok(ty) => params.push(SigParam {
                name,
                mutable,
                ty,
                span: pt.span(),
            }),
            Err(e) => errors.push(e),
        }
    }
    let ret = match (&sig.output, owner) {
        (syn::ReturnType::Default, _) => None,
        (syn::ReturnType::Type(_, ty), Owner::Kernel) => {
            errors.push(Error::new(
                ty.span(),
                "a kernel returns nothing: write results into a `&mut [T]` parameter",
            ));
            None
        }
        (syn::ReturnType::Type(_, ty), Owner::Helper) => match types::scalar(ty) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(Error::new(
                    ty.span(),
                    format!(
                        "a #[kernel_fn] returns one scalar or nothing: {}",
                        e.message
                    ),
                ));
                None
            }
        },
    };
    if owner == Owner::Kernel && sig.inputs.is_empty() {
        errors.push(Error::new(
            sig.ident.span(),
            "a kernel needs at least one `&mut [T]` parameter to write its results to",
        ));
    }
    (
        Signature {
            consts,
            params,
            ret,
        },
        errors,
    )
}

/// The const generic parameters a signature may have: a helper's, checked (`u32` or
/// `usize`), by name; none for a kernel, whose const generic parameters `instances.rs` has
/// substituted (anything left is an error, once, at the generics).
fn generics(g: &syn::Generics, owner: Owner, errors: &mut Vec<Error>) -> Vec<String> {
    if owner == Owner::Kernel {
        if !g.params.is_empty() {
            errors.push(Error::new(g.span(), KERNEL_GENERICS));
        }
        return Vec::new();
    }
    let mut consts = Vec::new();
    for p in &g.params {
        match p {
            syn::GenericParam::Const(c) => {
                if !matches!(types::scalar(&c.ty), Ok(Scalar::U32)) && !is_ident(&c.ty, "usize") {
                    errors.push(Error::new(
                        c.ty.span(),
                        "a const generic parameter of a #[kernel_fn] is a `u32` (or `usize`)",
                    ));
                }
                consts.push(c.ident.to_string());
            }
            other => errors.push(Error::new(
                other.span(),
                "a #[kernel_fn] takes const generic parameters only (`const N: u32`); write \
                 one helper per element type",
            )),
        }
    }
    consts
}

/// A kernel's const generic parameters, for `instances.rs`: each must be a `u32` (an error
/// per other type); type and lifetime parameters are left to [`check`], which reports them
/// when the instance is lowered.
pub(crate) fn kernel_consts<'a>(
    g: &'a syn::Generics,
    errors: &mut Vec<Error>,
) -> Vec<&'a syn::ConstParam> {
    let consts: Vec<&syn::ConstParam> = g
        .params
        .iter()
        .filter_map(|p| match p {
            syn::GenericParam::Const(c) => Some(c),
            _ => None,
        })
        .collect();
    for c in &consts {
        if !is_ident(&c.ty, "u32") {
            errors.push(Error::new(
                c.ty.span(),
                "a kernel's const generic parameters are `u32`",
            ));
        }
    }
    consts
}

/// What a kernel with generic parameters other than listed `const` ones is told.
const KERNEL_GENERICS: &str = "a kernel takes const generic parameters (`const B: u32`, \
                               built for the values listed in the attribute: `B = [128, 256]`) \
                               and an element type parameter (`T: Float`, built for the types \
                               listed: `T = [f32, f16]`), not lifetimes";

fn is_ident(ty: &syn::Type, name: &str) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.is_ident(name))
}

/// A helper parameter's type: a scalar, a slice, or an array whose length is a literal or one
/// of `consts`.
fn helper_param_ty(ty: &syn::Type, consts: &[String]) -> Result<ParamTy, Error> {
    let syn::Type::Reference(r) = ty else {
        return types::scalar(ty).map(ParamTy::Scalar);
    };
    let syn::Type::Array(a) = &*r.elem else {
        return match types::param_kind(ty)? {
            ParamKind::Slice {
                elem,
                mutable,
                atomic,
            } => Ok(ParamTy::Slice {
                elem,
                mutable,
                atomic,
            }),
            ParamKind::Scalar(s) => Ok(ParamTy::Scalar(s)),
        };
    };
    let atomic = types::atomic_elem(&a.elem);
    if atomic.is_some() && r.mutability.is_some() {
        return Err(Error::new(
            ty.span(),
            "atomic arrays are shared: write `&[AtomicU32; N]`, without `mut`",
        ));
    }
    let elem = match atomic {
        Some(s) => s,
        None => types::scalar(&a.elem)?,
    };
    let len = match &a.len {
        syn::Expr::Path(p) if p.path.get_ident().is_some() => {
            let name = p.path.get_ident().expect("checked").to_string();
            match consts.iter().position(|c| *c == name) {
                Some(i) => ArrayLen::Generic(i),
                None => {
                    return Err(Error::new(
                        a.len.span(),
                        format!(
                            "`{name}` is not a const generic parameter of this #[kernel_fn]; \
                             declare it (`fn f<const {name}: u32>(...)`) or write a literal"
                        ),
                    ))
                }
            }
        }
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => ArrayLen::Fixed(
            i.base10_parse::<u32>()
                .map_err(|e| Error::new(i.span(), e.to_string()))?,
        ),
        other => {
            return Err(Error::new(
                other.span(),
                "an array parameter's length is a literal or a const generic parameter",
            ))
        }
    };
    Ok(ParamTy::Array {
        elem,
        atomic: atomic.is_some(),
        len,
    })
}
