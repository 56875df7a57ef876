//! Arithmetic in the Goldilocks field, p = 2^64 - 2^32 + 1, on `u64` elements, bit-identical on
//! every backend (WGSL emulates `u64` in two `u32` words). Every input `u64` stands for its
//! residue mod p, so a value in [p, 2^64) is accepted and means that value less p; every output
//! is canonical (below p). The reduction of a 128-bit product uses 2^64 = 2^32 - 1 and
//! 2^96 = -1 (mod p), as plonky2's `reduce128` (plonky2 `field/src/goldilocks_field.rs`) and
//! Plonky3's `p3-goldilocks` do. `kernelforge::zk::goldilocks` launches these kernels.

use kernelforge::prelude::*;

/// `a` mod p for any `u64`: `a - p` where `a >= p` (one subtraction suffices, as 2p > 2^64).
#[kernel_fn]
pub fn gl_canonical(a: u64) -> u64 {
    if a >= 0xffff_ffff_0000_0001u64 {
        a - 0xffff_ffff_0000_0001u64
    } else {
        a
    }
}

/// `a + b` mod p for canonical `a` and `b`. A carry out of 64 bits stands for 2^64 = 2^32 - 1
/// (mod p), and the sum with it added is already below p.
#[kernel_fn]
pub fn gl_add(a: u64, b: u64) -> u64 {
    let (s, over) = a.overflowing_add(b);
    let t = if over { s + 0xffff_ffffu64 } else { s };
    gl_canonical(t)
}

/// `a - b` mod p for canonical `a` and `b`. A borrow took 2^64 = 2^32 - 1 (mod p) too many,
/// which subtracting 2^32 - 1 gives back without a further borrow.
#[kernel_fn]
pub fn gl_sub(a: u64, b: u64) -> u64 {
    let (d, borrow) = a.overflowing_sub(b);
    if borrow {
        d - 0xffff_ffffu64
    } else {
        d
    }
}

/// `hi * 2^64 + lo` mod p, canonical, for any 128-bit value: with `hi = hh * 2^32 + hl`, the
/// value is `lo - hh + hl * (2^32 - 1)` (mod p), as plonky2's `reduce128`.
#[kernel_fn]
pub fn gl_reduce128(lo: u64, hi: u64) -> u64 {
    let hh = hi >> 32;
    let hl = hi & 0xffff_ffffu64;
    let (d, borrow) = lo.overflowing_sub(hh);
    // A borrow added 2^64 (= 2^32 - 1); `d` is then at least 2^64 - 2^32, so this cannot wrap.
    let t0 = if borrow { d - 0xffff_ffffu64 } else { d };
    // `hl * (2^32 - 1)` without a multiply (`hl` is below 2^32, so this cannot wrap).
    let t1 = (hl << 32) - hl;
    let (s, over) = t0.overflowing_add(t1);
    // A carry stands for 2^32 - 1 again; `s` is then below 2^64 - 2^33, so no second carry.
    let t = if over { s + 0xffff_ffffu64 } else { s };
    gl_canonical(t)
}

/// `a * b` mod p, canonical, for any `a` and `b`.
#[kernel_fn]
pub fn gl_mul(a: u64, b: u64) -> u64 {
    let (lo, hi) = a.widening_mul(b);
    gl_reduce128(lo, hi)
}

/// `a * b` mod p, canonical, for any `a` and `b`, from 32-bit limbs: the four 32 x 32 -> 64
/// products of the halves, summed into the 128-bit product's words `w0..w3` with explicit
/// carries, then reduced as [`gl_reduce128`] with `hh = w3` and `hl = w2`. The same bits as
/// [`gl_mul`]; WGSL, whose `u64` is emulated, computes the products once here where `gl_mul`'s
/// low and high halves each compute their own.
#[kernel_fn]
pub fn gl_mul_limbs(a: u64, b: u64) -> u64 {
    let (a0, a1) = (a as u32, (a >> 32) as u32);
    let (b0, b1) = (b as u32, (b >> 32) as u32);
    let (w0, h00) = a0.widening_mul(b0);
    let (l01, h01) = a0.widening_mul(b1);
    let (l10, h10) = a1.widening_mul(b0);
    let (l11, h11) = a1.widening_mul(b1);
    let (s1, c1) = h00.overflowing_add(l01);
    let (w1, c2) = s1.overflowing_add(l10);
    let (s2, c3) = h01.carrying_add(h10, c1);
    let (w2, c4) = s2.carrying_add(l11, c2);
    // No carry out of w3: the product is below 2^128.
    let w3 = h11 + c3 as u32 + c4 as u32;
    let lo = ((w1 as u64) << 32) | w0 as u64;
    let (d, borrow) = lo.overflowing_sub(w3 as u64);
    let t0 = if borrow { d - 0xffff_ffffu64 } else { d };
    let t1 = ((w2 as u64) << 32) - w2 as u64;
    let (s, over) = t0.overflowing_add(t1);
    let t = if over { s + 0xffff_ffffu64 } else { s };
    gl_canonical(t)
}

