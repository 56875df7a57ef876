//! Arithmetic in BN254's scalar field Fr, r = 0x30644e72e131a029b85045b68181585d2833e84879b97091
//! 43e1f593f0000001 (the order of the curve's G1, ~2^253.6), bit-identical on every backend.
//! An element is four little-endian `u64` limbs, at indices `4e..4e + 4` of a slice. Every
//! input stands for its residue mod r (any 256-bit value: at most three conditional
//! subtractions of 4r, 2r and r reduce it, as 2^256 < 8r), and every output is canonical.
//! Products use Montgomery multiplication with R = 2^256 in the CIOS form (Koç, Acar and
//! Kaliski, "Analyzing and comparing Montgomery multiplication algorithms", 1996), as
//! arkworks' `ark-ff` and gnark do; a canonical product `a b` is the 512-bit product's high
//! half times 2^256 (`mont(hi, R^2)`, `mont_mul_rows`) plus its low half.
//! The limb helpers here (`limbs_mac`, `mod_sub`, ...) take the modulus as arguments, and Fq's
//! kernels use them too. `kernelforge::zk::bn254` launches these kernels.

use kernelforge::prelude::*;

/// `x = x - m` where `x >= m` (`x` four limbs, `m` given by its limbs): the constant-time
/// conditional subtraction that reduces a value below `2m` to below `m`.
#[kernel_fn]
pub fn limbs_sub_if_ge(x: &mut [u64; 4], m0: u64, m1: u64, m2: u64, m3: u64) {
    let (d0, b0) = x[0].overflowing_sub(m0);
    let (d1, b1) = x[1].borrowing_sub(m1, b0);
    let (d2, b2) = x[2].borrowing_sub(m2, b1);
    let (d3, b3) = x[3].borrowing_sub(m3, b2);
    if !b3 {
        x[0] = d0;
        x[1] = d1;
        x[2] = d2;
        x[3] = d3;
    }
}

/// `x = x - r` where `x >= r`: `x` below 2r made canonical.
#[kernel_fn]
pub fn fr_sub_r(x: &mut [u64; 4]) {
    limbs_sub_if_ge(
        x,
        0x43e1_f593_f000_0001u64,
        0x2833_e848_79b9_7091u64,
        0xb850_45b6_8181_585du64,
        0x3064_4e72_e131_a029u64,
    );
}

/// `x` mod r for any 256-bit `x`: conditional subtractions of 4r, 2r and r.
#[kernel_fn]
pub fn fr_reduce(x: &mut [u64; 4]) {
    limbs_sub_if_ge(
        x,
        0x0f87_d64f_c000_0004u64,
        0xa0cf_a121_e6e5_c245u64,
        0xe141_16da_0605_6174u64,
        0xc191_39cb_84c6_80a6u64,
    );
    limbs_sub_if_ge(
        x,
        0x87c3_eb27_e000_0002u64,
        0x5067_d090_f372_e122u64,
        0x70a0_8b6d_0302_b0bau64,
        0x60c8_9ce5_c263_4053u64,
    );
    fr_sub_r(x);
}

/// `t += (a0 + a1 2^64 + a2 2^128 + a3 2^192) * b` over the six limbs of `t` (CIOS's inner
/// loop), limb by limb with a 64-bit carry: `t[j] + a_j b + k` fits 128 bits, so its high
/// word, the next `k`, takes the two carries of the low word's additions without overflow.
/// (Two carry chains, one for the products' low halves and one for their high halves, ran
/// 1.7x slower on the CPU: LLVM no longer formed `adc` chains of them.)
#[kernel_fn]
#[allow(clippy::too_many_arguments)]
pub fn limbs_mac(t: &mut [u64; 6], a0: u64, a1: u64, a2: u64, a3: u64, b: u64) {
    let (l0, h0) = a0.widening_mul(b);
    let (s0, c0) = t[0].overflowing_add(l0);
    t[0] = s0;
    let k0 = h0 + c0 as u64;
    let (l1, h1) = a1.widening_mul(b);
    let (u1, c1) = t[1].overflowing_add(l1);
    let (s1, d1) = u1.overflowing_add(k0);
    t[1] = s1;
    let k1 = h1 + c1 as u64 + d1 as u64;
    let (l2, h2) = a2.widening_mul(b);
    let (u2, c2) = t[2].overflowing_add(l2);
    let (s2, d2) = u2.overflowing_add(k1);
    t[2] = s2;
    let k2 = h2 + c2 as u64 + d2 as u64;
    let (l3, h3) = a3.widening_mul(b);
    let (u3, c3) = t[3].overflowing_add(l3);
    let (s3, d3) = u3.overflowing_add(k2);
    t[3] = s3;
    let k3 = h3 + c3 as u64 + d3 as u64;
    let (s4, c4) = t[4].overflowing_add(k3);
    t[4] = s4;
    t[5] = t[5] + c4 as u64;
}

