//! Front end: a `syn::ItemFn` under `#[compute_kernel(...)]` -> [`ir::Kernel`](crate::ir::Kernel).
//!
//! The front end resolves names, desugars (compound assignment, `if` expressions, intrinsic
//! bindings) and rejects every construct outside the kernel language with an error at its span
//! that says what to write instead. It keeps going after an error, so a user sees all of a
//! kernel's problems at once. Types are checked later, in `valid`.

mod attr;
mod lower;
mod types;

pub use attr::{parse_attr, KernelAttr};

use crate::error::{Error, Errors};
use crate::ir::{Kernel, Param};

/// Lowers one kernel function with its already parsed attribute.
///
/// # Errors
/// Every construct outside the kernel language, each at its span.
pub fn lower_kernel(attr: &KernelAttr, func: &syn::ItemFn) -> Result<Kernel, Errors> {
    let mut errors = Vec::new();
    check_signature(func, &mut errors);
    let mut params = Vec::new();
    for input in &func.sig.inputs {
        match input {
            syn::FnArg::Receiver(r) => errors.push(Error::new(
                syn::spanned::Spanned::span(r),
                "a kernel cannot take `self`; write a free function",
            )),
            syn::FnArg::Typed(pt) => {
                let name = match &*pt.pat {
                    syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => {
                        pi.ident.to_string()
                    }
                    other => {
                        errors.push(Error::new(
                            syn::spanned::Spanned::span(other),
                            "kernel parameters must be plain names, such as `x: &[f32]`",
                        ));
                        continue;
                    }
                };
                match types::param_kind(&pt.ty) {
                    Ok(kind) => params.push(Param { name, kind }),
                    Err(e) => errors.push(e),
                }
            }
        }
    }
    let mut cx = lower::Lowerer::new(func.sig.ident.to_string(), params, attr.workgroup_size);
    cx.lower_body(&func.block);
    let (kernel, mut lower_errors) = cx.finish();
    errors.append(&mut lower_errors);
    if errors.is_empty() {
        Ok(kernel)
    } else {
        Err(Errors(errors))
    }
}

fn check_signature(func: &syn::ItemFn, errors: &mut Vec<Error>) {
    use syn::spanned::Spanned;
    let sig = &func.sig;
    if !sig.generics.params.is_empty() {
        errors.push(Error::new(
            sig.generics.span(),
            "generic kernels are not supported yet; write one kernel per element type \
             (for example `add_f32` and `add_u32`)",
        ));
    }
    if let syn::ReturnType::Type(_, ty) = &sig.output {
        errors.push(Error::new(
            ty.span(),
            "a kernel returns nothing: write results into a `&mut [T]` parameter",
        ));
    }
    if let Some(a) = &sig.asyncness {
        errors.push(Error::new(a.span(), "a kernel cannot be `async`"));
    }
    if let Some(u) = &sig.unsafety {
        errors.push(Error::new(
            u.span(),
            "a kernel cannot be `unsafe`: its accesses are checked (CPU) or robust (wgpu)",
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(Error::new(v.span(), "a kernel cannot be variadic"));
    }
    if sig.inputs.is_empty() {
        errors.push(Error::new(
            sig.ident.span(),
            "a kernel needs at least one `&mut [T]` parameter to write its results to",
        ));
    }
}
