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

/// Largest invocation count per workgroup: CUDA's block limit, which most wgpu adapters share
/// (WebGPU guarantees only 256; the launch checks the adapter's limit and returns
/// `Error::TooLarge` naming both numbers).
pub const MAX_INVOCATIONS: u32 = 1024;

/// The arguments of `#[compute_kernel(...)]`, parsed once: `key = value` pairs, resolved per
/// instance by [`AttrArgs::resolve`] (a kernel's const generic parameters may appear in them:
/// `workgroup_size = B`).
#[derive(Clone, Debug, Default)]
pub struct AttrArgs {
    args: Vec<syn::MetaNameValue>,
}

/// Parses the attribute's tokens (what is inside the parentheses) into `key = value` pairs.
///
/// # Errors
/// Tokens that are not a comma-separated list of `key = value`.
pub fn parse_attr(tokens: TokenStream) -> Result<AttrArgs, Errors> {
    let args = syn::punctuated::Punctuated::<syn::MetaNameValue, syn::Token![,]>::parse_terminated
        .parse2(tokens)?;
    Ok(AttrArgs {
        args: args.into_iter().collect(),
    })
}

impl AttrArgs {
    /// The value listed for `name` (`B = [64, 256]`), if any.
    pub(crate) fn value_of(&self, name: &syn::Ident) -> Option<&syn::Expr> {
        self.args
            .iter()
            .find(|a| a.path.is_ident(name))
            .map(|a| &a.value)
    }

    /// The attribute of the instance whose const generic parameters have the values `consts`
    /// and whose element type parameter is `types` (`(name, value)`; empty for a kernel
    /// without them): their lists are skipped and const names stand for their values elsewhere.
    ///
    /// # Errors
    /// Unknown keys, a malformed or zero size, or more than [`MAX_INVOCATIONS`] invocations.
    pub fn resolve(
        &self,
        consts: &[(String, u32)],
        types: &[(String, crate::ir::Scalar)],
    ) -> Result<KernelAttr, Errors> {
        let mut res = KernelAttr::default();
        let mut errors = Vec::new();
        for arg in &self.args {
            if consts.iter().any(|(n, _)| arg.path.is_ident(n))
                || types.iter().any(|(n, _)| arg.path.is_ident(n))
            {
                continue;
            }
            if !arg.path.is_ident("workgroup_size") {
                errors.push(Error::new(
                    arg.path.span(),
                    "unknown argument; `#[compute_kernel]` takes `workgroup_size = N`, \
                     `workgroup_size = (X, Y)` or `workgroup_size = (X, Y, Z)`, and the values of \
                     its generic parameters (`B = [128, 256]` for `fn k<const B: u32>`, \
                     `T = [f32, f16]` for `fn k<T: Float>`)",
                ));
                continue;
            }
            if let Some(size) = workgroup_size(&arg.value, consts, &mut errors) {
                res.workgroup_size = size;
            }
        }
        if errors.is_empty() {
            Ok(res)
        } else {
            Err(Errors(errors))
        }
    }
}

/// Evaluates `workgroup_size = N | (X, Y) | (X, Y, Z)`, each an integer literal, a const
/// generic parameter, or `+ - * /` of those (`32 * W`: a warp per `W`, as CUDA code sizes a
/// block from its warps); `None` after reporting what is wrong.
fn workgroup_size(
    value: &syn::Expr,
    consts: &[(String, u32)],
    errors: &mut Vec<Error>,
) -> Option<[u32; 3]> {
    let elems: Vec<&syn::Expr> = match value {
        syn::Expr::Tuple(t) => t.elems.iter().collect(),
        syn::Expr::Paren(p) => vec![&*p.expr],
        other => vec![other],
    };
    if elems.is_empty() || elems.len() > 3 {
        errors.push(Error::new(
            value.span(),
            "workgroup_size has one to three dimensions: `N`, `(X, Y)` or `(X, Y, Z)`",
        ));
        return None;
    }
    let mut size = [1u32; 3];
    let mut ok = true;
    for (dim, e) in elems.iter().enumerate() {
        let span = e.span();
        let v = match dimension(e, consts) {
            Ok(v) => v,
            Err(e) => {
                ok = false;
                errors.push(e);
                continue;
            }
        };
        match v {
            Some(v) if v > 0 => size[dim] = v,
            _ => {
                ok = false;
                errors.push(Error::new(
                    span,
                    "each workgroup_size dimension is a whole number of at least 1",
                ));
            }
        }
    }
    let total: u64 = size.iter().map(|&v| v as u64).product();
    if ok && total > MAX_INVOCATIONS as u64 {
        errors.push(Error::new(
            value.span(),
            format!(
                "workgroup_size has {total} invocations; at most {MAX_INVOCATIONS} (CUDA's \
                 limit per block; WebGPU adapters may allow fewer, as few as 256)"
            ),
        ));
        return None;
    } else if ok && size[2] > 64 {
        errors.push(Error::new(
            value.span(),
            "workgroup_size's z dimension is at most 64 (CUDA and WebGPU limit)",
        ));
        return None;
    }
    Some(size)
}

/// The value of one `workgroup_size` dimension (see [`workgroup_size`]): `None` when it
/// overflows, is negative or divides by zero, which the caller reports as not a whole number
/// of at least 1.
fn dimension(e: &syn::Expr, consts: &[(String, u32)]) -> std::result::Result<Option<u32>, Error> {
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => Ok(i.base10_parse::<u32>().ok()),
        syn::Expr::Path(p) if consts.iter().any(|(n, _)| p.path.is_ident(n)) => {
            Ok(consts.iter().find(|(n, _)| p.path.is_ident(n)).map(|c| c.1))
        }
        syn::Expr::Paren(p) => dimension(&p.expr, consts),
        syn::Expr::Binary(b) => {
            let (l, r) = (dimension(&b.left, consts)?, dimension(&b.right, consts)?);
            let (Some(l), Some(r)) = (l, r) else {
                return Ok(None);
            };
            Ok(match b.op {
                syn::BinOp::Add(_) => l.checked_add(r),
                syn::BinOp::Sub(_) => l.checked_sub(r),
                syn::BinOp::Mul(_) => l.checked_mul(r),
                syn::BinOp::Div(_) => l.checked_div(r),
                _ => {
                    return Err(Error::new(
                        b.op.span(),
                        "workgroup_size takes `+ - * /` of integer literals and const \
                         parameters, such as `32 * W`",
                    ))
                }
            })
        }
        other => Err(Error::new(
            other.span(),
            "workgroup_size takes integer literals, such as `256` or `(16, 16)`, const \
             parameters, and `+ - * /` of those",
        )),
    }
}
