//! BN254's scalar field Fr, r = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001,
//! on `Buffer<u64>` of four little-endian limbs an element (element `e` at `4e..4e + 4`), over
//! the kernels of kernels-src/bn254.rs (and, for `fr_mul` on wgpu, kernels-src/bn254_u32.rs).
//!
//! Every input stands for its residue mod r (any 256-bit value is accepted) and every output is
//! canonical, fully reduced and not in Montgomery form: the limbs of `ark_bn254::Fr`'s
//! `into_bigint()`. Products are Montgomery multiplications inside the kernel. The results are
//! the same bits on every backend.

mod msm;

pub use msm::{msm, G1Affine, MAX_MSM_POINTS};

use super::same_lengths;
use crate::kernels::{bn254_fr_add, bn254_fr_mul, bn254_fr_mul_u32, bn254_fr_sub};
use crate::{Backend, Buffer, Device, Error, Grid, Result};

/// r's limbs, least significant first.
pub const R: [u64; 4] = [
    0x43e1_f593_f000_0001,
    0x2833_e848_79b9_7091,
    0xb850_45b6_8181_585d,
    0x3064_4e72_e131_a029,
];

/// `out[e] = a[e] + b[e]` mod r.
///
/// # Errors
/// Buffers of different lengths, a length that is not a multiple of 4 (whole elements), or
/// more than `u32::MAX` limbs; a launch's errors.
pub fn fr_add(dev: &Device, a: &Buffer<u64>, b: &Buffer<u64>, out: &mut Buffer<u64>) -> Result<()> {
    let n = elements("bn254_fr_add", a, b, out)?;
    bn254_fr_add::launch(dev, Grid::linear(n), a, b, out)
}

/// `out[e] = a[e] - b[e]` mod r.
///
/// # Errors
/// As [`fr_add`].
pub fn fr_sub(dev: &Device, a: &Buffer<u64>, b: &Buffer<u64>, out: &mut Buffer<u64>) -> Result<()> {
    let n = elements("bn254_fr_sub", a, b, out)?;
    bn254_fr_sub::launch(dev, Grid::linear(n), a, b, out)
}

/// `out[e] = a[e] * b[e]` mod r. On wgpu it launches `bn254_fr_mul_u32` (13-bit limbs in
/// `u32`s, 1.6-1.7x faster on lavapipe than the emulated `u64`), elsewhere `bn254_fr_mul`
/// (64-bit limbs, 22x faster on the CPU, where the other's `#[unroll]` loops stay loops); both
/// give the same bits.
///
/// A wgpu device on which `bn254_fr_mul_u32` has already been rerun on the CPU (its shader
/// failed to compile, under [`Device::set_cpu_fallback`] or `Device::best()`'s fallback:
/// [`Device::fallen_back_kernels`] lists it) gets `bn254_fr_mul` from then on: on the device if
/// that shader compiles, and otherwise on the CPU at the 64-bit kernel's speed. The failed
/// shader is not compiled again at every call.
///
/// # Errors
/// As [`fr_add`].
pub fn fr_mul(dev: &Device, a: &Buffer<u64>, b: &Buffer<u64>, out: &mut Buffer<u64>) -> Result<()> {
    let n = elements("bn254_fr_mul", a, b, out)?;
    let u32_limbs = dev.backend() == Backend::Wgpu
        && !dev
            .fallen_back_kernels()
            .contains(&bn254_fr_mul_u32::KERNEL.name);
    if u32_limbs {
        bn254_fr_mul_u32::launch(dev, Grid::linear(n), a, b, out)
    } else {
        bn254_fr_mul::launch(dev, Grid::linear(n), a, b, out)
    }
}

/// The elements of equal-length limb buffers, or the `Err` that says what is wrong.
fn elements(
    kernel: &'static str,
    a: &Buffer<u64>,
    b: &Buffer<u64>,
    out: &Buffer<u64>,
) -> Result<usize> {
    let n = same_lengths(
        kernel,
        &[("a", a.len()), ("b", b.len()), ("out", out.len())],
    )?;
    if n % 4 != 0 {
        return Err(Error::BadArguments {
            kernel,
            message: format!(
                "{n} limbs are not whole elements of four `u64`s; pass 4 limbs an element, \
                 least significant first"
            ),
        });
    }
    Ok(n / 4)
}
