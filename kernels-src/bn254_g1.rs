//! BN254's G1 (y^2 = x^3 + 3 over Fq, q = 0x30644e72e131a029b85045b68181585d97816a916871ca8d
//! 3c208c16d87cfd47) and the device half of its multi-scalar multiplication (Pippenger's bucket
//! method), bit-identical on every backend. `kernelforge::zk::bn254::msm` launches these kernels.
//!
//! An Fq element is four little-endian `u64` limbs in Montgomery form (`a R mod q`, R = 2^256)
//! inside the kernels, canonical (below q) between helpers. Points are homogeneous projective
//! `(X : Y : Z)`, the identity `(0 : 1 : 0)`, and are added by the complete formulas of Renes,
//! Costello and Batina ("Complete addition formulas for prime order elliptic curves",
//! EUROCRYPT 2016, algorithms 7 and 8 for a = 0): one branch-free sequence for every pair of
//! points, doubling and the identity included, so that invocations of a warp never diverge on a
//! special case and no kernel needs one. In storage a projective point is three elements (12
//! limbs) and an affine one two (8 limbs).

use kernelforge::prelude::*;

/// `o = a b / 2^256 mod m` (Montgomery multiplication, CIOS) for `m < 2^254` given by its limbs
/// and `minv = -1/m mod 2^64`, and `a b < 4 m^2` or `a b < m 2^256` (factors below 2m, or
/// one any 256-bit value and the other below m); `o` is canonical. Per limb `b[i]`:
/// `t += a b[i]`, then `t += k m` with `k = t[0] minv`, which zeroes `t[0]`, and a shift by one
/// limb. The sum `a b + K m`, `K < 2^256`, is then below `2m 2^256`, so `o` is below `2m`
/// before the last subtraction. The MSM's Fq products use it: it lives here, beside `fq_mul`,
/// because the helper chain finds a helper's own callees only where the helper is reached
/// directly from a kernel or from a helper of the same module. Its loop over rows is
/// `#[unroll]`: WGSL writes it out, so that the running sum's indices are constants and
/// lavapipe keeps it in registers. Written out in the source instead (as `bn254_fr_mul`'s
/// `mont_mul_rows`), the MSM kernels' generated Rust grew 2.5x, and rustc overflowed its stack
/// emitting their debug info in dev builds (every `let` of a block is a scope nested in the
/// previous one's, and inlined helpers' `let`s share their caller's block); the CPU back end
/// keeps a `#[unroll]` loop a loop.
#[kernel_fn]
#[allow(clippy::too_many_arguments)]
pub fn mont_mul(
    o: &mut [u64; 4],
    a: &[u64; 4],
    b: &[u64; 4],
    m0: u64,
    m1: u64,
    m2: u64,
    m3: u64,
    minv: u64,
) {
    let mut t = [0u64; 6];
    #[unroll]
    for i in 0..4u32 {
        super::bn254::limbs_mac(&mut t, a[0], a[1], a[2], a[3], b[i]);
        let k = t[0] * minv;
        super::bn254::limbs_mac(&mut t, m0, m1, m2, m3, k);
        super::bn254::limbs_shift(&mut t);
    }
    o[0] = t[0];
    o[1] = t[1];
    o[2] = t[2];
    o[3] = t[3];
    super::bn254::limbs_sub_if_ge(o, m0, m1, m2, m3);
}

/// `o = a b / 2^256 mod q`: the product of two Montgomery-form elements in Montgomery form,
/// canonical for factors below 2q.
#[kernel_fn]
pub fn fq_mul(o: &mut [u64; 4], a: &[u64; 4], b: &[u64; 4]) {
    mont_mul(
        o,
        a,
        b,
        0x3c20_8c16_d87c_fd47u64,
        0x9781_6a91_6871_ca8du64,
        0xb850_45b6_8181_585du64,
        0x3064_4e72_e131_a029u64,
        0x87d2_0782_e486_6389u64,
    );
}