/// `t = t / 2^64`: the running sum's shift by one limb after each row of a product.
#[kernel_fn]
pub fn limbs_shift(t: &mut [u64; 6]) {
    t[0] = t[1];
    t[1] = t[2];
    t[2] = t[3];
    t[3] = t[4];
    t[4] = t[5];
    t[5] = 0u64;
}

/// `t[o..o + 6] += (a0 + a1 2^64 + a2 2^128 + a3 2^192) * b`: one row of a product, added at
/// limb offset `o` (0..=3) of a nine-limb running sum, limb by limb with a 64-bit carry:
/// `t[o + j] + a_j b + k` fits 128 bits, so its high word, the next `k`, takes the two carries
/// of the low word's additions without overflow. Callers pass `o` as a literal in code written
/// out row by row, so every index is a constant and the sum stays in registers: a loop over
/// rows with a one-limb shift after each (`limbs_mac`, `limbs_shift`) kept the sum in memory
/// on the CPU (2x slower), but is a quarter of the code, which the MSM's kernels need.
/// (Two carry chains, one for the products' low halves and one for their high halves, ran
/// 1.7x slower on the CPU: LLVM no longer formed `adc` chains of them.)
#[kernel_fn]
#[allow(clippy::too_many_arguments)]
pub fn limbs_mac_at(t: &mut [u64; 9], o: u32, a0: u64, a1: u64, a2: u64, a3: u64, b: u64) {
    let (l0, h0) = a0.widening_mul(b);
    let (s0, c0) = t[o].overflowing_add(l0);
    t[o] = s0;
    let k0 = h0 + c0 as u64;
    let (l1, h1) = a1.widening_mul(b);
    let (u1, c1) = t[o + 1].overflowing_add(l1);
    let (s1, d1) = u1.overflowing_add(k0);
    t[o + 1] = s1;
    let k1 = h1 + c1 as u64 + d1 as u64;
    let (l2, h2) = a2.widening_mul(b);
    let (u2, c2) = t[o + 2].overflowing_add(l2);
    let (s2, d2) = u2.overflowing_add(k1);
    t[o + 2] = s2;
    let k2 = h2 + c2 as u64 + d2 as u64;
    let (l3, h3) = a3.widening_mul(b);
    let (u3, c3) = t[o + 3].overflowing_add(l3);
    let (s3, d3) = u3.overflowing_add(k2);
    t[o + 3] = s3;
    let k3 = h3 + c3 as u64 + d3 as u64;
    let (s4, c4) = t[o + 4].overflowing_add(k3);
    t[o + 4] = s4;
    t[o + 5] = t[o + 5] + c4 as u64;
}

/// `o = a + b`, not reduced, for `a`, `b` below a modulus `m < 2^254` (no carry out of 256
/// bits): below `2m`, which `mont_mul` takes as a factor. For a sum that is only a factor of a
/// product; `mod_add` reduces it.
#[kernel_fn]
pub fn limbs_add(o: &mut [u64; 4], a: &[u64; 4], b: &[u64; 4]) {
    let (s0, c0) = a[0].overflowing_add(b[0]);
    let (s1, c1) = a[1].carrying_add(b[1], c0);
    let (s2, c2) = a[2].carrying_add(b[2], c1);
    let (s3, _) = a[3].carrying_add(b[3], c2);
    o[0] = s0;
    o[1] = s1;
    o[2] = s2;
    o[3] = s3;
}

/// `o = a + b mod m` for `a`, `b` below `m < 2^254` given by its limbs.
#[kernel_fn]
pub fn mod_add(o: &mut [u64; 4], a: &[u64; 4], b: &[u64; 4], m0: u64, m1: u64, m2: u64, m3: u64) {
    limbs_add(o, a, b);
    limbs_sub_if_ge(o, m0, m1, m2, m3);
}

