//! WGSL back end.
//!
//! Target quirks handled here:
//! - WGSL has no `bool` in host-shareable memory: `bool` scalars travel as `u32` in the uniform.
//! - Integer `/` and `%` go through helpers that give the kernel language's results for a zero
//!   divisor and `i32::MIN / -1` (WGSL defines them the same way; the helpers make every
//!   driver agree).
//! - `round` is half away from zero (Rust, CUDA), not WGSL's half to even: a helper does it.
//! - Slice lengths come from the uniform, not `arrayLength`, because an empty buffer is
//!   allocated with a few bytes (wgpu cannot bind zero-sized buffers).
//! - Shift amounts are masked with `& 31u`, as the kernel language specifies.
//! - WGSL has no 64-bit integers and no `bf16`: `wide.rs` and `bf16.rs` emulate them.
//! - WGSL has no float atomics: `atomic.rs` keeps an `f32`'s bits in an `atomic<u32>`.
//!
//! Every output is validated by naga in [`write_string`].

mod atomic;
mod bf16;
mod bounds;
mod int;
mod matrix;
mod ops;
mod sign;
mod special;
mod types;
mod vector;
mod vector_access;
mod wide;
mod writer;

pub use writer::Writer;

use crate::ir::{Kernel, Scalar};
use crate::valid::Info;

/// Options of the WGSL back end.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Check every index of the scalar module and record the first out-of-bounds access in a
    /// fault record bound after the slices (`bounds.rs`, `proc::bounds`): the runtime's
    /// `KERNELFORGE_CHECK=bounds`. The `x4` module has no checked form.
    pub bounds_checked: bool,
}

/// What can go wrong writing WGSL.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// naga rejected the generated WGSL: a bug in kernelforge, not in the kernel.
    #[error("kernelforge generated invalid WGSL for `{kernel}` (please report this): {message}")]
    Invalid {
        /// The kernel.
        kernel: String,
        /// naga's message.
        message: String,
    },
}

/// Writes `kernel` as a WGSL module with one `@compute` entry point named after the kernel,
/// and validates it with naga.
///
/// # Errors
/// [`Error::Invalid`] when naga rejects the output.
pub fn write_string(kernel: &Kernel, info: &Info, options: &Options) -> Result<String, Error> {
    let mut w = Writer::new(kernel, info).bounds_checked(options.bounds_checked);
    let text = w.write();
    validate(&text).map_err(|message| Error::Invalid {
        kernel: kernel.name.clone(),
        message,
    })?;
    Ok(text)
}

/// Writes the `x4` module of `kernel` (four invocations per invocation, `vec4` accesses; see
/// `vector.rs`) when it has the elementwise vector shape of [`crate::proc::vector`], and
/// validates it with naga. `Ok(None)` for kernels without that shape.
///
/// # Errors
/// [`Error::Invalid`] when naga rejects the output.
pub fn write_x4_string(
    kernel: &Kernel,
    info: &Info,
    _options: &Options,
) -> Result<Option<String>, Error> {
    let Some(shape) = crate::proc::vector::analyse(kernel) else {
        return Ok(None);
    };
    // `vec4` of the 32-bit types and of `f16` (`vec4<f16>`); the emulated types have no
    // vector form.
    if [Scalar::BF16, Scalar::F64, Scalar::I64, Scalar::U64]
        .into_iter()
        .any(|s| info.uses(kernel, s))
    {
        return Ok(None);
    }
    let mut w = Writer::new(kernel, info);
    let text = w.write_x4(&shape);
    validate(&text).map_err(|message| Error::Invalid {
        kernel: kernel.name.clone(),
        message,
    })?;
    Ok(Some(text))
}

/// Parses and validates WGSL with naga, returning naga's message on failure.
pub fn validate(source: &str) -> Result<(), String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string(source))?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::all(),
    )
    .subgroup_stages(naga::valid::ShaderStages::COMPUTE)
    .subgroup_operations(naga::valid::SubgroupOperationSet::all())
    .validate(&module)
    .map_err(|e| e.emit_to_string(source))?;
    Ok(())
}
