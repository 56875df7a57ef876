//! The Goldilocks field, p = 2^64 - 2^32 + 1, on `Buffer<u64>`: elementwise arithmetic,
//! batch inversion and the number-theoretic transform, over the kernels of
//! kernels-src/goldilocks.rs.
//!
//! Elements are `u64`. Every input stands for its residue mod p (a value in [p, 2^64) is that
//! value less p, as `p3_goldilocks::Goldilocks::new` takes it); every output is canonical, below
//! [`P`]. The results are the same bits on every backend.

use super::same_lengths;
use crate::kernels::{
    goldilocks_add, goldilocks_add_v2, goldilocks_batch_inverse, goldilocks_bit_reverse,
    goldilocks_mul, goldilocks_mul_v2, goldilocks_ntt_stage, goldilocks_powers, goldilocks_scale,
    goldilocks_sub, goldilocks_sub_v2,
};
use crate::{Backend, Buffer, Device, Error, Grid, Result};

/// The modulus, 2^64 - 2^32 + 1.
pub const P: u64 = 0xffff_ffff_0000_0001;

/// The largest NTT length, 2^24 (the field's two-adicity is 32; 2^24 `u64`s are 128 MiB, the
/// largest storage binding lavapipe offers).
pub const MAX_NTT_LEN: usize = 1 << 24;

/// `out[i] = a[i] + b[i]` mod p.
///
/// # Errors
/// Buffers of different lengths, or more than `u32::MAX` elements; a launch's errors.
pub fn add(dev: &Device, a: &Buffer<u64>, b: &Buffer<u64>, out: &mut Buffer<u64>) -> Result<()> {
    let n = binary_len("goldilocks_add", a, b, out)?;
    if two_an_invocation(dev) {
        goldilocks_add_v2::launch(dev, Grid::linear(n.div_ceil(2)), a, b, out)
    } else {
        goldilocks_add::launch(dev, Grid::linear(n), a, b, out)
    }
}

/// `out[i] = a[i] - b[i]` mod p.
///
/// # Errors
/// As [`add`].
pub fn sub(dev: &Device, a: &Buffer<u64>, b: &Buffer<u64>, out: &mut Buffer<u64>) -> Result<()> {
    let n = binary_len("goldilocks_sub", a, b, out)?;
    if two_an_invocation(dev) {
        goldilocks_sub_v2::launch(dev, Grid::linear(n.div_ceil(2)), a, b, out)
    } else {
        goldilocks_sub::launch(dev, Grid::linear(n), a, b, out)
    }
}

/// `out[i] = a[i] * b[i]` mod p.
///
/// # Errors
/// As [`add`].
pub fn mul(dev: &Device, a: &Buffer<u64>, b: &Buffer<u64>, out: &mut Buffer<u64>) -> Result<()> {
    let n = binary_len("goldilocks_mul", a, b, out)?;
    if two_an_invocation(dev) {
        goldilocks_mul_v2::launch(dev, Grid::linear(n.div_ceil(2)), a, b, out)
    } else {
        goldilocks_mul::launch(dev, Grid::linear(n), a, b, out)
    }
}

/// Whether `dev` runs the elementwise kernels' `_v2` forms (two elements an invocation): on
/// wgpu, where they were 2-2.6x faster on lavapipe; the CPU ran the one-element forms 1.3x
/// faster, and CUDA has native 64-bit products (docs/benchmarks.md).
fn two_an_invocation(dev: &Device) -> bool {
    dev.backend() == Backend::Wgpu
}

fn binary_len(
    kernel: &'static str,
    a: &Buffer<u64>,
    b: &Buffer<u64>,
    out: &Buffer<u64>,
) -> Result<usize> {
    same_lengths(
        kernel,
        &[("a", a.len()), ("b", b.len()), ("out", out.len())],
    )
}