/// `o = a + b mod q` for `a`, `b` below q.
#[kernel_fn]
pub fn fq_add(o: &mut [u64; 4], a: &[u64; 4], b: &[u64; 4]) {
    super::bn254::limbs_add(o, a, b);
    super::bn254::limbs_sub_if_ge(
        o,
        0x3c20_8c16_d87c_fd47u64,
        0x9781_6a91_6871_ca8du64,
        0xb850_45b6_8181_585du64,
        0x3064_4e72_e131_a029u64,
    );
}

/// `o = a - b mod q` for `a`, `b` below q.
#[kernel_fn]
pub fn fq_sub(o: &mut [u64; 4], a: &[u64; 4], b: &[u64; 4]) {
    super::bn254::mod_sub(
        o,
        a,
        b,
        0x3c20_8c16_d87c_fd47u64,
        0x9781_6a91_6871_ca8du64,
        0xb850_45b6_8181_585du64,
        0x3064_4e72_e131_a029u64,
    );
}

/// `o = a1 b2 + a2 b1 mod q` from `ta = a1 a2` and `tb = b1 b2`: `(a1 + b1)(a2 + b2) - ta - tb`,
/// one product where two would do (the cross terms of the addition formulas).
#[kernel_fn]
pub fn fq_cross(
    o: &mut [u64; 4],
    a1: &[u64; 4],
    b1: &[u64; 4],
    a2: &[u64; 4],
    b2: &[u64; 4],
    ta: &[u64; 4],
    tb: &[u64; 4],
) {
    let mut u = [0u64; 4];
    let mut v = [0u64; 4];
    let mut w = [0u64; 4];
    // Unreduced sums: they are only factors.
    super::bn254::limbs_add(&mut u, a1, b1);
    super::bn254::limbs_add(&mut v, a2, b2);
    fq_mul(&mut w, &u, &v);
    fq_add(&mut u, ta, tb);
    fq_sub(o, &w, &u);
}

/// `o = 9 a mod q` (`9 = 3 b`, the curve constant of the addition formulas), by additions:
/// `8 a + a`, cheaper than a product.
#[kernel_fn]
pub fn fq_mul_b3(o: &mut [u64; 4], a: &[u64; 4]) {
    let mut a2 = [0u64; 4];
    let mut a4 = [0u64; 4];
    let mut a8 = [0u64; 4];
    fq_add(&mut a2, a, a);
    fq_add(&mut a4, &a2, &a2);
    fq_add(&mut a8, &a4, &a4);
    fq_add(o, &a8, a);
}

/// The end both complete additions share (Renes-Costello-Batina algorithms 7 and 8 from
/// `t0 + t0`): from `t0 = x1 x2`, `t1 = y1 y2`, `t2 = z1 z2` (z1 for an affine second point),
/// `t3 = x1 y2 + x2 y1`, `t4 = y1 z2 + y2 z1` and `y3 = x1 z2 + x2 z1`, the sum into
/// `(x1 : y1 : z1)`. `t4` may be unreduced (below 2q): it is only a factor.
#[kernel_fn]
#[allow(clippy::too_many_arguments)]
pub fn g1_add_end(
    x1: &mut [u64; 4],
    y1: &mut [u64; 4],
    z1: &mut [u64; 4],
    t0: &[u64; 4],
    t1: &[u64; 4],
    t2: &[u64; 4],
    t3: &[u64; 4],
    t4: &[u64; 4],
    y3: &[u64; 4],
) {
    let mut u = [0u64; 4];
    let mut v = [0u64; 4];
    let mut t03 = [0u64; 4];
    fq_add(&mut u, t0, t0);
    super::bn254::limbs_add(&mut t03, &u, t0); // 3 x1 x2, a factor only
    fq_mul_b3(&mut u, t2);
    let mut z3 = [0u64; 4];
    fq_add(&mut z3, t1, &u);
    let mut s1 = [0u64; 4];
    fq_sub(&mut s1, t1, &u);
    let mut b3y = [0u64; 4];
    fq_mul_b3(&mut b3y, y3);
    fq_mul(&mut u, t4, &b3y);
    fq_mul(&mut v, t3, &s1);
    fq_sub(x1, &v, &u);
    fq_mul(&mut u, &b3y, &t03);
    fq_mul(&mut v, &s1, &z3);
    fq_add(y1, &v, &u);
    fq_mul(&mut u, &t03, t3);
    fq_mul(&mut v, &z3, t4);
    fq_add(z1, &v, &u);
}

