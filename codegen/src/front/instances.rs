//! Kernels with generic parameters: `fn k<const B: u32>` under
//! `#[compute_kernel(workgroup_size = B, B = [64, 256])]` is built once per listed value, and
//! `fn k<T: Float>` under `#[compute_kernel(T = [f32, f16])]` once per listed type (per
//! combination, with several parameters), as CUDA's templates are instantiated per argument.
//!
//! Each instance is the kernel's tokens with every use of a parameter replaced by the value as
//! a suffixed literal (`256u32`) or by the type's name (`f16`), at the use's span so errors
//! point at it, the generic parameters removed and the name suffixed with the values and types
//! (`k_256`, `k_f16`). It then compiles as any
//! other kernel, which makes the parameters usable wherever a literal is: array lengths, loop
//! bounds and expressions; the attribute resolves the names to the same values
//! (`workgroup_size = B`, see `attr.rs`).

use super::attr::AttrArgs;
use super::signature;
use crate::error::{Error, Errors};
use crate::ir::Scalar;
use proc_macro2::{Literal, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;

/// Most instances one kernel may have (the product of its lists' lengths): each is compiled
/// three times and embedded.
pub const MAX_INSTANCES: usize = 16;

/// One instance of a kernel: the values of its const generic parameters and the type of its
/// element type parameter, in declaration order, and the function with them substituted.
#[derive(Debug, Clone)]
pub struct Instance {
    /// `(name, value)` of each const parameter; what [`AttrArgs::resolve`] takes.
    pub values: Vec<(String, u32)>,
    /// `(name, type)` of the element type parameter (`T = [f32, f16]`), if the kernel has one.
    pub types: Vec<(String, Scalar)>,
    /// The kernel without its generic parameters, named `<name>_<value or type>...`.
    pub func: syn::ItemFn,
}

/// The bound of an element type parameter and the types it admits.
fn bound_types(bound: &str) -> Option<&'static [Scalar]> {
    match bound {
        "Float" => Some(&[Scalar::F16, Scalar::BF16, Scalar::F32, Scalar::F64]),
        "Int" => Some(&[Scalar::I32, Scalar::U32, Scalar::I64, Scalar::U64]),
        _ => None,
    }
}

/// A generic parameter's listed values.
enum List {
    Const(Vec<u32>),
    Type(Vec<Scalar>),
}

/// The instances of `func` under the attribute `attr`; one instance (the kernel itself,
/// unchanged) when it has no generic parameters. Lifetime parameters are left in place, for
/// the signature check to report.
///
/// # Errors
/// A parameter without a value list, a value that is not a `u32` literal or a listed type that
/// is not a scalar type or not of the parameter's bound (`Float`, `Int`), a const parameter of a
/// type other than `u32`, more than one type parameter, or more than [`MAX_INSTANCES`]
/// instances.
pub fn instances(attr: &AttrArgs, func: &syn::ItemFn) -> Result<Vec<Instance>, Errors> {
    let mut errors = Vec::new();
    let consts = signature::kernel_consts(&func.sig.generics, &mut errors);
    let type_params: Vec<&syn::TypeParam> = func.sig.generics.type_params().collect();
    if consts.is_empty() && type_params.is_empty() {
        return Ok(vec![Instance {
            values: Vec::new(),
            types: Vec::new(),
            func: func.clone(),
        }]);
    }
    if let Some(extra) = type_params.get(1) {
        errors.push(Error::new(
            extra.ident.span(),
            "a kernel takes one element type parameter (`T = [f32, f16]`); write the other \
             types out or make a second kernel",
        ));
    }
    // Lists in declaration order of the generic parameters.
    let mut names: Vec<String> = Vec::new();
    let mut lists: Vec<Option<List>> = Vec::new();
    for g in &func.sig.generics.params {
        match g {
            syn::GenericParam::Const(c) => {
                let n = &c.ident;
                let list = attr
                    .value_of(n)
                    .map(|v| List::Const(values(v, &mut errors)));
                if list.is_none() {
                    errors.push(Error::new(
                        n.span(),
                        format!(
                            "list the values of `{n}` to build the kernel for: \
                             `#[compute_kernel({n} = [128, 256])]`"
                        ),
                    ));
                }
                names.push(n.to_string());
                lists.push(list);
            }
            syn::GenericParam::Type(t) => {
                let n = &t.ident;
                let allowed = type_bound(t, &mut errors);
                let list = attr
                    .value_of(n)
                    .map(|v| List::Type(type_values(v, n, allowed, &mut errors)));
                if list.is_none() {
                    errors.push(Error::new(
                        n.span(),
                        format!(
                            "list the types of `{n}` to build the kernel for: \
                             `#[compute_kernel({n} = [f32, f16, bf16])]`"
                        ),
                    ));
                }
                names.push(n.to_string());
                lists.push(list);
            }
            syn::GenericParam::Lifetime(_) => {}
        }
    }
    if !errors.is_empty() {
        // In source order: a parameter's type comes after the lists in the attribute.
        errors.sort_by_key(|e| {
            let s = e.span.start();
            (s.line, s.column)
        });
        return Err(Errors(errors));
    }
    let lists: Vec<List> = lists.into_iter().flatten().collect();
    let len = |l: &List| match l {
        List::Const(v) => v.len(),
        List::Type(v) => v.len(),
    };
    let count: usize = lists.iter().map(len).product();
    if count > MAX_INSTANCES {
        return Err(Errors(vec![Error::new(
            func.sig.generics.span(),
            format!(
                "these lists make {count} instances of the kernel; at most {MAX_INSTANCES} are \
                 built (each is compiled for three targets and embedded)"
            ),
        )]));
    }
    let mut out = Vec::new();
    for k in 0..count {
        // The k-th combination, the last list varying fastest.
        let mut rest = k;
        let mut picks = vec![0usize; lists.len()];
        for (i, list) in lists.iter().enumerate().rev() {
            picks[i] = rest % len(list);
            rest /= len(list);
        }
        let mut subs: Vec<(String, TokenTree)> = Vec::new();
        let mut suffix = Vec::new();
        let mut inst = Instance {
            values: Vec::new(),
            types: Vec::new(),
            func: func.clone(),
        };
        for ((name, list), &pick) in names.iter().zip(&lists).zip(&picks) {
            match list {
                List::Const(v) => {
                    let v = v[pick];
                    subs.push((name.clone(), TokenTree::Literal(Literal::u32_suffixed(v))));
                    suffix.push(v.to_string());
                    inst.values.push((name.clone(), v));
                }
                List::Type(v) => {
                    let t = v[pick];
                    let ident = proc_macro2::Ident::new(t.rust_name(), Span::call_site());
                    subs.push((name.clone(), TokenTree::Ident(ident)));
                    suffix.push(t.rust_name().to_string());
                    inst.types.push((name.clone(), t));
                }
            }
        }
        let f = &mut inst.func;
        f.sig.generics.params = func
            .sig
            .generics
            .params
            .iter()
            .filter(|g| matches!(g, syn::GenericParam::Lifetime(_)))
            .cloned()
            .collect();
        if f.sig.generics.params.is_empty() {
            f.sig.generics.lt_token = None;
            f.sig.generics.gt_token = None;
        }
        // Parameter types mention an element type parameter (`x: &[T]`); the body any.
        f.sig.inputs = syn::parse::Parser::parse2(
            syn::punctuated::Punctuated::<syn::FnArg, syn::Token![,]>::parse_terminated,
            substitute(f.sig.inputs.to_token_stream(), &subs),
        )?;
        *f.block = syn::parse2(substitute(f.block.to_token_stream(), &subs))?;
        f.sig.ident = syn::Ident::new(
            &format!("{}_{}", func.sig.ident, suffix.join("_")),
            func.sig.ident.span(),
        );
        out.push(inst);
    }
    Ok(out)
}

