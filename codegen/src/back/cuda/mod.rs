//! CUDA C back end: one `extern "C" __global__` function per kernel, compiled to PTX by nvcc at
//! build time or by NVRTC at run time.
//!
//! Target quirks handled here:
//! - Signed overflow is undefined in C++: `i32` `+ - *`, negation and `<<` go through helpers
//!   that compute in `unsigned int`, so arithmetic wraps as the kernel language says.
//! - Integer `/` and `%` by zero are undefined in C++: helpers give the kernel language's
//!   results (dividend for `/`, 0 for `%`; `i32::MIN / -1` is `i32::MIN`).
//! - Float-to-integer casts use `__float2int_rz`/`__float2uint_rz`, which saturate and map NaN
//!   to 0 like Rust's `as`.
//! - `bool` scalars arrive as `unsigned int` (the launch ABI, see `back`).
//! - The source needs no headers, so NVRTC compiles it without include paths.

mod writer;

pub use writer::Writer;

use crate::ir::Kernel;
use crate::valid::Info;

/// Options of the CUDA back end (none yet; kept for the shape shared by all back ends).
#[derive(Clone, Debug, Default)]
pub struct Options {}

/// What can go wrong writing CUDA C. Nothing can yet: every valid kernel has a CUDA form.
#[derive(Debug, thiserror::Error)]
pub enum Error {}

/// Writes `kernel` as CUDA C source with one `extern "C" __global__` function named after it.
///
/// # Errors
/// None yet (see [`Error`]).
pub fn write_string(kernel: &Kernel, info: &Info, _options: &Options) -> Result<String, Error> {
    Ok(Writer::new(kernel, info).write())
}
