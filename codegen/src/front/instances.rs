//! Kernels with const generic parameters: `fn k<const B: u32>` under
//! `#[compute_kernel(workgroup_size = B, B = [64, 256])]` is built once per listed value (per
//! combination, with several parameters), as CUDA's templates are instantiated per argument.
//!
//! Each instance is the kernel's tokens with every use of a parameter replaced by the value as
//! a suffixed literal (`256u32`, at the parameter's span, so errors point at the use), the
//! const generic parameters removed and the name suffixed with the values (`k_256`). It then compiles as any
//! other kernel, which makes the parameters usable wherever a literal is: array lengths, loop
//! bounds and expressions; the attribute resolves the names to the same values
//! (`workgroup_size = B`, see `attr.rs`).

use super::attr::AttrArgs;
use super::signature;
use crate::error::{Error, Errors};
use proc_macro2::{Literal, TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;

/// Most instances one kernel may have (the product of its lists' lengths): each is compiled
/// three times and embedded.
pub const MAX_INSTANCES: usize = 16;

/// One instance of a kernel: the values of its const generic parameters, in declaration order,
/// and the function with them substituted.
#[derive(Debug, Clone)]
pub struct Instance {
    /// `(name, value)` of each parameter; what [`AttrArgs::resolve`] takes.
    pub values: Vec<(String, u32)>,
    /// The kernel without its const generic parameters, named `<name>_<value>...`.
    pub func: syn::ItemFn,
}

/// The instances of `func` under the attribute `attr`; one instance (the kernel itself,
/// unchanged) when it has no const generic parameters. Generic parameters other than `const`
/// ones are left in place, for the signature check to report.
///
/// # Errors
/// A parameter without a value list, a value that is not a `u32` literal, a parameter type
/// other than `u32`, or more than [`MAX_INSTANCES`] instances.
pub fn instances(attr: &AttrArgs, func: &syn::ItemFn) -> Result<Vec<Instance>, Errors> {
    let mut errors = Vec::new();
    let consts = signature::kernel_consts(&func.sig.generics, &mut errors);
    if consts.is_empty() {
        return Ok(vec![Instance {
            values: Vec::new(),
            func: func.clone(),
        }]);
    }
    let mut lists: Vec<Option<Vec<u32>>> = Vec::new();
    for c in &consts {
        let list = attr.value_of(&c.ident).map(|v| values(v, &mut errors));
        if list.is_none() {
            let n = &c.ident;
            errors.push(Error::new(
                c.ident.span(),
                format!(
                    "list the values of `{n}` to build the kernel for: \
                     `#[compute_kernel({n} = [128, 256])]`"
                ),
            ));
        }
        lists.push(list);
    }
    if !errors.is_empty() {
        // In source order: a parameter's type comes after the lists in the attribute.
        errors.sort_by_key(|e| {
            let s = e.span.start();
            (s.line, s.column)
        });
        return Err(Errors(errors));
    }
    let lists: Vec<Vec<u32>> = lists.into_iter().flatten().collect();
    let count: usize = lists.iter().map(Vec::len).product();
    if count > MAX_INSTANCES {
        return Err(Errors(vec![Error::new(
            func.sig.generics.span(),
            format!(
                "these lists make {count} instances of the kernel; at most {MAX_INSTANCES} are \
                 built (each is compiled for three targets and embedded)"
            ),
        )]));
    }
    let names: Vec<String> = consts.iter().map(|c| c.ident.to_string()).collect();
    let mut out = Vec::new();
    for k in 0..count {
        // The k-th combination, the last list varying fastest.
        let mut rest = k;
        let mut vals = vec![0u32; lists.len()];
        for (i, list) in lists.iter().enumerate().rev() {
            vals[i] = list[rest % list.len()];
            rest /= list.len();
        }
        let mut f = func.clone();
        f.sig.generics.params = func
            .sig
            .generics
            .params
            .iter()
            .filter(|g| !matches!(g, syn::GenericParam::Const(_)))
            .cloned()
            .collect();
        if f.sig.generics.params.is_empty() {
            f.sig.generics.lt_token = None;
            f.sig.generics.gt_token = None;
        }
        f.block = Box::new(syn::parse2(substitute(
            f.block.to_token_stream(),
            &names,
            &vals,
        ))?);
        let suffix: Vec<String> = vals.iter().map(u32::to_string).collect();
        f.sig.ident = syn::Ident::new(
            &format!("{}_{}", func.sig.ident, suffix.join("_")),
            func.sig.ident.span(),
        );
        out.push(Instance {
            values: names.iter().cloned().zip(vals).collect(),
            func: f,
        });
    }
    Ok(out)
}

/// `[64, 128]` (or a single literal) as values.
fn values(e: &syn::Expr, errors: &mut Vec<Error>) -> Vec<u32> {
    let elems: Vec<&syn::Expr> = match e {
        syn::Expr::Array(a) => a.elems.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for e in elems {
        match e {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(i),
                ..
            }) => match i.base10_parse::<u32>() {
                Ok(v) if !out.contains(&v) => out.push(v),
                Ok(_) => errors.push(Error::new(i.span(), "this value is listed twice")),
                Err(e) => errors.push(Error::new(i.span(), e.to_string())),
            },
            other => errors.push(Error::new(
                other.span(),
                "list the values as integer literals: `B = [128, 256]`",
            )),
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(Error::new(e.span(), "list at least one value"));
    }
    out
}

/// Replaces each identifier in `names` by its value as a `u32` literal, keeping its span.
fn substitute(ts: TokenStream, names: &[String], vals: &[u32]) -> TokenStream {
    ts.into_iter()
        .map(|tt| match tt {
            TokenTree::Ident(id) => match names.iter().position(|n| id == n) {
                Some(i) => {
                    let mut lit = Literal::u32_suffixed(vals[i]);
                    lit.set_span(id.span());
                    TokenTree::Literal(lit)
                }
                None => TokenTree::Ident(id),
            },
            TokenTree::Group(g) => {
                let mut n =
                    proc_macro2::Group::new(g.delimiter(), substitute(g.stream(), names, vals));
                n.set_span(g.span());
                TokenTree::Group(n)
            }
            other => other,
        })
        .collect()
}