/// `(x1 : y1 : z1) += (x2 : y2 : z2)`, complete projective addition (Renes-Costello-Batina
/// algorithm 7, a = 0): 12 products, right for every pair, equal points and the identity
/// included. Doubling passes a copy of the point as the second.
#[kernel_fn]
pub fn g1_add(
    x1: &mut [u64; 4],
    y1: &mut [u64; 4],
    z1: &mut [u64; 4],
    x2: &[u64; 4],
    y2: &[u64; 4],
    z2: &[u64; 4],
) {
    let mut t0 = [0u64; 4];
    let mut t1 = [0u64; 4];
    let mut t2 = [0u64; 4];
    fq_mul(&mut t0, x1, x2);
    fq_mul(&mut t1, y1, y2);
    fq_mul(&mut t2, z1, z2);
    let mut t3 = [0u64; 4];
    let mut t4 = [0u64; 4];
    let mut y3 = [0u64; 4];
    fq_cross(&mut t3, x1, y1, x2, y2, &t0, &t1); // x1 y2 + x2 y1
    fq_cross(&mut t4, y1, z1, y2, z2, &t1, &t2); // y1 z2 + y2 z1
    fq_cross(&mut y3, x1, z1, x2, z2, &t0, &t2); // x1 z2 + x2 z1
    g1_add_end(x1, y1, z1, &t0, &t1, &t2, &t3, &t4, &y3);
}

/// `(x1 : y1 : z1) += (x2, y2)` for an affine `(x2, y2)` that is not the identity
/// (Renes-Costello-Batina algorithm 8, a = 0): 11 products, complete otherwise.
#[kernel_fn]
pub fn g1_add_affine(
    x1: &mut [u64; 4],
    y1: &mut [u64; 4],
    z1: &mut [u64; 4],
    x2: &[u64; 4],
    y2: &[u64; 4],
) {
    let mut t0 = [0u64; 4];
    let mut t1 = [0u64; 4];
    fq_mul(&mut t0, x1, x2);
    fq_mul(&mut t1, y1, y2);
    let mut t3 = [0u64; 4];
    fq_cross(&mut t3, x1, y1, x2, y2, &t0, &t1); // x1 y2 + x2 y1
    let mut u = [0u64; 4];
    let mut t4 = [0u64; 4];
    fq_mul(&mut u, y2, z1);
    super::bn254::limbs_add(&mut t4, &u, y1); // y1 + y2 z1, unreduced: a factor only
    fq_mul(&mut u, x2, z1);
    let mut y3 = [0u64; 4];
    fq_add(&mut y3, &u, x1); // x1 + x2 z1
                             // z1 is an output of the common end: its copy is the input.
    let mut z = [0u64; 4];
    super::bn254::limbs_copy(&mut z, z1);
    g1_add_end(x1, y1, z1, &t0, &t1, &z, &t3, &t4, &y3);
}

/// Slot `k` of `pts` (a point at limbs `12k..12k + 12`), the identity `(0 : 1 : 0)`
/// (1 in Montgomery form is `2^256 mod q`).
#[kernel_fn]
pub fn g1_slot_identity(pts: &mut [u64; 48], k: u32) {
    for i in 0..12u32 {
        pts[12 * k + i] = 0u64;
    }
    pts[12 * k + 4] = 0xd35d_438d_c58f_0d9du64;
    pts[12 * k + 5] = 0x0a78_eb28_f5c7_0b3du64;
    pts[12 * k + 6] = 0x666e_a36f_7879_462cu64;
    pts[12 * k + 7] = 0x0e0a_77c1_9a07_df2fu64;
}

