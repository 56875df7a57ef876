//! Multi-scalar multiplication over BN254's G1 by Pippenger's bucket method, the buckets
//! accumulated on the device (kernels-src/bn254_g1.rs).
//!
//! With windows of `c` bits and signed digits in `[-2^(c-1), 2^(c-1)]`, each scalar's window
//! `w` names a bucket (`|digit| - 1`) of that window and a sign; a bucket's points are summed,
//! the window's sum is `sum_b (b + 1) B_b`, and the result is the sum of the windows' sums
//! `2^(c w)` apart (Horner's rule). The host turns the scalars into digits and sorts the point
//! indices by bucket (a counting sort, over rayon); the device converts the bases to
//! Montgomery form and runs four kernels: bucket sums (an invocation a bucket, mixed additions),
//! segment sums of consecutive buckets, window sums, and the final Horner sum made affine.

use super::R;
use crate::kernels::{
    bn254_g1_to_montgomery, bn254_msm_buckets, bn254_msm_finish, bn254_msm_segments,
    bn254_msm_windows,
};
use crate::{Buffer, Device, Error, Grid, Result};
use rayon::prelude::*;

/// A point of BN254's G1 in affine coordinates, each coordinate four little-endian `u64` limbs,
/// canonical (below q) and not in Montgomery form: arkworks' `G1Affine` with `x.into_bigint()`
/// and `y.into_bigint()`. The identity has `infinity` set and `x = y = 0`, as arkworks' has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct G1Affine {
    /// x, least significant limb first.
    pub x: [u64; 4],
    /// y, least significant limb first.
    pub y: [u64; 4],
    /// Whether this is the point at infinity (the group's identity).
    pub infinity: bool,
}

impl G1Affine {
    /// The point at infinity.
    pub const IDENTITY: G1Affine = G1Affine {
        x: [0; 4],
        y: [0; 4],
        infinity: true,
    };
}

/// The most points one call takes: point indices are 31 bits in the kernels' bucket entries.
pub const MAX_MSM_POINTS: usize = 1 << 30;

/// `sum_i scalars[i] bases[i]` in G1 (multi-scalar multiplication), by Pippenger's bucket
/// method with windows of `c` bits (`c` from the number of points: 13 at 2^16, 15 at 2^18) and
/// signed digits, the buckets accumulated on the device.
///
/// `scalars` holds four little-endian limbs a scalar; each stands for its residue mod r (any
/// 256-bit value is accepted). `bases` holds eight limbs a point: x then y, affine, canonical
/// (below q), on the curve y^2 = x^3 + 3 and not the point at infinity; a base that is not
/// (not checked) gives a meaningless result.
///
/// # Errors
/// `scalars` not whole elements of four limbs, `bases` not eight limbs for each scalar, more
/// than [`MAX_MSM_POINTS`] points; a launch's errors (an adapter's buffer limits among them).
/// On lavapipe (llvmpipe), `Error::Unsupported` where one bucket would get more than 1,090
/// points (many equal scalars put them in one), more than its loop limit lets an invocation
/// add (see `within_llvmpipe_loops`); the CPU backend has no such limit. With the device's
/// CPU fallback on (`Device::set_cpu_fallback(true)`), that case runs the whole sum on the CPU
/// instead, logs it once and lists `bn254_msm` in `Device::fallen_back_kernels`.
pub fn msm(dev: &Device, scalars: &Buffer<u64>, bases: &Buffer<u64>) -> Result<G1Affine> {
    const KERNEL: &str = "bn254_msm";
    let bad = |message: String| Error::BadArguments {
        kernel: KERNEL,
        message,
    };
    if !scalars.len().is_multiple_of(4) {
        return Err(bad(format!(
            "`scalars` has {} limbs, not whole scalars of four `u64`s; pass 4 limbs a scalar, \
             least significant first",
            scalars.len()
        )));
    }
    let n = scalars.len() / 4;
    if bases.len() != 8 * n {
        return Err(bad(format!(
            "`bases` has {} limbs where {n} scalars need {} (x then y, 4 limbs each, a point)",
            bases.len(),
            8 * n
        )));
    }
    if n > MAX_MSM_POINTS {
        return Err(bad(format!(
            "{n} points are more than one call takes ({MAX_MSM_POINTS}); split the sum"
        )));
    }
    if n == 0 {
        return Ok(G1Affine::IDENTITY);
    }
    let c = window_bits(n);
    let plan = Plan::new(c);
    let (entries, starts) = plan.buckets(&scalars.to_vec()?);
    if entries.is_empty() {
        // Every scalar is 0 mod r.
        return Ok(G1Affine::IDENTITY);
    }
    let heaviest = starts.windows(2).map(|s| (s[1] - s[0]) as usize).max();
    // With fallback on, the sums run on the CPU, which has no such limit, from the same digits
    // and sort; only the bases move there.
    let cpu_bases;
    let (dev, bases) = match crate::ops::llvmpipe_or_cpu(
        dev,
        KERNEL,
        heaviest.unwrap_or(0),
        LLVMPIPE_MAX_BUCKET,
        "run the MSM on the CPU backend (`Device::cpu()`), faster than lavapipe and without its \
         limit, or turn on `Device::set_cpu_fallback`; a bucket takes every point whose scalar \
         has the same digit in a window, so many equal scalars make one long",
    )? {
        None => (dev, bases),
        Some(cpu) => {
            cpu_bases = cpu.upload(&bases.to_vec()?)?;
            (cpu, &cpu_bases)
        }
    };

    let mut bases_m = dev.zeros::<u64>(8 * n)?;
    bn254_g1_to_montgomery::launch(dev, Grid::linear(n), bases, &mut bases_m)?;
    let entries = dev.upload(&entries)?;
    let starts = dev.upload(&starts)?;
    let buckets = plan.windows * plan.buckets;
    let mut sums = dev.zeros::<u64>(12 * buckets)?;
    bn254_msm_buckets::launch(
        dev,
        Grid::linear(buckets),
        &bases_m,
        &entries,
        &starts,
        &mut sums,
    )?;
    // At most 256 segments a window: `bn254_msm_windows` takes three additions a segment in
    // one invocation, and llvmpipe's loop limit ends such a loop past about 355 segments.
    let seg_len = plan.buckets.min(SEGMENT.max(plan.buckets / 256));
    let segs = buckets / seg_len;
    let mut parts = dev.zeros::<u64>(24 * segs)?;
    bn254_msm_segments::launch(dev, Grid::linear(segs), &sums, &mut parts, seg_len as u32)?;
    let mut windows = dev.zeros::<u64>(12 * plan.windows)?;
    bn254_msm_windows::launch(
        dev,
        Grid::linear(plan.windows),
        &parts,
        &mut windows,
        (segs / plan.windows) as u32,
        seg_len.trailing_zeros(),
    )?;
    let mut out = dev.zeros::<u64>(9)?;
    bn254_msm_finish::launch(dev, Grid::linear(1), &windows, c, &mut out)?;
    let out = out.to_vec()?;
    Ok(G1Affine {
        x: [out[0], out[1], out[2], out[3]],
        y: [out[4], out[5], out[6], out[7]],
        infinity: out[8] == 1,
    })
}