/// `a^e` mod p by square-and-multiply over the 64 bits of `e`.
#[kernel_fn]
pub fn gl_pow(a: u64, e: u64) -> u64 {
    let mut r = 1u64;
    let mut b = a;
    for bit in 0..64u32 {
        if (e >> bit) & 1u64 == 1u64 {
            r = gl_mul(r, b);
        }
        b = gl_mul(b, b);
    }
    r
}

/// `out[i] = a[i] + b[i]` mod p.
#[compute_kernel(workgroup_size = 256)]
pub fn goldilocks_add(a: &[u64], b: &[u64], out: &mut [u64]) {
    let i = global_id().x;
    if i < out.len() {
        out[i] = gl_add(gl_canonical(a[i]), gl_canonical(b[i]));
    }
}

/// `out[i] = a[i] - b[i]` mod p.
#[compute_kernel(workgroup_size = 256)]
pub fn goldilocks_sub(a: &[u64], b: &[u64], out: &mut [u64]) {
    let i = global_id().x;
    if i < out.len() {
        out[i] = gl_sub(gl_canonical(a[i]), gl_canonical(b[i]));
    }
}

/// `out[i] = a[i] * b[i]` mod p.
#[compute_kernel(workgroup_size = 256)]
pub fn goldilocks_mul(a: &[u64], b: &[u64], out: &mut [u64]) {
    let i = global_id().x;
    if i < out.len() {
        out[i] = gl_mul(a[i], b[i]);
    }
}

/// [`goldilocks_add`] two elements an invocation, loaded and stored as `Vec2`s: the
/// wgpu form, which `zk::goldilocks::add` runs there. On lavapipe the emulated `u64`'s
/// `vec2<u32>` accesses one element an invocation ran at a third of the speed of two
/// (docs/benchmarks.md). Launch `Grid::linear(ceil(len / 2))`.
#[compute_kernel(workgroup_size = 256)]
pub fn goldilocks_add_v2(a: &[u64], b: &[u64], out: &mut [u64]) {
    let i = global_id().x;
    let n = out.len();
    if i < n / 2 {
        let x = Vec2::load(a, i);
        let y = Vec2::load(b, i);
        let mut r = x;
        r.x = gl_add(gl_canonical(x.x), gl_canonical(y.x));
        r.y = gl_add(gl_canonical(x.y), gl_canonical(y.y));
        r.store(out, i);
    } else if i == n / 2 && n % 2 == 1 {
        let l = n - 1;
        out[l] = gl_add(gl_canonical(a[l]), gl_canonical(b[l]));
    }
}

/// [`goldilocks_sub`] two elements an invocation, loaded and stored as `Vec2`s: the
/// wgpu form, which `zk::goldilocks::sub` runs there. On lavapipe the emulated `u64`'s
/// `vec2<u32>` accesses one element an invocation ran at a third of the speed of two
/// (docs/benchmarks.md). Launch `Grid::linear(ceil(len / 2))`.
#[compute_kernel(workgroup_size = 256)]
pub fn goldilocks_sub_v2(a: &[u64], b: &[u64], out: &mut [u64]) {
    let i = global_id().x;
    let n = out.len();
    if i < n / 2 {
        let x = Vec2::load(a, i);
        let y = Vec2::load(b, i);
        let mut r = x;
        r.x = gl_sub(gl_canonical(x.x), gl_canonical(y.x));
        r.y = gl_sub(gl_canonical(x.y), gl_canonical(y.y));
        r.store(out, i);
    } else if i == n / 2 && n % 2 == 1 {
        let l = n - 1;
        out[l] = gl_sub(gl_canonical(a[l]), gl_canonical(b[l]));
    }
}

