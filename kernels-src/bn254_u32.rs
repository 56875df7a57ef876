//! BN254's Fr multiplication in twenty 13-bit limbs held in `u32`s, for WGSL, which has no
//! 64-bit integers: the representation of the fastest WebGPU MSM of ZPrize 2023 (Tal Derei and
//! Koh Wei Jie), where a limb product fits 26 bits, so a column sums 20 of them in a `u32`
//! without a carry, and each product is one native 32-bit multiplication. Through the emulated
//! `u64` of `kernels-src/bn254.rs` every 64-bit limb product costs sixteen 16-bit ones and its
//! carries a dozen comparisons; on lavapipe this kernel ran 1.67x faster (docs/benchmarks.md).
//! On the CPU, with native 64-bit products, it is slower, so `kernelforge::zk::bn254::fr_mul`
//! launches it on wgpu only. Bit-identical with `bn254_fr_mul` on every backend.
//!
//! The canonical product of `a`, `b` (any 256-bit values, residues mod r): the 512-bit product
//! `T = a b` (400 limb products), carried and split at bit 253 into `hi` (below 2^259) and
//! `lo` (below 2^253, so below r); then `hi 2^253 + lo = REDC(hi C + lo R)` with R = 2^260
//! and `C = 2^253 R mod r` (400 products and a 400-product Montgomery reduction, where
//! `REDC(REDC(a b) R^2)` takes 1,600), which is below `r / 2 + 2^253 + r < 2.5 r`, and two
//! conditional subtractions, of 2r and of r. Every loop is written out (by a script, row by
//! row): lavapipe keeps a private array that any index variable reaches in memory, and a first
//! version with loops over rows ran 28x slower there than the u64 kernel.

use kernelforge::prelude::*;

/// Element `e` of `s` (limbs `4e..4e + 4`, any 256-bit value) as twenty 13-bit limbs: limb
/// `k` is bits `13k..13k + 13`, through the value's eight 32-bit words.
#[kernel_fn]
pub fn fr13_load(x: &mut [u32; 20], s: &[u64], e: u32) {
    let mut w = [0u32; 9];
    let v0 = s[4 * e];
    w[0] = v0 as u32;
    w[1] = (v0 >> 32u32) as u32;
    let v1 = s[4 * e + 1];
    w[2] = v1 as u32;
    w[3] = (v1 >> 32u32) as u32;
    let v2 = s[4 * e + 2];
    w[4] = v2 as u32;
    w[5] = (v2 >> 32u32) as u32;
    let v3 = s[4 * e + 3];
    w[6] = v3 as u32;
    w[7] = (v3 >> 32u32) as u32;
    x[0] = w[0] & 0x1fffu32;
    x[1] = (w[0] >> 13u32) & 0x1fffu32;
    x[2] = ((w[0] >> 26u32) | (w[1] << 6u32)) & 0x1fffu32;
    x[3] = (w[1] >> 7u32) & 0x1fffu32;
    x[4] = ((w[1] >> 20u32) | (w[2] << 12u32)) & 0x1fffu32;
    x[5] = (w[2] >> 1u32) & 0x1fffu32;
    x[6] = (w[2] >> 14u32) & 0x1fffu32;
    x[7] = ((w[2] >> 27u32) | (w[3] << 5u32)) & 0x1fffu32;
    x[8] = (w[3] >> 8u32) & 0x1fffu32;
    x[9] = ((w[3] >> 21u32) | (w[4] << 11u32)) & 0x1fffu32;
    x[10] = (w[4] >> 2u32) & 0x1fffu32;
    x[11] = (w[4] >> 15u32) & 0x1fffu32;
    x[12] = ((w[4] >> 28u32) | (w[5] << 4u32)) & 0x1fffu32;
    x[13] = (w[5] >> 9u32) & 0x1fffu32;
    x[14] = ((w[5] >> 22u32) | (w[6] << 10u32)) & 0x1fffu32;
    x[15] = (w[6] >> 3u32) & 0x1fffu32;
    x[16] = (w[6] >> 16u32) & 0x1fffu32;
    x[17] = ((w[6] >> 29u32) | (w[7] << 3u32)) & 0x1fffu32;
    x[18] = (w[7] >> 10u32) & 0x1fffu32;
    x[19] = ((w[7] >> 23u32) | (w[8] << 9u32)) & 0x1fffu32;
}