/// Buckets a segment (`bn254_msm_segments`), at least: 32 keeps a window's segments
/// (`2^(c-1) / 32`) few for the serial window sums and many for the device.
const SEGMENT: usize = 32;

/// The most points one bucket's invocation adds correctly on llvmpipe: 1,150 measured on
/// Mesa 22.3 (each mixed addition takes about 56 trips of the kernel's loops, of the 65,535
/// llvmpipe runs an invocation), less 5%.
const LLVMPIPE_MAX_BUCKET: usize = 1_090;

/// The window width for `n` points: `log2 n - 3`, from 4 to 16 bits. Pippenger's cost is
/// about `windows (n + 2 buckets)` additions with `windows = ceil(255 / c)` and
/// `buckets = 2^(c-1)`; this `c` minimises it at 2^10..2^20 points within a few percent
/// (arkworks takes `ln n + 2` with unsigned buckets of twice the count).
fn window_bits(n: usize) -> u32 {
    let log = usize::BITS - (n - 1).leading_zeros();
    log.saturating_sub(3).clamp(4, 16)
}

/// A window split: `windows` windows of `c` bits (`c windows >= 255`, so that a 254-bit
/// scalar's top signed digit needs no carry out), `buckets = 2^(c-1)` buckets each.
struct Plan {
    c: u32,
    windows: usize,
    buckets: usize,
}

impl Plan {
    fn new(c: u32) -> Self {
        Plan {
            c,
            windows: 255usize.div_ceil(c as usize),
            buckets: 1 << (c - 1),
        }
    }

    /// The signed digits of one scalar (reduced mod r), a window each, least significant
    /// first: `sum_w d_w 2^(c w)` is the scalar, each `d_w` in `[-2^(c-1), 2^(c-1)]`.
    fn digits(&self, s: &[u64], out: &mut [i32]) {
        let mut s = [s[0], s[1], s[2], s[3]];
        while !below(&s, &R) {
            sub_assign(&mut s, &R);
        }
        let half = 1i64 << (self.c - 1);
        let mut carry = 0i64;
        for (w, d) in out.iter_mut().enumerate() {
            let v = bits(&s, w as u32 * self.c, self.c) as i64 + carry;
            if v > half {
                *d = (v - 2 * half) as i32;
                carry = 1;
            } else {
                *d = v as i32;
                carry = 0;
            }
        }
        debug_assert_eq!(carry, 0);
    }