/// Slot `k` of `pts` from projective point `p` of `s` (limbs `12p..12p + 12`).
#[kernel_fn]
pub fn g1_slot_load(pts: &mut [u64; 48], k: u32, s: &[u64], p: u32) {
    for i in 0..12u32 {
        pts[12 * k + i] = s[12 * p + i];
    }
}

/// Slot `k` of `pts` into projective point `p` of `s`.
#[kernel_fn]
pub fn g1_slot_store(pts: &[u64; 48], k: u32, s: &mut [u64], p: u32) {
    for i in 0..12u32 {
        s[12 * p + i] = pts[12 * k + i];
    }
}

/// Slot `dst` of `pts` += slot `src` (`dst == src` doubles). The kernels that combine points
/// call this once, in a loop over their steps, so that the 12 inlined products of `g1_add`
/// appear once in their code.
#[kernel_fn]
pub fn g1_slot_add(pts: &mut [u64; 48], dst: u32, src: u32) {
    let mut x1 = [0u64; 4];
    let mut y1 = [0u64; 4];
    let mut z1 = [0u64; 4];
    let mut x2 = [0u64; 4];
    let mut y2 = [0u64; 4];
    let mut z2 = [0u64; 4];
    for i in 0..4u32 {
        x1[i] = pts[12 * dst + i];
        y1[i] = pts[12 * dst + 4 + i];
        z1[i] = pts[12 * dst + 8 + i];
        x2[i] = pts[12 * src + i];
        y2[i] = pts[12 * src + 4 + i];
        z2[i] = pts[12 * src + 8 + i];
    }
    g1_add(&mut x1, &mut y1, &mut z1, &x2, &y2, &z2);
    for i in 0..4u32 {
        pts[12 * dst + i] = x1[i];
        pts[12 * dst + 4 + i] = y1[i];
        pts[12 * dst + 8 + i] = z1[i];
    }
}

/// Affine point `i` of `bases` (x then y, canonical, 8 limbs) into Montgomery form in
/// `bases_m`: each coordinate times `R^2 mod q`, Montgomery-multiplied. Launch
/// `Grid::linear(points)`.
#[compute_kernel(workgroup_size = 256)]
pub fn bn254_g1_to_montgomery(bases: &[u64], bases_m: &mut [u64]) {
    let i = global_id().x;
    if i < bases.len() / 8 {
        let mut r2 = [0u64; 4];
        r2[0] = 0xf32c_fc5b_538a_fa89u64;
        r2[1] = 0xb5e7_1911_d445_01fbu64;
        r2[2] = 0x47ab_1eff_0a41_7ff6u64;
        r2[3] = 0x06d8_9f71_cab8_351fu64;
        let mut a = [0u64; 4];
        let mut m = [0u64; 4];
        for k in 0..2u32 {
            super::bn254::limbs_load(&mut a, bases, 2 * i + k);
            fq_mul(&mut m, &a, &r2);
            super::bn254::limbs_store(&m, bases_m, 2 * i + k);
        }
    }
}

