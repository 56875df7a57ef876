//! `#[compute_kernel]`: parse -> codegen -> expand. All the work is in kernelforge-codegen, so
//! the macro and kernelforge-build lower a kernel identically.

mod chain;
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

/// Marks a helper function callable from kernels (and from other helpers). Each call is inlined
/// into the calling kernel, so a helper may use everything a kernel body may, `barrier()`
/// included. Parameters: scalars by value, slices (`&[T]`, `&mut [T]`, `&[AtomicU32]`) and
/// arrays (`&[T; N]`, `&mut [T; N]`, with `N` a literal or a const generic parameter inferred
/// from the argument); it returns one scalar or nothing, from its last expression.
///
/// A helper is usable by kernels of the same crate, through any path that names it.
#[proc_macro_attribute]
pub fn kernel_fn(attr: TokenStream, item: TokenStream) -> TokenStream {
    let func = match syn::parse::<syn::ItemFn>(item) {
        Ok(f) => f,
        Err(e) => return e.to_compile_error().into(),
    };
    chain::kernel_fn(attr.into(), &func).into()
}

/// One step of the chain that gathers a kernel's `#[kernel_fn]` helpers (see `kernel_fn`); not
/// for direct use.
#[doc(hidden)]
#[proc_macro]
pub fn compute_kernel_chain(input: TokenStream) -> TokenStream {
    match syn::parse::<chain::State>(input) {
        Ok(state) => state.step().into(),
        Err(e) => e.to_compile_error().into(),
    }
}