/// [`goldilocks_mul`] two elements an invocation, loaded and stored as `Vec2`s and the product from 32-bit limbs ([`gl_mul_limbs`]): the
/// wgpu form, which `zk::goldilocks::mul` runs there. On lavapipe the emulated `u64`'s
/// `vec2<u32>` accesses one element an invocation ran at a third of the speed of two
/// (docs/benchmarks.md). Launch `Grid::linear(ceil(len / 2))`.
#[compute_kernel(workgroup_size = 256)]
pub fn goldilocks_mul_v2(a: &[u64], b: &[u64], out: &mut [u64]) {
    let i = global_id().x;
    let n = out.len();
    if i < n / 2 {
        let x = Vec2::load(a, i);
        let y = Vec2::load(b, i);
        let mut r = x;
        r.x = gl_mul_limbs(x.x, y.x);
        r.y = gl_mul_limbs(x.y, y.y);
        r.store(out, i);
    } else if i == n / 2 && n % 2 == 1 {
        let l = n - 1;
        out[l] = gl_mul_limbs(a[l], b[l]);
    }
}

/// `out[i] = 1 / a[i]` mod p by Montgomery's trick (Montgomery 1987, "Speeding the Pollard and
/// elliptic curve methods of factorization", section 10.3.1), each invocation over a run of
/// `C` = 32 consecutive elements: the running products of its run in `out`, one inversion of
/// their product (Fermat: `x^(p-2)`), then back along the run, two products an element. An
/// element that is 0 (mod p) is left out of the products, gets 0, and lowers `zero[0]` to its
/// index (the host sets `zero[0]` to `u32::MAX` first). Launch `Grid::linear(ceil(n / 32))`.
#[compute_kernel(workgroup_size = 64)]
pub fn goldilocks_batch_inverse(a: &[u64], out: &mut [u64], zero: &[AtomicU32]) {
    const C: u32 = 32;
    let n = out.len();
    let t = global_id().x;
    if t < n / C + min(n % C, 1) {
        let start = t * C;
        let end = min(start + C, n);
        let mut acc = 1u64;
        for i in start..end {
            let x = gl_canonical(a[i]);
            if x == 0u64 {
                zero[0].fetch_min(i, Relaxed);
            } else {
                acc = gl_mul(acc, x);
            }
            out[i] = acc;
        }
        // 1 / (the run's product), p - 2 = 0xffff_fffe_ffff_ffff.
        let mut inv = gl_pow(acc, 0xffff_fffe_ffff_ffffu64);
        let mut i = end;
        while i > start {
            i -= 1;
            let x = gl_canonical(a[i]);
            if x == 0u64 {
                out[i] = 0u64;
            } else {
                let before = if i > start { out[i - 1] } else { 1u64 };
                out[i] = gl_mul(inv, before);
                inv = gl_mul(inv, x);
            }
        }
    }
}

/// `tw[i] = w^i` mod p for `i < tw.len()`, each invocation over a run of 64: one power, then
/// a product an element. Launch `Grid::linear(ceil(len / 64))`.
#[compute_kernel(workgroup_size = 64)]
pub fn goldilocks_powers(w: u64, tw: &mut [u64]) {
    let n = tw.len();
    let t = global_id().x;
    if t < n / 64 + min(n % 64, 1) {
        let start = t * 64;
        let end = min(start + 64, n);
        let mut x = gl_pow(w, start as u64);
        for i in start..end {
            tw[i] = x;
            x = gl_mul(x, w);
        }
    }
}

/// The bit-reversal permutation of `data` (length `2^bits`, `bits` from 1 to 31), in place,
/// each element made canonical on the way: invocation `i` swaps `data[i]` with
/// `data[rev(i)]` where `i < rev(i)`, and canonicalises it alone where `i == rev(i)`. Launch
/// `Grid::linear(len)`.
#[compute_kernel(workgroup_size = 256)]
pub fn goldilocks_bit_reverse(bits: u32, data: &mut [u64]) {
    let i = global_id().x;
    if i < data.len() {
        let j = i.reverse_bits() >> (32 - bits);
        if i < j {
            let x = data[i];
            data[i] = gl_canonical(data[j]);
            data[j] = gl_canonical(x);
        } else if i == j {
            data[i] = gl_canonical(data[i]);
        }
    }
}

