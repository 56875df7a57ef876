//! BN254's Fr multiplication in twenty 13-bit limbs held in `u32`s, for WGSL, which has no
//! 64-bit integers: the representation of the fastest WebGPU MSM of ZPrize 2023 (Tal Derei and
//! Koh Wei Jie), where a limb product fits 26 bits, so a column sums 20 of them in a `u32`
//! without a carry, and each product is one native 32-bit multiplication. Through the emulated
//! `u64` of `kernels-src/bn254.rs` every 64-bit limb product costs sixteen 16-bit ones and its
//! carries a dozen comparisons; on lavapipe this kernel ran 1.6-1.7x faster
//! (docs/benchmarks.md). On the CPU, with native 64-bit products and its loops kept loops, it
//! is 22x slower, so `kernelforge::zk::bn254::fr_mul` launches it on wgpu only. Bit-identical
//! with `bn254_fr_mul` on every backend.
//!
//! The canonical product of `a`, `b` (any 256-bit values, residues mod r): the 512-bit product
//! `T = a b` (400 limb products), carried and split at bit 253 into `hi` (below 2^259) and
//! `lo` (below 2^253, so below r); then `hi 2^253 + lo = REDC(hi C + lo R)` with R = 2^260
//! and `C = 2^253 R mod r` (400 products and a 400-product Montgomery reduction, where
//! `REDC(REDC(a b) R^2)` takes 1,600), which is below `r / 2 + 2^253 + r < 2.5 r`, and two
//! conditional subtractions, of 2r and of r. Every loop is `#[unroll]`: lavapipe keeps a
//! private array that any index variable reaches in memory, and as plain loops the kernel ran
//! 28x slower there than the `u64` one. (The CPU back end keeps the loops.)

use kernelforge::prelude::*;

/// The 256-bit value `l0 + l1 2^64 + l2 2^128 + l3 2^192` as twenty 13-bit limbs: limb `k` is
/// bits `13k..13k + 13`, taken from the value's eight 32-bit words.
#[kernel_fn]
pub fn fr13_split(x: &mut [u32; 20], l0: u64, l1: u64, l2: u64, l3: u64) {
    let mut w = [0u32; 9];
    w[0] = l0 as u32;
    w[1] = (l0 >> 32u32) as u32;
    w[2] = l1 as u32;
    w[3] = (l1 >> 32u32) as u32;
    w[4] = l2 as u32;
    w[5] = (l2 >> 32u32) as u32;
    w[6] = l3 as u32;
    w[7] = (l3 >> 32u32) as u32;
    #[unroll]
    for k in 0..20u32 {
        let q = 13 * k / 32;
        let off = 13 * k % 32;
        let mut v = w[q] >> off;
        // A limb that straddles two words.
        if off > 19 {
            v |= w[q + 1] << (32 - off);
        }
        x[k] = v & 0x1fff;
    }
}

/// Element `e` of `s` (limbs `4e..4e + 4`, any 256-bit value) as twenty 13-bit limbs.
#[kernel_fn]
pub fn fr13_load(x: &mut [u32; 20], s: &[u64], e: u32) {
    fr13_split(x, s[4 * e], s[4 * e + 1], s[4 * e + 2], s[4 * e + 3]);
}

/// `x` (twenty carried limbs, below 2^256) into element `e` of `s`.
#[kernel_fn]
pub fn fr13_store(x: &[u32; 20], s: &mut [u64], e: u32) {
    let mut w = [0u32; 9];
    #[unroll]
    for k in 0..20u32 {
        let q = 13 * k / 32;
        let off = 13 * k % 32;
        w[q] |= x[k] << off;
        if off > 19 {
            w[q + 1] |= x[k] >> (32 - off);
        }
    }
    #[unroll]
    for l in 0..4u32 {
        s[4 * e + l] = (w[2 * l] as u64) | ((w[2 * l + 1] as u64) << 32u32);
    }
}

/// `t += a b` for carried `a`, `b` (limbs below 2^13), as column sums that are not carried:
/// over a zero `t`, column `k` is a sum of at most 20 products below 2^26, below 2^31.
#[kernel_fn]
pub fn fr13_mul(t: &mut [u32; 40], a: &[u32; 20], b: &[u32; 20]) {
    #[unroll]
    for i in 0..20u32 {
        #[unroll]
        for j in 0..20u32 {
            t[i + j] += a[i] * b[j];
        }
    }
}

/// Carries `t`'s columns (each below 2^32 - 2^19) so that every limb is below 2^13: `t`
/// below 2^520, no carry leaves the last.
#[kernel_fn]
pub fn fr13_carry(t: &mut [u32; 40]) {
    let mut c = 0u32;
    #[unroll]
    for k in 0..40u32 {
        c += t[k];
        t[k] = c & 0x1fff;
        c >>= 13;
    }
}

