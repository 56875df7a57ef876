//! CPU back end: Rust tokens that run a kernel's invocations on rayon.
//!
//! The runtime splits a launch into chunks (one rayon task each) and calls the generated
//! `chunk` function per chunk, choosing at run time between copies of it compiled for several
//! target-feature levels (SSE2, AVX2+FMA+F16C, AVX-512), because the vector width alone is worth
//! 1.7x on elementwise kernels and a downstream crate cannot be assumed to set `-C target-cpu`.
//!
//! A chunk is either a range of consecutive invocations (1-D workgroups and grids) or a range
//! of workgroups (everything else). For the elementwise shape (see `proc::linear`) a linear
//! chunk runs a straight-line loop with the guard folded into the range and bounds checked once
//! per chunk, which LLVM vectorises; every other access is checked where it happens and an
//! out-of-bounds index ends the launch with an error naming the slice, the index and the
//! length, never undefined behaviour. In that loop, `f16` slices are converted a block at a
//! time with the CPU's conversion instructions (`stage.rs`).
//!
//! `&mut [T]` slices are not turned into Rust `&mut` references: every invocation accesses
//! them through a shared raw view (`SliceView`, pointer and length) under the SIMT contract that
//! invocations of one launch do not race on an element (as on a GPU; a race gives one of the
//! written values, since stores of `f32`/`u32` are single machine stores). Reads and writes go
//! through the view's bounds-checked methods, or through its unchecked ones only where the
//! chunk's length check proved them in bounds.
//!
//! Math: `exp`, `exp2` and `tanh` call vectorisable polynomial/rational approximations in the
//! runtime (`math`), whose accuracy the README states; the other functions use `std`.

mod atomic;
mod checked;
mod group;
mod int;
mod math;
mod matrix;
mod stage;
mod stride;
mod subgroups;
mod tile;
mod types;
mod vector;
mod writer;

pub use writer::Writer;

use crate::ir::Kernel;
use crate::valid::Info;
use proc_macro2::TokenStream;

/// Options of the CPU back end.
#[derive(Clone, Debug)]
pub struct Options {
    /// Path of the runtime's CPU support module in generated code.
    pub runtime_path: TokenStream,
    /// Writes the race-checked version (`checked.rs`): module `__cpu_checked`, every access of
    /// a storage buffer or workgroup array reported to the runtime's race check, no fast
    /// forms, the baseline instruction set.
    pub checked: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            runtime_path: quote::quote!(::kernelforge::__private::cpu),
            checked: false,
        }
    }
}

/// What can go wrong writing the CPU code. Nothing can yet.
#[derive(Debug, thiserror::Error)]
pub enum Error {}

/// Writes `kernel` as a Rust module `__cpu` with `pub(super) fn run(&Launch, &Args)`.
///
/// # Errors
/// None yet (see [`Error`]).
pub fn write_tokens(kernel: &Kernel, info: &Info, options: &Options) -> Result<TokenStream, Error> {
    Ok(Writer::new(kernel, info, options).write())
}

/// [`write_tokens`] formatted as Rust source, for snapshots and `kernelforge emit`.
///
/// # Errors
/// None yet (see [`Error`]).
pub fn write_string(kernel: &Kernel, info: &Info, options: &Options) -> Result<String, Error> {
    let tokens = write_tokens(kernel, info, options)?;
    Ok(format_tokens(tokens))
}

/// Formats generated Rust tokens with prettyplease (falls back to the raw token text).
pub fn format_tokens(tokens: TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => tokens.to_string(),
    }
}