/// One radix-2 decimation-in-time stage of the NTT over bit-reversed `data`: butterfly `j`
/// (`j < len / 2`) takes the pair `i0 = 2 (j - pos) + pos`, `i1 = i0 + h`, where
/// `pos = j mod h`, and the twiddle `tw[pos * stride]` (`tw[k] = w^k` for the transform's
/// `w`, `stride = len / (2h)`): `(u, v) = (data[i0], tw * data[i1])`, then `data[i0] = u + v`,
/// `data[i1] = u - v`. `h` is the stage's half-size, a power of two. Launch
/// `Grid::linear(len / 2)`.
#[compute_kernel(workgroup_size = 256)]
pub fn goldilocks_ntt_stage(h: u32, stride: u32, tw: &[u64], data: &mut [u64]) {
    let j = global_id().x;
    if j < data.len() / 2 {
        let pos = j & (h - 1);
        let i0 = 2 * (j - pos) + pos;
        let i1 = i0 + h;
        let u = data[i0];
        let v = gl_mul(data[i1], tw[pos * stride]);
        data[i0] = gl_add(u, v);
        data[i1] = gl_sub(u, v);
    }
}

/// The first nine stages (half-sizes 1 to 256) of the NTT over bit-reversed `data` in
/// workgroup memory: each workgroup loads its 512 consecutive elements, runs the nine stages
/// of [`goldilocks_ntt_stage`] between barriers (twiddle `tw[pos * len / (2h)]`), and stores
/// them, where one launch per stage would read and write all of `data` nine times. The length
/// is a multiple of 512. Launch `Grid::groups([len / 512, 1, 1])`.
#[compute_kernel(workgroup_size = 256)]
pub fn goldilocks_ntt_block(tw: &[u64], data: &mut [u64]) {
    let s = shared_array::<u64, 512>();
    let lid = local_id().x;
    let n = data.len();
    let base = group_id().x * 512;
    s[lid] = data[base + lid];
    s[lid + 256] = data[base + lid + 256];
    workgroup_barrier();
    let mut h = 1u32;
    for _stage in 0..9 {
        let pos = lid & (h - 1);
        let i0 = 2 * (lid - pos) + pos;
        let i1 = i0 + h;
        let u = s[i0];
        let v = gl_mul(s[i1], tw[pos * (n / (2 * h))]);
        s[i0] = gl_add(u, v);
        s[i1] = gl_sub(u, v);
        workgroup_barrier();
        h *= 2;
    }
    data[base + lid] = s[lid];
    data[base + lid + 256] = s[lid + 256];
}

/// Two stages of the NTT at once (half-sizes `h` and `2h`) over bit-reversed `data`, a radix-4
/// step: invocation `j` (`j < len / 4`) takes the four elements `b + pos + {0, h, 2h, 3h}`
/// (`pos = j mod h`, `b = 4 (j - pos)`), runs stage `h` on the pairs (0, 1) and (2, 3) with
/// twiddle `w_2h^pos`, then stage `2h` on (0, 2) and (1, 3) with `w_4h^pos` and
/// `w_4h^(pos + h)`, where `w_m^k = tw[k * len / m]`: half the passes over `data` of
/// [`goldilocks_ntt_stage`]. Launch `Grid::linear(len / 4)`.
#[compute_kernel(workgroup_size = 256)]
pub fn goldilocks_ntt_stage2(h: u32, tw: &[u64], data: &mut [u64]) {
    let j = global_id().x;
    let n = data.len();
    if j < n / 4 {
        let pos = j & (h - 1);
        let i0 = 4 * (j - pos) + pos;
        let q = n / (4 * h);
        let t1 = tw[2 * pos * q];
        let x0 = data[i0];
        let x1 = gl_mul(data[i0 + h], t1);
        let x2 = data[i0 + 2 * h];
        let x3 = gl_mul(data[i0 + 3 * h], t1);
        let (y0, y1) = (gl_add(x0, x1), gl_sub(x0, x1));
        let (y2, y3) = (gl_add(x2, x3), gl_sub(x2, x3));
        let z2 = gl_mul(y2, tw[pos * q]);
        let z3 = gl_mul(y3, tw[(pos + h) * q]);
        data[i0] = gl_add(y0, z2);
        data[i0 + 2 * h] = gl_sub(y0, z2);
        data[i0 + h] = gl_add(y1, z3);
        data[i0 + 3 * h] = gl_sub(y1, z3);
    }
}

/// `data[i] = s * data[i]` mod p (the inverse transform's `1/n`). Launch `Grid::linear(len)`.
#[compute_kernel(workgroup_size = 256)]
pub fn goldilocks_scale(s: u64, data: &mut [u64]) {
    let i = global_id().x;
    if i < data.len() {
        data[i] = gl_mul(data[i], s);
    }
}