/// Pippenger's bucket accumulation: invocation `g` (window `g / buckets`, bucket `g % buckets`
/// of each window) sums the Montgomery-form affine points `bases_m` that `entries[starts[g]..
/// starts[g + 1]]` name (point index in bits 0..31, bit 31 set to subtract the point) into
/// projective point `g` of `sums`. The host sorts the entries by bucket. Launch
/// `Grid::linear(starts.len() - 1)`.
#[compute_kernel(workgroup_size = 64)]
pub fn bn254_msm_buckets(bases_m: &[u64], entries: &[u32], starts: &[u32], sums: &mut [u64]) {
    let g = global_id().x;
    if g + 1 < starts.len() {
        let mut x = [0u64; 4];
        let mut y = [0u64; 4];
        let mut z = [0u64; 4];
        // The identity, (0 : 1 : 0), 1 in Montgomery form.
        y[0] = 0xd35d_438d_c58f_0d9du64;
        y[1] = 0x0a78_eb28_f5c7_0b3du64;
        y[2] = 0x666e_a36f_7879_462cu64;
        y[3] = 0x0e0a_77c1_9a07_df2fu64;
        let zero = [0u64; 4];
        let mut px = [0u64; 4];
        let mut py = [0u64; 4];
        let mut ny = [0u64; 4];
        // The next point is loaded before this one is added: its (random) address is then
        // read while the addition computes rather than stalling the next one.
        let mut qx = [0u64; 4];
        let mut qy = [0u64; 4];
        let (start, end) = (starts[g], starts[g + 1]);
        if start < end {
            let p = entries[start] & 0x7fff_ffffu32;
            super::bn254::limbs_load(&mut qx, bases_m, 2 * p);
            super::bn254::limbs_load(&mut qy, bases_m, 2 * p + 1);
        }
        for k in start..end {
            super::bn254::limbs_copy(&mut px, &qx);
            super::bn254::limbs_copy(&mut py, &qy);
            if k + 1 < end {
                let p = entries[k + 1] & 0x7fff_ffffu32;
                super::bn254::limbs_load(&mut qx, bases_m, 2 * p);
                super::bn254::limbs_load(&mut qy, bases_m, 2 * p + 1);
            }
            if entries[k] >= 0x8000_0000u32 {
                fq_sub(&mut ny, &zero, &py);
                super::bn254::limbs_copy(&mut py, &ny);
            }
            g1_add_affine(&mut x, &mut y, &mut z, &px, &py);
        }
        super::bn254::limbs_store(&x, sums, 3 * g);
        super::bn254::limbs_store(&y, sums, 3 * g + 1);
        super::bn254::limbs_store(&z, sums, 3 * g + 2);
    }
}

/// The bucket sums of one segment of `seg_len` consecutive buckets, invocation `s` taking
/// projective points `s seg_len..(s + 1) seg_len` of `sums`: `S = sum_j B_j` and
/// `T = sum_j (j + 1) B_j` (`j` from 0 within the segment) by the running sum from the top
/// (`S += B_j; T += S`), stored as projective points `2s` and `2s + 1` of `parts`. Launch
/// `Grid::linear(sums / seg_len)`.
#[compute_kernel(workgroup_size = 64)]
pub fn bn254_msm_segments(sums: &[u64], parts: &mut [u64], seg_len: u32) {
    let s = global_id().x;
    if s < parts.len() / 24 {
        // Slots: 0 = S, 1 = T, 2 = the bucket.
        let mut pts = [0u64; 48];
        g1_slot_identity(&mut pts, 0u32);
        g1_slot_identity(&mut pts, 1u32);
        for k in 0..2 * seg_len {
            // Even steps S += B_j, odd ones T += S.
            let mut dst = 1u32;
            let mut src = 0u32;
            if k % 2 == 0 {
                let j = seg_len - 1 - k / 2;
                g1_slot_load(&mut pts, 2u32, sums, s * seg_len + j);
                dst = 0u32;
                src = 2u32;
            }
            g1_slot_add(&mut pts, dst, src);
        }
        g1_slot_store(&pts, 0u32, parts, 2 * s);
        g1_slot_store(&pts, 1u32, parts, 2 * s + 1);
    }
}