/// `x` (twenty carried limbs, below 2^256) into element `e` of `s`.
#[kernel_fn]
pub fn fr13_store(x: &[u32; 20], s: &mut [u64], e: u32) {
    let mut w = [0u32; 9];
    w[0] = w[0] | x[0];
    w[0] = w[0] | (x[1] << 13u32);
    w[0] = w[0] | (x[2] << 26u32);
    w[1] = w[1] | (x[2] >> 6u32);
    w[1] = w[1] | (x[3] << 7u32);
    w[1] = w[1] | (x[4] << 20u32);
    w[2] = w[2] | (x[4] >> 12u32);
    w[2] = w[2] | (x[5] << 1u32);
    w[2] = w[2] | (x[6] << 14u32);
    w[2] = w[2] | (x[7] << 27u32);
    w[3] = w[3] | (x[7] >> 5u32);
    w[3] = w[3] | (x[8] << 8u32);
    w[3] = w[3] | (x[9] << 21u32);
    w[4] = w[4] | (x[9] >> 11u32);
    w[4] = w[4] | (x[10] << 2u32);
    w[4] = w[4] | (x[11] << 15u32);
    w[4] = w[4] | (x[12] << 28u32);
    w[5] = w[5] | (x[12] >> 4u32);
    w[5] = w[5] | (x[13] << 9u32);
    w[5] = w[5] | (x[14] << 22u32);
    w[6] = w[6] | (x[14] >> 10u32);
    w[6] = w[6] | (x[15] << 3u32);
    w[6] = w[6] | (x[16] << 16u32);
    w[6] = w[6] | (x[17] << 29u32);
    w[7] = w[7] | (x[17] >> 3u32);
    w[7] = w[7] | (x[18] << 10u32);
    w[7] = w[7] | (x[19] << 23u32);
    w[8] = w[8] | (x[19] >> 9u32);
    s[4 * e] = (w[0] as u64) | ((w[1] as u64) << 32u32);
    s[4 * e + 1] = (w[2] as u64) | ((w[3] as u64) << 32u32);
    s[4 * e + 2] = (w[4] as u64) | ((w[5] as u64) << 32u32);
    s[4 * e + 3] = (w[6] as u64) | ((w[7] as u64) << 32u32);
}

/// `t[o..o + 20] += a b`: one row of a product, as column sums that are not carried.
#[kernel_fn]
pub fn fr13_row(t: &mut [u32; 40], o: u32, a: &[u32; 20], b: u32) {
    t[o] = t[o] + a[0] * b;
    t[o + 1] = t[o + 1] + a[1] * b;
    t[o + 2] = t[o + 2] + a[2] * b;
    t[o + 3] = t[o + 3] + a[3] * b;
    t[o + 4] = t[o + 4] + a[4] * b;
    t[o + 5] = t[o + 5] + a[5] * b;
    t[o + 6] = t[o + 6] + a[6] * b;
    t[o + 7] = t[o + 7] + a[7] * b;
    t[o + 8] = t[o + 8] + a[8] * b;
    t[o + 9] = t[o + 9] + a[9] * b;
    t[o + 10] = t[o + 10] + a[10] * b;
    t[o + 11] = t[o + 11] + a[11] * b;
    t[o + 12] = t[o + 12] + a[12] * b;
    t[o + 13] = t[o + 13] + a[13] * b;
    t[o + 14] = t[o + 14] + a[14] * b;
    t[o + 15] = t[o + 15] + a[15] * b;
    t[o + 16] = t[o + 16] + a[16] * b;
    t[o + 17] = t[o + 17] + a[17] * b;
    t[o + 18] = t[o + 18] + a[18] * b;
    t[o + 19] = t[o + 19] + a[19] * b;
}