/// `o = a - b mod m` for `a`, `b` below `m` given by its limbs: the difference, plus `m` where
/// it borrowed (the sum's carry out then cancels the borrow).
#[kernel_fn]
pub fn mod_sub(o: &mut [u64; 4], a: &[u64; 4], b: &[u64; 4], m0: u64, m1: u64, m2: u64, m3: u64) {
    let (d0, b0) = a[0].overflowing_sub(b[0]);
    let (d1, b1) = a[1].borrowing_sub(b[1], b0);
    let (d2, b2) = a[2].borrowing_sub(b[2], b1);
    let (d3, b3) = a[3].borrowing_sub(b[3], b2);
    let k = 0u64.wrapping_sub(b3 as u64);
    let (s0, c0) = d0.overflowing_add(m0 & k);
    let (s1, c1) = d1.carrying_add(m1 & k, c0);
    let (s2, c2) = d2.carrying_add(m2 & k, c1);
    let (s3, _) = d3.carrying_add(m3 & k, c2);
    o[0] = s0;
    o[1] = s1;
    o[2] = s2;
    o[3] = s3;
}

/// `dst = src`, limb by limb (the kernel language copies arrays by their elements).
#[kernel_fn]
pub fn limbs_copy(dst: &mut [u64; 4], src: &[u64; 4]) {
    dst[0] = src[0];
    dst[1] = src[1];
    dst[2] = src[2];
    dst[3] = src[3];
}

/// Element `e` of `s` (limbs `4e..4e + 4`), as it is, into `x`.
#[kernel_fn]
pub fn limbs_load(x: &mut [u64; 4], s: &[u64], e: u32) {
    x[0] = s[4 * e];
    x[1] = s[4 * e + 1];
    x[2] = s[4 * e + 2];
    x[3] = s[4 * e + 3];
}

/// `x` into element `e` of `s` (limbs `4e..4e + 4`).
#[kernel_fn]
pub fn limbs_store(x: &[u64; 4], s: &mut [u64], e: u32) {
    s[4 * e] = x[0];
    s[4 * e + 1] = x[1];
    s[4 * e + 2] = x[2];
    s[4 * e + 3] = x[3];
}

/// Element `e` of `s`, reduced mod r, into `x`.
#[kernel_fn]
pub fn fr_load(x: &mut [u64; 4], s: &[u64], e: u32) {
    limbs_load(x, s, e);
    // A top limb below r's is a canonical value already: the API's inputs skip the reduction.
    if x[3] >= 0x3064_4e72_e131_a029u64 {
        fr_reduce(x);
    }
}

/// `o = a b / 2^256 mod m`: kernels-src/bn254_g1.rs's `mont_mul` (CIOS, the same bounds) with
/// its four rows written out at limb offsets of a nine-limb sum (`limbs_mac_at`): row `i` adds
/// `a b[i] 2^(64 i)`, then `k m 2^(64 i)` with `k = t[i] minv`, which zeroes `t[i]`; the result
/// is limbs 4..8. Every index a constant, the sum stays in registers.
#[kernel_fn]
#[allow(clippy::too_many_arguments)]
pub fn mont_mul_rows(
    o: &mut [u64; 4],
    a: &[u64; 4],
    b: &[u64; 4],
    m0: u64,
    m1: u64,
    m2: u64,
    m3: u64,
    minv: u64,
) {
    let mut t = [0u64; 9];
    limbs_mac_at(&mut t, 0, a[0], a[1], a[2], a[3], b[0]);
    let k0 = t[0] * minv;
    limbs_mac_at(&mut t, 0, m0, m1, m2, m3, k0);
    limbs_mac_at(&mut t, 1, a[0], a[1], a[2], a[3], b[1]);
    let k1 = t[1] * minv;
    limbs_mac_at(&mut t, 1, m0, m1, m2, m3, k1);
    limbs_mac_at(&mut t, 2, a[0], a[1], a[2], a[3], b[2]);
    let k2 = t[2] * minv;
    limbs_mac_at(&mut t, 2, m0, m1, m2, m3, k2);
    limbs_mac_at(&mut t, 3, a[0], a[1], a[2], a[3], b[3]);
    let k3 = t[3] * minv;
    limbs_mac_at(&mut t, 3, m0, m1, m2, m3, k3);
    o[0] = t[4];
    o[1] = t[5];
    o[2] = t[6];
    o[3] = t[7];
    limbs_sub_if_ge(o, m0, m1, m2, m3);
}

