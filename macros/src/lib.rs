//! `#[compute_kernel]`: parse -> codegen -> expand. All the work is in kernelforge-codegen, so
//! the macro and kernelforge-build lower a kernel identically.

mod expand;

use proc_macro::TokenStream;

/// Turns a Rust function into a kernel module with `launch`, the CUDA C, WGSL and (when
/// kernelforge-build made it) PTX sources, and the CPU version. See the kernelforge README for
/// the kernel language.
///
/// `#[compute_kernel(workgroup_size = N | (X, Y) | (X, Y, Z))]`, default 256.
#[proc_macro_attribute]
pub fn compute_kernel(attr: TokenStream, item: TokenStream) -> TokenStream {
    let func = match syn::parse::<syn::ItemFn>(item) {
        Ok(f) => f,
        Err(e) => return e.to_compile_error().into(),
    };
    expand::expand(attr.into(), &func).into()
}