/// `t += a b` for carried `a`, `b` (limbs below 2^13), column by column: over a zero `t`,
/// column `k` is a sum of at most 20 products below 2^26, below 2^31.
#[kernel_fn]
pub fn fr13_mul(t: &mut [u32; 40], a: &[u32; 20], b: &[u32; 20]) {
    fr13_row(t, 0, a, b[0]);
    fr13_row(t, 1, a, b[1]);
    fr13_row(t, 2, a, b[2]);
    fr13_row(t, 3, a, b[3]);
    fr13_row(t, 4, a, b[4]);
    fr13_row(t, 5, a, b[5]);
    fr13_row(t, 6, a, b[6]);
    fr13_row(t, 7, a, b[7]);
    fr13_row(t, 8, a, b[8]);
    fr13_row(t, 9, a, b[9]);
    fr13_row(t, 10, a, b[10]);
    fr13_row(t, 11, a, b[11]);
    fr13_row(t, 12, a, b[12]);
    fr13_row(t, 13, a, b[13]);
    fr13_row(t, 14, a, b[14]);
    fr13_row(t, 15, a, b[15]);
    fr13_row(t, 16, a, b[16]);
    fr13_row(t, 17, a, b[17]);
    fr13_row(t, 18, a, b[18]);
    fr13_row(t, 19, a, b[19]);
}

/// Carries `t`'s columns (each below 2^32 - 2^19) so that every limb is below 2^13: `t`
/// below 2^520, no carry leaves the last.
#[kernel_fn]
pub fn fr13_carry(t: &mut [u32; 40]) {
    let mut c = 0u32;
    c = c + t[0];
    t[0] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[1];
    t[1] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[2];
    t[2] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[3];
    t[3] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[4];
    t[4] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[5];
    t[5] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[6];
    t[6] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[7];
    t[7] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[8];
    t[8] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[9];
    t[9] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[10];
    t[10] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[11];
    t[11] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[12];
    t[12] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[13];
    t[13] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[14];
    t[14] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[15];
    t[15] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[16];
    t[16] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[17];
    t[17] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[18];
    t[18] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[19];
    t[19] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[20];
    t[20] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[21];
    t[21] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[22];
    t[22] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[23];
    t[23] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[24];
    t[24] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[25];
    t[25] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[26];
    t[26] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[27];
    t[27] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[28];
    t[28] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[29];
    t[29] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[30];
    t[30] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[31];
    t[31] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[32];
    t[32] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[33];
    t[33] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[34];
    t[34] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[35];
    t[35] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[36];
    t[36] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[37];
    t[37] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[38];
    t[38] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[39];
    t[39] = c & 0x1fffu32;
    c = c >> 13u32;
}