    /// The bucket entries, point index with bit 31 for a negative digit, sorted by (window,
    /// bucket), and each bucket's start in them (`windows * buckets + 1` offsets).
    fn buckets(&self, scalars: &[u64]) -> (Vec<u32>, Vec<u32>) {
        let n = scalars.len() / 4;
        let nw = self.windows;
        let mut digits = vec![0i32; n * nw];
        digits
            .par_chunks_mut(nw * 1024)
            .zip(scalars.par_chunks(4 * 1024))
            .for_each(|(d, s)| {
                for (d, s) in d.chunks_mut(nw).zip(s.chunks(4)) {
                    self.digits(s, d);
                }
            });
        // A counting sort per window, the windows in parallel.
        let per_window: Vec<(Vec<u32>, Vec<u32>)> = (0..nw)
            .into_par_iter()
            .map(|w| {
                let mut counts = vec![0u32; self.buckets + 1];
                for i in 0..n {
                    let d = digits[i * nw + w];
                    if d != 0 {
                        counts[d.unsigned_abs() as usize] += 1;
                    }
                }
                // counts[b + 1] is bucket b's; turn them into starts.
                let mut start = 0;
                for c in counts.iter_mut() {
                    let k = *c;
                    *c = start;
                    start += k;
                }
                let mut list = vec![0u32; start as usize];
                let mut next = counts.clone();
                for i in 0..n {
                    let d = digits[i * nw + w];
                    if d != 0 {
                        let slot = &mut next[d.unsigned_abs() as usize];
                        list[*slot as usize] = i as u32 | if d < 0 { 1 << 31 } else { 0 };
                        *slot += 1;
                    }
                }
                // Bucket b starts where digit b + 1's entries do.
                counts.remove(0);
                (counts, list)
            })
            .collect();
        let mut entries = Vec::with_capacity(per_window.iter().map(|p| p.1.len()).sum());
        let mut starts = Vec::with_capacity(nw * self.buckets + 1);
        for (counts, list) in per_window {
            let base = entries.len() as u32;
            starts.extend(counts.iter().map(|&s| base + s));
            entries.extend(list);
        }
        starts.push(entries.len() as u32);
        (entries, starts)
    }
}

/// Bits `at..at + len` of the 256-bit `s` (zero past bit 255), `len <= 32`.
fn bits(s: &[u64; 4], at: u32, len: u32) -> u32 {
    let limb = (at / 64) as usize;
    if limb >= 4 {
        return 0;
    }
    let shift = at % 64;
    let mut v = s[limb] >> shift;
    if shift + len > 64 && limb + 1 < 4 {
        v |= s[limb + 1] << (64 - shift);
    }
    (v & ((1u64 << len) - 1)) as u32
}

fn below(a: &[u64; 4], b: &[u64; 4]) -> bool {
    for i in (0..4).rev() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

fn sub_assign(a: &mut [u64; 4], b: &[u64; 4]) {
    let mut borrow = false;
    for i in 0..4 {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(borrow as u64);
        a[i] = d;
        borrow = b1 || b2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_digits_recompose_the_scalar() {
        for c in [4, 7, 13, 15, 16] {
            let plan = Plan::new(c);
            for s in [[0u64; 4], [u64::MAX; 4], R, [1, 2, 3, 4]] {
                let mut d = vec![0i32; plan.windows];
                plan.digits(&s, &mut d);
                let mut want = s;
                while !below(&want, &R) {
                    sub_assign(&mut want, &R);
                }
                // Horner's rule over i128 words would overflow: recompose in 4 limbs.
                let mut acc = [0u64; 4];
                for &dw in d.iter().rev() {
                    assert!(dw.unsigned_abs() <= 1 << (c - 1), "c {c}: digit {dw}");
                    shl_add(&mut acc, c, dw as i64);
                }
                assert_eq!(acc, want, "c {c}");
            }
        }
    }

    /// `acc = acc 2^c + d` over 256 bits, wrapping.
    fn shl_add(acc: &mut [u64; 4], c: u32, d: i64) {
        for _ in 0..c {
            let mut carry = 0;
            for l in acc.iter_mut() {
                let top = *l >> 63;
                *l = (*l << 1) | carry;
                carry = top;
            }
        }
        let add = if d < 0 { u64::MAX } else { 0 };
        let mut limbs = [d as u64, add, add, add];
        let mut carry = false;
        for i in 0..4 {
            let (s, c1) = acc[i].overflowing_add(limbs[i]);
            let (s, c2) = s.overflowing_add(carry as u64);
            limbs[i] = s;
            carry = c1 || c2;
        }
        *acc = limbs;
    }

    #[test]
    fn window_bits_by_size() {
        assert_eq!(window_bits(1), 4);
        assert_eq!(window_bits(1000), 7);
        assert_eq!(window_bits(1 << 16), 13);
        assert_eq!(window_bits(1 << 18), 15);
        assert_eq!(window_bits(1 << 30), 16);
    }
}
