//! `#[kernel_fn]` and the chain that brings a kernel its helpers.
//!
//! A proc macro sees only the item it is on, so a kernel cannot read a helper's body. Each
//! `#[kernel_fn] fn h` therefore becomes a `macro_rules!` that carries `h`'s tokens, imported
//! under the name `h` (macros and functions live in different namespaces), so that the path a
//! kernel calls, `h(..)` or `crate::m::h(..)`, also names the macro. A kernel that calls
//! helpers expands to a call of the first one's macro, which hands its tokens to
//! `compute_kernel_chain!` with the kernel and the helpers gathered so far; the chain asks for
//! the next helper the same way until none is missing, then compiles. Helpers calling helpers
//! resolve in the helper's own module: `#[kernel_fn] fn h` also imports each function `h`
//! calls as `__kf_dep_h_<name>`, which the chain reaches through `h`'s path.

use kernelforge_codegen::Helpers;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::parse::{Parse, ParseStream};

/// `#[kernel_fn]` on `func`.
pub(crate) fn kernel_fn(attr: TokenStream, func: &syn::ItemFn) -> TokenStream {
    let mut errors = TokenStream::new();
    if !attr.is_empty() {
        errors.extend(
            syn::Error::new_spanned(&attr, "#[kernel_fn] takes no arguments").to_compile_error(),
        );
    }
    if let Err(e) = kernelforge_codegen::check_helper(func) {
        errors.extend(e.to_syn().to_compile_error());
    }
    let name = &func.sig.ident;
    let text = func.to_token_stream().to_string();
    let hash = kernelforge_codegen::stable_hash(text.as_bytes());
    let mac = format_ident!("__kf_fn_{}_{:016x}", name, hash);
    // One import per call name: the chain resolves a kernel's helpers by name.
    let mut seen = Vec::new();
    let deps = kernelforge_codegen::helper_calls(&func.block)
        .into_iter()
        .filter(|p| {
            let n = call_name(p);
            let new = !seen.contains(&n);
            seen.push(n);
            new
        })
        .map(|p| {
            let dep = dep_ident(name, &p);
            let p = strip_args(&p);
            quote! {
                #[doc(hidden)]
                #[allow(unused_imports)]
                pub(crate) use #p as #dep;
            }
        });
    quote! {
        #errors
        #[doc(hidden)]
        #[allow(unused_macros)]
        macro_rules! #mac {
            ($($state:tt)*) => {
                ::kernelforge::__private::compute_kernel_chain! { helper { #func } $($state)* }
            };
        }
        #[allow(unused_imports)]
        pub(crate) use #mac as #name;
        // The helper's name in the value namespace, which the chain checks before asking for
        // its macro: a plain `fn` of that name fails the check with our message.
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code)]
        pub(crate) const #name: ::kernelforge::__private::KernelFn = ::kernelforge::__private::KernelFn;
        #(#deps)*
    }
}

/// The name under which helper `caller` imports the function its call `path` names.
fn dep_ident(caller: &syn::Ident, path: &syn::Path) -> syn::Ident {
    let last = &path.segments.last().expect("a called path").ident;
    syn::Ident::new(&format!("__kf_dep_{caller}_{last}"), last.span())
}

/// `f::<256>` -> `f`: a macro path or a `use` takes no generic arguments.
fn strip_args(path: &syn::Path) -> syn::Path {
    let mut p = path.clone();
    for s in &mut p.segments {
        s.arguments = syn::PathArguments::None;
    }
    p
}