/// `h = t >> 253` for a carried `t` below 2^512: `h` below 2^259 (253 = 13 * 19 + 6).
#[kernel_fn]
pub fn fr13_high(h: &mut [u32; 20], t: &[u32; 40]) {
    h[0] = ((t[19] >> 6u32) | (t[20] << 7u32)) & 0x1fffu32;
    h[1] = ((t[20] >> 6u32) | (t[21] << 7u32)) & 0x1fffu32;
    h[2] = ((t[21] >> 6u32) | (t[22] << 7u32)) & 0x1fffu32;
    h[3] = ((t[22] >> 6u32) | (t[23] << 7u32)) & 0x1fffu32;
    h[4] = ((t[23] >> 6u32) | (t[24] << 7u32)) & 0x1fffu32;
    h[5] = ((t[24] >> 6u32) | (t[25] << 7u32)) & 0x1fffu32;
    h[6] = ((t[25] >> 6u32) | (t[26] << 7u32)) & 0x1fffu32;
    h[7] = ((t[26] >> 6u32) | (t[27] << 7u32)) & 0x1fffu32;
    h[8] = ((t[27] >> 6u32) | (t[28] << 7u32)) & 0x1fffu32;
    h[9] = ((t[28] >> 6u32) | (t[29] << 7u32)) & 0x1fffu32;
    h[10] = ((t[29] >> 6u32) | (t[30] << 7u32)) & 0x1fffu32;
    h[11] = ((t[30] >> 6u32) | (t[31] << 7u32)) & 0x1fffu32;
    h[12] = ((t[31] >> 6u32) | (t[32] << 7u32)) & 0x1fffu32;
    h[13] = ((t[32] >> 6u32) | (t[33] << 7u32)) & 0x1fffu32;
    h[14] = ((t[33] >> 6u32) | (t[34] << 7u32)) & 0x1fffu32;
    h[15] = ((t[34] >> 6u32) | (t[35] << 7u32)) & 0x1fffu32;
    h[16] = ((t[35] >> 6u32) | (t[36] << 7u32)) & 0x1fffu32;
    h[17] = ((t[36] >> 6u32) | (t[37] << 7u32)) & 0x1fffu32;
    h[18] = ((t[37] >> 6u32) | (t[38] << 7u32)) & 0x1fffu32;
    h[19] = ((t[38] >> 6u32) | (t[39] << 7u32)) & 0x1fffu32;
}

/// `x += (t mod 2^253) 2^260` for a carried `t`: its low part, at the limbs that REDC
/// divides by R = 2^260, so that the REDC that follows adds it unchanged.
#[kernel_fn]
pub fn fr13_add_low(x: &mut [u32; 40], t: &[u32; 40]) {
    x[20] = x[20] + t[0];
    x[21] = x[21] + t[1];
    x[22] = x[22] + t[2];
    x[23] = x[23] + t[3];
    x[24] = x[24] + t[4];
    x[25] = x[25] + t[5];
    x[26] = x[26] + t[6];
    x[27] = x[27] + t[7];
    x[28] = x[28] + t[8];
    x[29] = x[29] + t[9];
    x[30] = x[30] + t[10];
    x[31] = x[31] + t[11];
    x[32] = x[32] + t[12];
    x[33] = x[33] + t[13];
    x[34] = x[34] + t[14];
    x[35] = x[35] + t[15];
    x[36] = x[36] + t[16];
    x[37] = x[37] + t[17];
    x[38] = x[38] + t[18];
    x[39] = x[39] + (t[19] & 0x3fu32);
}

/// Row `o` of Montgomery reduction by r: `t += q r 2^(13 o)` with `q = -t[o] mod 2^13` (r = 1
/// mod 2^28, so -1/r = -1 mod 2^13 and r's limb 1 is zero), which makes `t[o]` a multiple of
/// 2^13; its carry then moves into `t[o + 1]`. A column takes at most 20 products below 2^26
/// here besides its own value, so it stays below 2^32.
#[kernel_fn]
pub fn fr13_redc_row(t: &mut [u32; 40], o: u32) {
    let q = 0u32.wrapping_sub(t[o]) & 0x1fffu32;
    t[o] = t[o] + q * 1u32;
    t[o + 2] = t[o + 2] + q * 1276u32;
    t[o + 3] = t[o + 3] + q * 1003u32;
    t[o + 4] = t[o + 4] + q * 5182u32;
    t[o + 5] = t[o + 5] + q * 6216u32;
    t[o + 6] = t[o + 6] + q * 1765u32;
    t[o + 7] = t[o + 7] + q * 2319u32;
    t[o + 8] = t[o + 8] + q * 5096u32;
    t[o + 9] = t[o + 9] + q * 2369u32;
    t[o + 10] = t[o + 10] + q * 5655u32;
    t[o + 11] = t[o + 11] + q * 770u32;
    t[o + 12] = t[o + 12] + q * 7016u32;
    t[o + 13] = t[o + 13] + q * 2082u32;
    t[o + 14] = t[o + 14] + q * 1761u32;
    t[o + 15] = t[o + 15] + q * 5125u32;
    t[o + 16] = t[o + 16] + q * 305u32;
    t[o + 17] = t[o + 17] + q * 5015u32;
    t[o + 18] = t[o + 18] + q * 6419u32;
    t[o + 19] = t[o + 19] + q * 96u32;
    t[o + 1] = t[o + 1] + (t[o] >> 13u32);
}

