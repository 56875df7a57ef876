//! CUDA C back end: one `extern "C" __global__` function per kernel, compiled to PTX by nvcc at
//! build time or by NVRTC at run time.
//!
//! Target quirks handled here:
//! - Signed overflow is undefined in C++: `i32`/`i64` `+ - *`, negation and `<<` go through
//!   helpers that compute unsigned, so arithmetic wraps as the kernel language says.
//! - Integer `/` and `%` by zero are undefined in C++: helpers give the kernel language's
//!   results (dividend for `/`, 0 for `%`; `MIN / -1` is `MIN`).
//! - Float-to-integer casts use `__float2int_rz`, `__double2ull_rz`, ..., which saturate like
//!   Rust's `as` (PTX `cvt.rzi`), behind a NaN test: on an H200, NaN converted to the lowest
//!   `i32` and to 2^63 as `u64`, where Rust gives 0.
//! - nvcc and NVRTC compile with `--fmad=false` (kernelforge-build's `FLAGS`): `a * b + c`
//!   rounds twice, as on the CPU backend; `mul_add` is `fmaf`/`fma`.
//! - `f16` and `bf16` are `__half` and `__nv_bfloat16`; their `+ - * /` are the headers'
//!   operators (correctly rounded, as the CPU backend's f32-then-round), math functions compute
//!   in `float` and round once. `f64` to `f16`/`bf16` and 64-bit integers to `bf16` round to
//!   odd in `float` first, so the final rounding is correct (`__double2bfloat16` and
//!   `__ll2bfloat16_rn` may round twice on older architectures).
//! - `bool` scalars arrive as `unsigned int` (the launch ABI, see `back`).
//! - `f32` atomics: `atomicAdd`/`atomicExch` natively, min/max by compare-exchange loops
//!   (`atomic.rs`).
//! - Only kernels that use `f16` or `bf16` include a header (cuda_fp16.h, cuda_bf16.h); the
//!   runtime passes NVRTC the toolkit's include folder for them.

mod atomic;
mod bounds;
mod int;
mod matrix;
mod types;
mod vector;
mod writer;

pub use writer::Writer;

use crate::ir::Kernel;
use crate::valid::Info;

/// Options of the CUDA back end.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Check every index and record the first out-of-bounds access in a fault record, the
    /// kernel's last parameter (`bounds.rs`, `proc::bounds`): the runtime's
    /// `KERNELFORGE_CHECK=bounds`.
    pub bounds_checked: bool,
}

/// What can go wrong writing CUDA C. Nothing can yet: every valid kernel has a CUDA form.
#[derive(Debug, thiserror::Error)]
pub enum Error {}

/// Writes `kernel` as CUDA C source with one `extern "C" __global__` function named after it.
///
/// # Errors
/// None yet (see [`Error`]).
pub fn write_string(kernel: &Kernel, info: &Info, options: &Options) -> Result<String, Error> {
    Ok(Writer::new(kernel, info)
        .bounds_checked(options.bounds_checked)
        .write())
}