/// One window's sum `sum_b (b + 1) B_b` from its `segs` segments' `(S_s, T_s)` in `parts`
/// (window `w`'s at points `2 (w segs + s)`, `+ 1`): `sum_s T_s + seg_len sum_s s S_s`, the
/// second by a running sum over the segments and `log_seg_len` doublings; projective point
/// `w` of `windows`. Launch `Grid::linear(windows)`.
#[compute_kernel(workgroup_size = 64)]
pub fn bn254_msm_windows(parts: &[u64], windows: &mut [u64], segs: u32, log_seg_len: u32) {
    let w = global_id().x;
    if w < windows.len() / 12 {
        // Slots: 0 = sum T_s, 1 = running sum of S_s, 2 = sum s S_s, 3 = a loaded part.
        let mut pts = [0u64; 48];
        g1_slot_identity(&mut pts, 0u32);
        g1_slot_identity(&mut pts, 1u32);
        g1_slot_identity(&mut pts, 2u32);
        // Three steps a segment from the top (T_s into 0; S_s into 1; 1 into 2, the last
        // two for s > 0), then the doublings of 2, then 0 into 2.
        let steps = 3 * segs + log_seg_len + 1;
        for k in 0..steps {
            let mut dst = 2u32;
            let mut src = 2u32;
            if k < 3 * segs {
                let s = segs - 1 - k / 3;
                let phase = k % 3;
                if s == 0 && phase > 0 {
                    continue;
                }
                if phase == 0 {
                    g1_slot_load(&mut pts, 3u32, parts, 2 * (w * segs + s) + 1);
                    dst = 0u32;
                    src = 3u32;
                } else if phase == 1 {
                    g1_slot_load(&mut pts, 3u32, parts, 2 * (w * segs + s));
                    dst = 1u32;
                    src = 3u32;
                } else {
                    src = 1u32;
                }
            } else if k == steps - 1 {
                src = 0u32;
            }
            g1_slot_add(&mut pts, dst, src);
        }
        g1_slot_store(&pts, 2u32, windows, w);
    }
}

/// The MSM's result from its window sums (window `w` weighs `2^(c w)`), by Horner's rule from
/// the top window (`c` doublings, then the next window's sum), made affine and taken out of
/// Montgomery form: `out` = x (4 limbs), y (4 limbs), then 1 for the identity (x = y = 0) or
/// 0. One invocation: launch `Grid::linear(1)`.
#[compute_kernel(workgroup_size = 1)]
pub fn bn254_msm_finish(windows: &[u64], c: u32, out: &mut [u64]) {
    if global_id().x == 0 {
        let nw = windows.len() / 12;
        // Slots: 0 = the sum, 1 = a window's.
        let mut pts = [0u64; 48];
        g1_slot_identity(&mut pts, 0u32);
        for k in 0..nw * (c + 1) {
            // `c` doublings, then window `w`'s sum.
            let mut src = 0u32;
            if k % (c + 1) == c {
                g1_slot_load(&mut pts, 1u32, windows, nw - 1 - k / (c + 1));
                src = 1u32;
            }
            g1_slot_add(&mut pts, 0u32, src);
        }
        let mut z = [0u64; 4];
        for i in 0..4u32 {
            z[i] = pts[8 + i];
        }
        if (z[0] | z[1] | z[2] | z[3]) == 0u64 {
            for i in 0..8u32 {
                out[i] = 0u64;
            }
            out[8] = 1u64;
        } else {
            // 1 / z = z^(q - 2) (Fermat), square and multiply from the top bit (253).
            let mut e = [0u64; 4];
            e[0] = 0x3c20_8c16_d87c_fd45u64;
            e[1] = 0x9781_6a91_6871_ca8du64;
            e[2] = 0xb850_45b6_8181_585du64;
            e[3] = 0x3064_4e72_e131_a029u64;
            let mut inv = [0u64; 4];
            super::bn254::limbs_copy(&mut inv, &z);
            let mut m = [0u64; 4];
            let mut t = [0u64; 4];
            // Even steps square, odd ones multiply by z where the bit is set: one product in
            // the code.
            for k in 0..506u32 {
                let bit = 252 - k / 2;
                if k % 2 == 0 {
                    super::bn254::limbs_copy(&mut m, &inv);
                } else if ((e[bit / 64] >> (bit % 64)) & 1u64) == 1u64 {
                    super::bn254::limbs_copy(&mut m, &z);
                } else {
                    continue;
                }
                fq_mul(&mut t, &inv, &m);
                super::bn254::limbs_copy(&mut inv, &t);
            }
            // x / z and y / z, then out of Montgomery form (a product with 1).
            let mut one = [0u64; 4];
            one[0] = 1u64;
            for k in 0..2u32 {
                for i in 0..4u32 {
                    m[i] = pts[4 * k + i];
                }
                fq_mul(&mut t, &m, &inv);
                fq_mul(&mut m, &t, &one);
                for i in 0..4u32 {
                    out[4 * k + i] = m[i];
                }
            }
            out[8] = 0u64;
        }
    }
}