/// `h = t >> 253` for a carried `t` below 2^512: `h` below 2^259 (253 = 13 * 19 + 6).
#[kernel_fn]
pub fn fr13_high(h: &mut [u32; 20], t: &[u32; 40]) {
    #[unroll]
    for k in 0..20u32 {
        h[k] = ((t[19 + k] >> 6) | (t[20 + k] << 7)) & 0x1fff;
    }
}

/// `x += (t mod 2^253) 2^260` for a carried `t`: its low part, at the limbs that REDC
/// divides by R = 2^260, so that the REDC that follows adds it unchanged.
#[kernel_fn]
pub fn fr13_add_low(x: &mut [u32; 40], t: &[u32; 40]) {
    #[unroll]
    for k in 0..19u32 {
        x[20 + k] += t[k];
    }
    x[39] += t[19] & 0x3f;
}

/// `m = r` in 13-bit limbs.
#[kernel_fn]
pub fn fr13_r(m: &mut [u32; 20]) {
    fr13_split(
        m,
        0x43e1_f593_f000_0001u64,
        0x2833_e848_79b9_7091u64,
        0xb850_45b6_8181_585du64,
        0x3064_4e72_e131_a029u64,
    );
}

/// `o = t / 2^260 mod r` (Montgomery's REDC, R = 2^260) for `t < R r`: `o < t / R + r`,
/// carried. Row `i` adds `q r 2^(13 i)` with `q = -t[i] mod 2^13` (r = 1 mod 2^28, so
/// -1/r = -1 mod 2^13), which makes `t[i]` a multiple of 2^13, and moves its carry into
/// `t[i + 1]`. A column takes at most 20 products below 2^26 here besides its own value (below
/// 2^31), so it stays below 2^32.
#[kernel_fn]
pub fn fr13_redc(o: &mut [u32; 20], t: &mut [u32; 40]) {
    let mut m = [0u32; 20];
    fr13_r(&mut m);
    #[unroll]
    for i in 0..20u32 {
        let q = 0u32.wrapping_sub(t[i]) & 0x1fff;
        #[unroll]
        for j in 0..20u32 {
            t[i + j] += q * m[j];
        }
        t[i + 1] += t[i] >> 13;
    }
    let mut c = 0u32;
    #[unroll]
    for k in 0..20u32 {
        c += t[20 + k];
        o[k] = c & 0x1fff;
        c >>= 13;
    }
}

/// `x = x - m` where `x >= m`, both carried.
#[kernel_fn]
pub fn fr13_sub_if_ge(x: &mut [u32; 20], m: &[u32; 20]) {
    let mut d = [0u32; 20];
    let mut borrow = 0u32;
    #[unroll]
    for k in 0..20u32 {
        let v = x[k].wrapping_sub(m[k]).wrapping_sub(borrow);
        d[k] = v & 0x1fff;
        borrow = v >> 31;
    }
    if borrow == 0 {
        #[unroll]
        for k in 0..20u32 {
            x[k] = d[k];
        }
    }
}

/// `out[e] = a[e] * b[e]` mod r, as `bn254_fr_mul`, in 13-bit limbs (module doc). Launch
/// `Grid::linear(len / 4)`.
#[compute_kernel(workgroup_size = 256)]
pub fn bn254_fr_mul_u32(a: &[u64], b: &[u64], out: &mut [u64]) {
    let e = global_id().x;
    if e < out.len() / 4 {
        let mut x = [0u32; 20];
        let mut y = [0u32; 20];
        fr13_load(&mut x, a, e);
        fr13_load(&mut y, b, e);
        let mut t = [0u32; 40];
        fr13_mul(&mut t, &x, &y);
        fr13_carry(&mut t);
        // hi C + lo R, then its REDC: below 2.5 r. C = 2^253 R mod r = 2^513 mod r.
        fr13_high(&mut x, &t);
        fr13_split(
            &mut y,
            0x3771_cc8b_5c42_db4eu64,
            0xa7fc_7563_c6b8_b3c6u64,
            0x1893_067a_a777_010au64,
            0x042d_a162_fe9c_894bu64,
        );
        let mut u = [0u32; 40];
        fr13_mul(&mut u, &x, &y);
        fr13_add_low(&mut u, &t);
        fr13_redc(&mut x, &mut u);
        // 2r, then r.
        fr13_split(
            &mut y,
            0x87c3_eb27_e000_0002u64,
            0x5067_d090_f372_e122u64,
            0x70a0_8b6d_0302_b0bau64,
            0x60c8_9ce5_c263_4053u64,
        );
        fr13_sub_if_ge(&mut x, &y);
        fr13_r(&mut y);
        fr13_sub_if_ge(&mut x, &y);
        fr13_store(&x, out, e);
    }
}
