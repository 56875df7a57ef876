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
    goldilocks_mul, goldilocks_mul_v2, goldilocks_ntt_block, goldilocks_ntt_stage,
    goldilocks_ntt_stage2, goldilocks_powers, goldilocks_scale, goldilocks_sub, goldilocks_sub_v2,
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
/// bit-reversal permutation, then the `log2 n` butterfly stages, two a pass (radix 4), the
/// first nine of each block of 512 in workgroup memory where the device's autotuned plan says
/// so (family `goldilocks_ntt`), the twiddles `w^k` (`k < n/2`) computed on the device.
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
    let plan = if n >= 512 { ntt_plan(dev, n)? } else { STAGE2 };
    stages(dev, plan, &tw, data)?;
    if inverse {
        goldilocks_scale::launch(dev, Grid::linear(n), inv_n, data)?;
    }
    Ok(())
}

/// The NTT's plans for its butterfly stages, the autotuned family `goldilocks_ntt`: the
/// first nine stages of each 512 elements in workgroup memory, then two stages a pass
/// ([`BLOCK`], the default), or two stages a pass from the first ([`STAGE2`]). On the CPU
/// they ran alike (2^20: 25-26 ms); on lavapipe, where barriers are slow, the second took
/// about half the time of the first; on a GPU the first saves eight passes over memory.
const NTT_PLANS: [&str; 2] = ["goldilocks_ntt_block", "goldilocks_ntt_stage2"];
const BLOCK: usize = 0;
const STAGE2: usize = 1;

/// The plan `dev` runs for an NTT of `n` (at least 512) points: the autotuned choice, timed
/// on up to 2^18 points of scratch.
fn ntt_plan(dev: &Device, n: usize) -> Result<usize> {
    let family = crate::autotune::Family {
        name: "goldilocks_ntt",
        candidates: &NTT_PLANS,
        default: BLOCK,
    };
    let mut work: Option<(Buffer<u64>, Buffer<u64>)> = None;
    let choice = dev.autotune(&family, &mut |plan| {
        if work.is_none() {
            let m = n.min(1 << 18);
            work = Some((dev.zeros::<u64>(m / 2)?, dev.zeros::<u64>(m)?));
        }
        let (tw, data) = work.as_mut().expect("made above");
        stages(dev, plan, tw, data)
    })?;
    Ok(choice.index)
}

/// The butterfly stages of the NTT over bit-reversed `data` (a power of two of at least 2
/// elements; at least 512 for [`BLOCK`]) with the twiddles `tw`, by `plan`.
fn stages(dev: &Device, plan: usize, tw: &Buffer<u64>, data: &mut Buffer<u64>) -> Result<()> {
    let n = data.len();
    // `h`: the half-size of the next stage; where an odd number of stages remain, the last
    // runs alone.
    let mut h = 1;
    if plan == BLOCK {
        goldilocks_ntt_block::launch(dev, Grid::groups([n as u32 / 512, 1, 1]), tw, data)?;
        h = 512;
    }
    while 4 * h <= n {
        goldilocks_ntt_stage2::launch(dev, Grid::linear(n / 4), h as u32, tw, data)?;
        h *= 4;
    }
    if h < n {
        let stride = (n / (2 * h)) as u32;
        goldilocks_ntt_stage::launch(dev, Grid::linear(n / 2), h as u32, stride, tw, data)?;
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
