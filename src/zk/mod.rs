//! Finite-field arithmetic for zero-knowledge provers, over the built-in kernels: what a prover
//! calls for its field vectors and polynomials, bit-identical on every backend (the CPU's,
//! CUDA's and WGSL's results are the same bits, WGSL's `u64` emulated in two `u32` words).
//!
//! - [`goldilocks`]: p = 2^64 - 2^32 + 1 (plonky2, Plonky3), elementwise `add`, `sub`, `mul`,
//!   `batch_inverse` and the NTT.
//! - [`bn254`]: BN254's scalar field Fr, four `u64` limbs an element, `fr_add`, `fr_sub`,
//!   `fr_mul`.

pub mod bn254;
pub mod goldilocks;

use crate::{Error, Result};

/// `Err` unless every length in `lens` (name, length) equals the first, and fits the `u32`
/// index of a kernel.
fn same_lengths(kernel: &'static str, lens: &[(&str, usize)]) -> Result<usize> {
    let (first, n) = lens[0];
    for &(name, len) in &lens[1..] {
        if len != n {
            return Err(Error::BadArguments {
                kernel,
                message: format!(
                    "`{name}` has {len} elements where `{first}` has {n}; pass buffers of one \
                     length"
                ),
            });
        }
    }
    if n > u32::MAX as usize {
        return Err(Error::BadArguments {
            kernel,
            message: format!(
                "{n} elements are more than a kernel indexes (u32::MAX); split the work"
            ),
        });
    }
    Ok(n)
}