/// The name a call resolves to: its last segment.
fn call_name(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// What the chain carries from one helper's macro to the next.
pub(crate) struct State {
    /// The helper the last macro brought, if this is a step of the chain.
    helper: Option<syn::ItemFn>,
    /// The path that was asked for, and the name the helper is called by.
    requested: Option<(syn::Path, String)>,
    attr: TokenStream,
    item: syn::ItemFn,
    /// Call name, path through which it was reached, helper.
    resolved: Vec<(String, syn::Path, syn::ItemFn)>,
}

impl State {
    /// The start of a chain for `item` under `#[compute_kernel(attr)]`.
    pub(crate) fn new(attr: TokenStream, item: syn::ItemFn) -> Self {
        State {
            helper: None,
            requested: None,
            attr,
            item,
            resolved: Vec::new(),
        }
    }

    /// The next step: a call of the next missing helper's macro, or the kernel compiled with
    /// every helper it needs.
    pub(crate) fn step(mut self) -> TokenStream {
        if let (Some(h), Some((p, n))) = (self.helper.take(), self.requested.take()) {
            self.resolved.push((n, p, h));
        }
        match self.missing() {
            Some(path) => self.request(path),
            None => {
                let helpers: Helpers = self
                    .resolved
                    .iter()
                    .map(|(n, _, h)| (n.clone(), h.clone()))
                    .collect();
                crate::expand::expand_with_helpers(self.attr, &self.item, &helpers)
            }
        }
    }

    /// The first helper called, by the kernel or a helper, that is not resolved yet: the path
    /// that reaches it from the kernel's module, and its call name.
    fn missing(&self) -> Option<(syn::Path, String)> {
        let known = |p: &syn::Path| self.resolved.iter().any(|(n, _, _)| *n == call_name(p));
        if let Some(p) = kernelforge_codegen::helper_calls(&self.item.block)
            .into_iter()
            .find(|p| !known(p) && !p.is_ident(&self.item.sig.ident))
        {
            return Some((strip_args(&p), call_name(&p)));
        }
        for (_, via, h) in &self.resolved {
            for p in kernelforge_codegen::helper_calls(&h.block) {
                if known(&p) {
                    continue;
                }
                let mut path = strip_args(via);
                let last = path.segments.last_mut().expect("a called path");
                last.ident = dep_ident(&h.sig.ident, &p);
                return Some((path, call_name(&p)));
            }
        }
        None
    }

    fn request(&self, (path, name): (syn::Path, String)) -> TokenStream {
        let (attr, item) = (&self.attr, &self.item);
        let name = syn::Ident::new(&name, Span::call_site());
        let resolved = self.resolved.iter().map(|(n, p, h)| {
            let n = syn::Ident::new(n, Span::call_site());
            quote!((#n (#p) { #h }))
        });
        // A name that is a plain `fn`, not a `#[kernel_fn]`, fails this check at the call, in
        // our words (rustc then also reports that it finds no macro of that name).
        let at = syn::spanned::Spanned::span(&path);
        let check = quote::quote_spanned!(at=> const _: () = ::kernelforge::__private::is_kernel_fn(&#path););
        quote! {
            #check
            #path! {
                requested (#path) named #name attr (#attr) item { #item } resolved ( #(#resolved)* )
            }
        }
    }
}

fn keyword(input: ParseStream, word: &str) -> syn::Result<()> {
    let ident: syn::Ident = input.parse()?;
    if ident == word {
        Ok(())
    } else {
        Err(syn::Error::new(ident.span(), format!("expected `{word}`")))
    }
}

fn group(input: ParseStream) -> syn::Result<TokenStream> {
    let g: proc_macro2::Group = input.parse()?;
    Ok(g.stream())
}

impl Parse for State {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let helper = if input.peek(syn::Ident) && input.fork().parse::<syn::Ident>()? == "helper" {
            keyword(input, "helper")?;
            Some(syn::parse2(group(input)?)?)
        } else {
            None
        };
        keyword(input, "requested")?;
        let path = syn::parse2(group(input)?)?;
        keyword(input, "named")?;
        let name: syn::Ident = input.parse()?;
        let requested = Some((path, name.to_string()));
        keyword(input, "attr")?;
        let attr = group(input)?;
        keyword(input, "item")?;
        let item = syn::parse2(group(input)?)?;
        keyword(input, "resolved")?;
        let list = group(input)?;
        let resolved = syn::parse::Parser::parse2(
            |input: ParseStream| {
                let mut out = Vec::new();
                while !input.is_empty() {
                    let entry: proc_macro2::Group = input.parse()?;
                    let (n, p, h) = syn::parse::Parser::parse2(
                        |input: ParseStream| {
                            let n: syn::Ident = input.parse()?;
                            let p: syn::Path = syn::parse2(group(input)?)?;
                            let h: syn::ItemFn = syn::parse2(group(input)?)?;
                            Ok((n.to_string(), p, h))
                        },
                        entry.stream(),
                    )?;
                    out.push((n, p, h));
                }
                Ok(out)
            },
            list,
        )?;
        Ok(State {
            helper,
            requested,
            attr,
            item,
            resolved,
        })
    }
}