/// `o = t / 2^260 mod r` (Montgomery's REDC, R = 2^260) for `t < R r`: `o < t / R + r`, carried.
#[kernel_fn]
pub fn fr13_redc(o: &mut [u32; 20], t: &mut [u32; 40]) {
    fr13_redc_row(t, 0);
    fr13_redc_row(t, 1);
    fr13_redc_row(t, 2);
    fr13_redc_row(t, 3);
    fr13_redc_row(t, 4);
    fr13_redc_row(t, 5);
    fr13_redc_row(t, 6);
    fr13_redc_row(t, 7);
    fr13_redc_row(t, 8);
    fr13_redc_row(t, 9);
    fr13_redc_row(t, 10);
    fr13_redc_row(t, 11);
    fr13_redc_row(t, 12);
    fr13_redc_row(t, 13);
    fr13_redc_row(t, 14);
    fr13_redc_row(t, 15);
    fr13_redc_row(t, 16);
    fr13_redc_row(t, 17);
    fr13_redc_row(t, 18);
    fr13_redc_row(t, 19);
    let mut c = 0u32;
    c = c + t[20];
    o[0] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[21];
    o[1] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[22];
    o[2] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[23];
    o[3] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[24];
    o[4] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[25];
    o[5] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[26];
    o[6] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[27];
    o[7] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[28];
    o[8] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[29];
    o[9] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[30];
    o[10] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[31];
    o[11] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[32];
    o[12] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[33];
    o[13] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[34];
    o[14] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[35];
    o[15] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[36];
    o[16] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[37];
    o[17] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[38];
    o[18] = c & 0x1fffu32;
    c = c >> 13u32;
    c = c + t[39];
    o[19] = c & 0x1fffu32;
    c = c >> 13u32;
}

/// `x = x - m` where `x >= m`, both carried.
#[kernel_fn]
pub fn fr13_sub_if_ge(x: &mut [u32; 20], m: &[u32; 20]) {
    let mut d = [0u32; 20];
    let mut borrow = 0u32;
    borrow = x[0].wrapping_sub(m[0]).wrapping_sub(borrow);
    d[0] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[1].wrapping_sub(m[1]).wrapping_sub(borrow);
    d[1] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[2].wrapping_sub(m[2]).wrapping_sub(borrow);
    d[2] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[3].wrapping_sub(m[3]).wrapping_sub(borrow);
    d[3] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[4].wrapping_sub(m[4]).wrapping_sub(borrow);
    d[4] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[5].wrapping_sub(m[5]).wrapping_sub(borrow);
    d[5] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[6].wrapping_sub(m[6]).wrapping_sub(borrow);
    d[6] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[7].wrapping_sub(m[7]).wrapping_sub(borrow);
    d[7] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[8].wrapping_sub(m[8]).wrapping_sub(borrow);
    d[8] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[9].wrapping_sub(m[9]).wrapping_sub(borrow);
    d[9] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[10].wrapping_sub(m[10]).wrapping_sub(borrow);
    d[10] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[11].wrapping_sub(m[11]).wrapping_sub(borrow);
    d[11] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[12].wrapping_sub(m[12]).wrapping_sub(borrow);
    d[12] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[13].wrapping_sub(m[13]).wrapping_sub(borrow);
    d[13] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[14].wrapping_sub(m[14]).wrapping_sub(borrow);
    d[14] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[15].wrapping_sub(m[15]).wrapping_sub(borrow);
    d[15] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[16].wrapping_sub(m[16]).wrapping_sub(borrow);
    d[16] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[17].wrapping_sub(m[17]).wrapping_sub(borrow);
    d[17] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[18].wrapping_sub(m[18]).wrapping_sub(borrow);
    d[18] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    borrow = x[19].wrapping_sub(m[19]).wrapping_sub(borrow);
    d[19] = borrow & 0x1fffu32;
    borrow = borrow >> 31u32;
    if borrow == 0u32 {
        x[0] = d[0];
        x[1] = d[1];
        x[2] = d[2];
        x[3] = d[3];
        x[4] = d[4];
        x[5] = d[5];
        x[6] = d[6];
        x[7] = d[7];
        x[8] = d[8];
        x[9] = d[9];
        x[10] = d[10];
        x[11] = d[11];
        x[12] = d[12];
        x[13] = d[13];
        x[14] = d[14];
        x[15] = d[15];
        x[16] = d[16];
        x[17] = d[17];
        x[18] = d[18];
        x[19] = d[19];
    }
}