/// `out[i] = 1 / a[i]` mod p for every element, by Montgomery's trick (three products an
/// element and one inversion per run of 32, see the kernel).
///
/// # Errors
/// An element that is 0 mod p, which has no inverse: the `Err` names the first such index
/// (`out` then holds the inverses of the others, and 0 at the zeros). Buffers of different
/// lengths; a launch's errors.
pub fn batch_inverse(dev: &Device, a: &Buffer<u64>, out: &mut Buffer<u64>) -> Result<()> {
    const KERNEL: &str = "goldilocks_batch_inverse";
    let n = same_lengths(KERNEL, &[("a", a.len()), ("out", out.len())])?;
    let mut zero = dev.upload(&[u32::MAX])?;
    goldilocks_batch_inverse::launch(dev, Grid::linear(n.div_ceil(32)), a, out, &mut zero)?;
    let first = zero.to_vec()?[0];
    if first != u32::MAX {
        return Err(Error::BadArguments {
            kernel: KERNEL,
            message: format!(
                "a[{first}] is 0 (mod p), which has no inverse; remove the zeros or replace \
                 them before inverting (out holds the other inverses, and 0 at each zero)"
            ),
        });
    }
    Ok(())
}

/// The number-theoretic transform of `data`, in place, natural order in and out:
/// `out[k] = sum_j data[j] w^(jk)` with `w = 7^((p-1)/n)` (plonky2's and Plonky3's root of
/// unity of order `n`); with `inverse`, the transform by `w^-1` scaled by `1/n`, so that the
/// inverse undoes the forward transform. Radix-2 decimation in time (Cooley-Tukey): a
/// bit-reversal permutation, then `log2 n` butterfly stages, the twiddles `w^k` (`k < n/2`)
/// computed on the device.
///
/// # Errors
/// A length that is not a power of two from 1 to [`MAX_NTT_LEN`]; a launch's errors.
pub fn ntt(dev: &Device, data: &mut Buffer<u64>, inverse: bool) -> Result<()> {
    let n = data.len();
    if !n.is_power_of_two() || n > MAX_NTT_LEN {
        return Err(Error::BadArguments {
            kernel: "goldilocks_ntt_stage",
            message: format!(
                "an NTT's length must be a power of two from 1 to 2^24, and it is {n}; pad the \
                 polynomial with zeros to the next power of two"
            ),
        });
    }
    let inv_n = P - (P - 1) / n as u64;
    if n == 1 {
        // The transform of one element is itself, made canonical.
        return goldilocks_scale::launch(dev, Grid::linear(1), 1, data);
    }
    let w = root_of_unity(n);
    let w = if inverse { pow(w, n as u64 - 1) } else { w };
    let mut tw = dev.zeros::<u64>(n / 2)?;
    goldilocks_powers::launch(dev, Grid::linear((n / 2).div_ceil(64)), w, &mut tw)?;
    goldilocks_bit_reverse::launch(dev, Grid::linear(n), n.trailing_zeros(), data)?;
    let mut h = 1;
    while h < n {
        let stride = (n / (2 * h)) as u32;
        goldilocks_ntt_stage::launch(dev, Grid::linear(n / 2), h as u32, stride, &tw, data)?;
        h *= 2;
    }
    if inverse {
        goldilocks_scale::launch(dev, Grid::linear(n), inv_n, data)?;
    }
    Ok(())
}

/// `7^((p-1)/n)`, the root of unity of order `n` (a power of two up to 2^32).
pub fn root_of_unity(n: usize) -> u64 {
    pow(7, (P - 1) / n as u64)
}

/// `a * b` mod p on the host.
fn mul_host(a: u64, b: u64) -> u64 {
    ((a as u128 * b as u128) % P as u128) as u64
}

/// `a^e` mod p on the host.
fn pow(a: u64, mut e: u64) -> u64 {
    let (mut r, mut b) = (1, a % P);
    while e > 0 {
        if e & 1 == 1 {
            r = mul_host(r, b);
        }
        b = mul_host(b, b);
        e >>= 1;
    }
    r
}
