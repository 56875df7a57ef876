//! `#[each_backend]`: a cross-backend test written once, as a function of the device, and
//! instantiated as one `#[test]` per backend (CubeCL's `testgen` idea), so that
//! `cargo test _wgpu` runs one backend's suite and each backend's result is a line of its own.
//!
//! ```ignore
//! #[each_backend]
//! fn relu_matches_reference(dev: &Device) { /* ... */ }
//! // defines relu_matches_reference_cpu, _wgpu, _cuda and _cuda_host (the CUDA C run on the
//! // host by `Device::cuda_host`)
//!
//! #[each_backend(wgpu, cuda)]
//! fn compile_failure_is_an_error(dev: &Device) { /* ... */ }  // GPU backends only
//! ```
//!
//! Each instance calls `crate::common::on_cpu(f)` (`on_wgpu`, `on_cuda`, `on_cuda_host`;
//! tests/common), which opens that device and runs the function, or skips with a line saying
//! why unless `KERNELFORGE_REQUIRE` names it.

use proc_macro::TokenStream;
use quote::{format_ident, quote};
use syn::parse::Parser;
use syn::spanned::Spanned;

/// Each instance's suffix and the `tests/common` function that runs it.
const BACKENDS: [(&str, &str); 4] = [
    ("cpu", "on_cpu"),
    ("wgpu", "on_wgpu"),
    ("cuda", "on_cuda"),
    // The generated CUDA C compiled for the host (`Device::cuda_host`): a GPU-less check of
    // the CUDA back end.
    ("cuda_host", "on_cuda_host"),
];

/// Instantiates `fn name(dev: &Device)` as `name_cpu`, `name_wgpu`, `name_cuda` and
/// `name_cuda_host` (or the backends listed: `#[each_backend(wgpu, cuda)]`).
#[proc_macro_attribute]
pub fn each_backend(attr: TokenStream, item: TokenStream) -> TokenStream {
    match expand(attr.into(), item.into()) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(
    attr: proc_macro2::TokenStream,
    item: proc_macro2::TokenStream,
) -> syn::Result<proc_macro2::TokenStream> {
    let func: syn::ItemFn = syn::parse2(item)?;
    let listed =
        syn::punctuated::Punctuated::<syn::Ident, syn::Token![,]>::parse_terminated.parse2(attr)?;
    let mut chosen = Vec::new();
    for id in &listed {
        match BACKENDS.iter().find(|(name, _)| id == name) {
            Some(b) => chosen.push(*b),
            None => {
                return Err(syn::Error::new(
                    id.span(),
                    "expected `cpu`, `wgpu`, `cuda` or `cuda_host`",
                ))
            }
        }
    }
    if chosen.is_empty() {
        chosen = BACKENDS.to_vec();
    }
    if func.sig.inputs.len() != 1 {
        return Err(syn::Error::new(
            func.sig.inputs.span(),
            "an #[each_backend] test takes the device: `fn name(dev: &Device)`",
        ));
    }
    let name = &func.sig.ident;
    let tests = chosen.iter().map(|(suffix, runner)| {
        let test = format_ident!("{}_{}", name, suffix);
        let runner = format_ident!("{}", runner);
        quote! {
            #[test]
            fn #test() {
                crate::common::#runner(#name);
            }
        }
    });
    Ok(quote! {
        #func
        #(#tests)*
    })
}