/// `out[e] = a[e] + b[e]` mod r, element `e` an invocation. Launch `Grid::linear(len / 4)`.
#[compute_kernel(workgroup_size = 256)]
pub fn bn254_fr_add(a: &[u64], b: &[u64], out: &mut [u64]) {
    let e = global_id().x;
    if e < out.len() / 4 {
        let mut x = [0u64; 4];
        let mut y = [0u64; 4];
        fr_load(&mut x, a, e);
        fr_load(&mut y, b, e);
        let mut z = [0u64; 4];
        mod_add(
            &mut z,
            &x,
            &y,
            0x43e1_f593_f000_0001u64,
            0x2833_e848_79b9_7091u64,
            0xb850_45b6_8181_585du64,
            0x3064_4e72_e131_a029u64,
        );
        limbs_store(&z, out, e);
    }
}

/// `out[e] = a[e] - b[e]` mod r. Launch `Grid::linear(len / 4)`.
#[compute_kernel(workgroup_size = 256)]
pub fn bn254_fr_sub(a: &[u64], b: &[u64], out: &mut [u64]) {
    let e = global_id().x;
    if e < out.len() / 4 {
        let mut x = [0u64; 4];
        let mut y = [0u64; 4];
        fr_load(&mut x, a, e);
        fr_load(&mut y, b, e);
        let mut z = [0u64; 4];
        mod_sub(
            &mut z,
            &x,
            &y,
            0x43e1_f593_f000_0001u64,
            0x2833_e848_79b9_7091u64,
            0xb850_45b6_8181_585du64,
            0x3064_4e72_e131_a029u64,
        );
        limbs_store(&z, out, e);
    }
}

/// `out[e] = a[e] * b[e]` mod r. The 512-bit product `hi 2^256 + lo` (16 limb products), then
/// `hi 2^256 mod r` as one Montgomery multiplication, `mont(hi, R^2 mod r)` (`hi < 2^256` and
/// `R^2 mod r < r` keep the product below `r 2^256`, as CIOS needs), plus `lo` reduced: 52
/// limb products where `mont(mont(a, b), R^2)` takes 72. Launch `Grid::linear(len / 4)`.
#[compute_kernel(workgroup_size = 256)]
pub fn bn254_fr_mul(a: &[u64], b: &[u64], out: &mut [u64]) {
    let e = global_id().x;
    if e < out.len() / 4 {
        let mut x = [0u64; 4];
        let mut y = [0u64; 4];
        fr_load(&mut x, a, e);
        fr_load(&mut y, b, e);
        // The 512-bit product: row i at limb offset i, written out so that every index is a
        // constant (`limbs_mac_at`).
        let mut t = [0u64; 9];
        limbs_mac_at(&mut t, 0, x[0], x[1], x[2], x[3], y[0]);
        limbs_mac_at(&mut t, 1, x[0], x[1], x[2], x[3], y[1]);
        limbs_mac_at(&mut t, 2, x[0], x[1], x[2], x[3], y[2]);
        limbs_mac_at(&mut t, 3, x[0], x[1], x[2], x[3], y[3]);
        let mut lo = [0u64; 4];
        lo[0] = t[0];
        lo[1] = t[1];
        lo[2] = t[2];
        lo[3] = t[3];
        x[0] = t[4];
        x[1] = t[5];
        x[2] = t[6];
        x[3] = t[7];
        y[0] = 0x1bb8_e645_ae21_6da7u64;
        y[1] = 0x53fe_3ab1_e35c_59e3u64;
        y[2] = 0x8c49_833d_53bb_8085u64;
        y[3] = 0x0216_d0b1_7f4e_44a5u64;
        let mut h = [0u64; 4];
        mont_mul_rows(
            &mut h,
            &x,
            &y,
            0x43e1_f593_f000_0001u64,
            0x2833_e848_79b9_7091u64,
            0xb850_45b6_8181_585du64,
            0x3064_4e72_e131_a029u64,
            0xc2e1_f593_efff_ffffu64,
        );
        fr_reduce(&mut lo);
        mod_add(
            &mut x,
            &h,
            &lo,
            0x43e1_f593_f000_0001u64,
            0x2833_e848_79b9_7091u64,
            0xb850_45b6_8181_585du64,
            0x3064_4e72_e131_a029u64,
        );
        limbs_store(&x, out, e);
    }
}
