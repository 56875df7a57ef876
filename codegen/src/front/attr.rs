//! The arguments of `#[compute_kernel(...)]`.

use crate::error::{Error, Errors};
use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::spanned::Spanned;

/// The parsed arguments of `#[compute_kernel(workgroup_size = N | (X, Y) | (X, Y, Z))]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelAttr {
    /// Invocations per workgroup in x, y, z; default `[256, 1, 1]`.
    pub workgroup_size: [u32; 3],
}

impl Default for KernelAttr {
    fn default() -> Self {
        KernelAttr {
            workgroup_size: [256, 1, 1],
        }
    }
}

/// Largest invocation count per workgroup that every target accepts (WebGPU's default limit;
/// CUDA allows 1024).
pub const MAX_INVOCATIONS: u32 = 256;

/// Parses the attribute's tokens (what is inside the parentheses).
///
/// # Errors
/// Unknown keys, a malformed or zero size, or more than [`MAX_INVOCATIONS`] invocations.
pub fn parse_attr(tokens: TokenStream) -> Result<KernelAttr, Errors> {
    let mut res = KernelAttr::default();
    let mut errors = Vec::new();
    let args = syn::punctuated::Punctuated::<syn::MetaNameValue, syn::Token![,]>::parse_terminated
        .parse2(tokens)?;
    for arg in args {
        if !arg.path.is_ident("workgroup_size") {
            errors.push(Error::new(
                arg.path.span(),
                "unknown argument; `#[compute_kernel]` takes `workgroup_size = N`, \
                 `workgroup_size = (X, Y)` or `workgroup_size = (X, Y, Z)`, and the values of \
                 its const generic parameters (`B = [128, 256]` for `fn k<const B: u32>`)",
            ));
            continue;
        }
        let elems: Vec<&syn::Expr> = match &arg.value {
            syn::Expr::Tuple(t) => t.elems.iter().collect(),
            syn::Expr::Paren(p) => vec![&*p.expr],
            other => vec![other],
        };
        if elems.is_empty() || elems.len() > 3 {
            errors.push(Error::new(
                arg.value.span(),
                "workgroup_size has one to three dimensions: `N`, `(X, Y)` or `(X, Y, Z)`",
            ));
            continue;
        }
        let mut size = [1u32; 3];
        let mut ok = true;
        for (dim, e) in elems.iter().enumerate() {
            match e {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(i),
                    ..
                }) => match i.base10_parse::<u32>() {
                    Ok(v) if v > 0 => size[dim] = v,
                    _ => {
                        ok = false;
                        errors.push(Error::new(
                            i.span(),
                            "each workgroup_size dimension is a whole number of at least 1",
                        ));
                    }
                },
                other => {
                    ok = false;
                    errors.push(Error::new(
                        other.span(),
                        "workgroup_size takes integer literals, such as `256` or `(16, 16)`",
                    ));
                }
            }
        }
        let total: u64 = size.iter().map(|&v| v as u64).product();
        if ok && total > MAX_INVOCATIONS as u64 {
            errors.push(Error::new(
                arg.value.span(),
                format!(
                    "workgroup_size has {total} invocations; at most {MAX_INVOCATIONS} run on \
                     every backend (WebGPU's default limit)"
                ),
            ));
        } else if ok && size[2] > 64 {
            errors.push(Error::new(
                arg.value.span(),
                "workgroup_size's z dimension is at most 64 (CUDA and WebGPU limit)",
            ));
        }
        res.workgroup_size = size;
    }
    if errors.is_empty() {
        Ok(res)
    } else {
        Err(Errors(errors))
    }
}