/// The types an element type parameter's bound admits (`T: Float`, `T: Int`, or none: every
/// numeric type); reports other bounds.
fn type_bound(t: &syn::TypeParam, errors: &mut Vec<Error>) -> &'static [Scalar] {
    const NUMERIC: &[Scalar] = &[
        Scalar::F16,
        Scalar::BF16,
        Scalar::F32,
        Scalar::F64,
        Scalar::I32,
        Scalar::U32,
        Scalar::I64,
        Scalar::U64,
    ];
    let mut allowed = NUMERIC;
    for b in &t.bounds {
        let name = match b {
            syn::TypeParamBound::Trait(tb) => tb.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        match name.as_deref().and_then(bound_types) {
            Some(types) => allowed = types,
            None => errors.push(Error::new(
                b.span(),
                "an element type parameter's bound is `Float` (f16, bf16, f32, f64) or `Int` \
                 (i32, u32, i64, u64), from the prelude",
            )),
        }
    }
    if let Some(d) = &t.default {
        errors.push(Error::new(
            d.span(),
            "an element type parameter takes no default; list its types in the attribute",
        ));
    }
    allowed
}

/// `[f32, f16]` (or a single type) as scalar types, each admitted by the bound.
fn type_values(
    e: &syn::Expr,
    param: &syn::Ident,
    allowed: &[Scalar],
    errors: &mut Vec<Error>,
) -> Vec<Scalar> {
    let elems: Vec<&syn::Expr> = match e {
        syn::Expr::Array(a) => a.elems.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for e in elems {
        let name = match e {
            syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        match name.as_deref().and_then(Scalar::from_rust_name) {
            Some(s) if !allowed.contains(&s) => {
                let list: Vec<&str> = allowed.iter().map(|s| s.rust_name()).collect();
                errors.push(Error::new(
                    e.span(),
                    format!(
                        "`{}` is not allowed by `{param}`'s bound, which admits {}",
                        s.rust_name(),
                        list.join(", ")
                    ),
                ));
            }
            Some(s) if out.contains(&s) => {
                errors.push(Error::new(e.span(), "this type is listed twice"))
            }
            Some(s) => out.push(s),
            None => errors.push(Error::new(
                e.span(),
                format!(
                    "list the types of `{param}` as scalar types: `{param} = [f32, f16, bf16]`"
                ),
            )),
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(Error::new(e.span(), "list at least one type"));
    }
    out
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

/// Replaces each identifier named in `subs` by its replacement (a `u32` literal or a type's
/// identifier), keeping the identifier's span so errors point at the use.
fn substitute(ts: TokenStream, subs: &[(String, TokenTree)]) -> TokenStream {
    ts.into_iter()
        .map(|tt| match tt {
            TokenTree::Ident(id) => match subs.iter().find(|(n, _)| id == n) {
                Some((_, with)) => {
                    let mut with = with.clone();
                    with.set_span(id.span());
                    with
                }
                None => TokenTree::Ident(id),
            },
            TokenTree::Group(g) => {
                let mut n = proc_macro2::Group::new(g.delimiter(), substitute(g.stream(), subs));
                n.set_span(g.span());
                TokenTree::Group(n)
            }
            other => other,
        })
        .collect()
}