/// `m = 2^253 R mod r` = 2^513 mod r.
#[kernel_fn]
pub fn fr13_shift_const(m: &mut [u32; 20]) {
    m[0] = 6990u32;
    m[1] = 534u32;
    m[2] = 727u32;
    m[3] = 921u32;
    m[4] = 887u32;
    m[5] = 6627u32;
    m[6] = 6882u32;
    m[7] = 3192u32;
    m[8] = 7285u32;
    m[9] = 5439u32;
    m[10] = 66u32;
    m[11] = 3822u32;
    m[12] = 1962u32;
    m[13] = 2435u32;
    m[14] = 3170u32;
    m[15] = 4393u32;
    m[16] = 7836u32;
    m[17] = 2839u32;
    m[18] = 2920u32;
    m[19] = 8u32;
}

/// `m = r`.
#[kernel_fn]
pub fn fr13_r(m: &mut [u32; 20]) {
    m[0] = 1u32;
    m[1] = 0u32;
    m[2] = 1276u32;
    m[3] = 1003u32;
    m[4] = 5182u32;
    m[5] = 6216u32;
    m[6] = 1765u32;
    m[7] = 2319u32;
    m[8] = 5096u32;
    m[9] = 2369u32;
    m[10] = 5655u32;
    m[11] = 770u32;
    m[12] = 7016u32;
    m[13] = 2082u32;
    m[14] = 1761u32;
    m[15] = 5125u32;
    m[16] = 305u32;
    m[17] = 5015u32;
    m[18] = 6419u32;
    m[19] = 96u32;
}

/// `m = 2r`.
#[kernel_fn]
pub fn fr13_2r(m: &mut [u32; 20]) {
    m[0] = 2u32;
    m[1] = 0u32;
    m[2] = 2552u32;
    m[3] = 2006u32;
    m[4] = 2172u32;
    m[5] = 4241u32;
    m[6] = 3531u32;
    m[7] = 4638u32;
    m[8] = 2000u32;
    m[9] = 4739u32;
    m[10] = 3118u32;
    m[11] = 1541u32;
    m[12] = 5840u32;
    m[13] = 4165u32;
    m[14] = 3522u32;
    m[15] = 2058u32;
    m[16] = 611u32;
    m[17] = 1838u32;
    m[18] = 4647u32;
    m[19] = 193u32;
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
        // hi C + lo R, then its REDC: below 2.5 r.
        fr13_high(&mut x, &t);
        fr13_shift_const(&mut y);
        let mut u = [0u32; 40];
        fr13_mul(&mut u, &x, &y);
        fr13_add_low(&mut u, &t);
        fr13_redc(&mut x, &mut u);
        fr13_2r(&mut y);
        fr13_sub_if_ge(&mut x, &y);
        fr13_r(&mut y);
        fr13_sub_if_ge(&mut x, &y);
        fr13_store(&x, out, e);
    }
}
