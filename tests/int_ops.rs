//! The integer methods for bit manipulation and multi-limb arithmetic (`count_ones`,
//! `leading_zeros`, `trailing_zeros`, `rotate_left/right`, `reverse_bits`, `wrapping_*`,
//! `overflowing_add/sub`, `carrying_add`, `borrowing_sub`, `widening_mul`, `to_bits`,
//! `from_bits`) on every backend present, bit for bit against Rust's own methods (the unstable
//! `carrying_add`/`borrowing_sub`/`widening_mul` through `overflowing_*` and a double-width
//! product), at 0, 1, MAX, powers of two, carries across the 32-bit boundary and pseudo-random
//! values, for every shift and rotation amount class (0, 1, width - 1, width, beyond).

mod common;

use common::{each_backend, lacks_shader_feature};
use kernelforge::prelude::*;

/// Every operation on `u32` (and the `i32` forms of the bit counts and rotations); `n` is the
/// rotation amount and its low bits the carry/borrow inputs.
#[compute_kernel(workgroup_size = 64)]
pub fn bits32(a: &[u32], b: &[u32], n: u32, out: &mut [u32], flags: &mut [u32]) {
    let k = global_id().x;
    if k < a.len() {
        let x = a[k];
        let y = b[k];
        let o = k * 16;
        out[o] = x.count_ones();
        out[o + 1] = x.leading_zeros();
        out[o + 2] = x.trailing_zeros();
        out[o + 3] = x.rotate_left(n);
        out[o + 4] = x.rotate_right(n);
        out[o + 5] = x.reverse_bits();
        let (lo, hi) = x.widening_mul(y);
        out[o + 6] = lo;
        out[o + 7] = hi;
        let (s, c) = x.carrying_add(y, n & 1 == 1);
        let (d, borrow) = x.borrowing_sub(y, n & 2 == 2);
        out[o + 8] = s;
        out[o + 9] = d;
        let i = x as i32;
        out[o + 10] = i.count_ones() + (i.leading_zeros() << 8) + (i.trailing_zeros() << 16);
        out[o + 11] = i.rotate_left(n) as u32;
        out[o + 12] = i.reverse_bits().wrapping_neg() as u32;
        out[o + 13] = x.wrapping_div(y) ^ x.wrapping_rem(y) ^ x.wrapping_shl(n) ^ y.wrapping_shr(n);
        // Positive finite floats only: NaN payloads are not promised through every driver.
        out[o + 14] = (f32::from_bits(x & 0x3fff_ffff) * 2.0).to_bits();
        out[o + 15] = x.overflowing_add(y).0 ^ x.overflowing_sub(y).0;
        let (_, ov) = x.overflowing_add(y);
        flags[k] = (c as u32)
            | ((borrow as u32) << 1)
            | ((ov as u32) << 2)
            | ((x.overflowing_sub(y).1 as u32) << 3);
    }
}

/// The same on `u64` and `i64`.
#[compute_kernel(workgroup_size = 64)]
pub fn bits64(a: &[u64], b: &[u64], n: u32, out: &mut [u64], flags: &mut [u32]) {
    let k = global_id().x;
    if k < a.len() {
        let x = a[k];
        let y = b[k];
        let o = k * 12;
        out[o] = (x.count_ones() + (x.leading_zeros() << 8) + (x.trailing_zeros() << 16)) as u64;
        out[o + 1] = x.rotate_left(n);
        out[o + 2] = x.rotate_right(n);
        out[o + 3] = x.reverse_bits();
        let (lo, hi) = x.widening_mul(y);
        out[o + 4] = lo;
        out[o + 5] = hi;
        let (s, c) = x.carrying_add(y, n & 1 == 1);
        let (d, borrow) = x.borrowing_sub(y, n & 2 == 2);
        out[o + 6] = s;
        out[o + 7] = d;
        let i = x as i64;
        out[o + 8] =
            (i.count_ones() + (i.leading_zeros() << 8) + (i.trailing_zeros() << 16)) as u64;
        out[o + 9] = i.rotate_right(n).wrapping_neg() as u64;
        out[o + 10] = x.wrapping_mul(y) ^ x.wrapping_shl(n);
        out[o + 11] = i.reverse_bits() as u64;
        flags[k] = (c as u32)
            | ((borrow as u32) << 1)
            | ((x.overflowing_add(y).1 as u32) << 2)
            | ((x.overflowing_sub(y).1 as u32) << 3);
    }
}

/// `to_bits`/`from_bits` of `f64`: `bits = x.to_bits()`, `y = f64::from_bits(u)`.
#[compute_kernel(workgroup_size = 64)]
pub fn bits_f64(x: &[f64], u: &[u64], bits: &mut [u64], y: &mut [f64]) {
    let k = global_id().x;
    if k < x.len() {
        bits[k] = x[k].to_bits();
        y[k] = f64::from_bits(u[k]);
    }
}

fn inputs32() -> (Vec<u32>, Vec<u32>) {
    let mut a = vec![
        0,
        1,
        2,
        0x8000_0000,
        u32::MAX,
        u32::MAX - 1,
        0x0001_0000,
        0xffff,
    ];
    let mut b = vec![
        0,
        u32::MAX,
        1,
        0x8000_0000,
        u32::MAX,
        2,
        0xffff,
        0x0001_0001,
    ];
    let mut r = 0x9e37_79b9u32;
    for i in 0..120 {
        r ^= r << 13;
        r ^= r >> 17;
        r ^= r << 5;
        a.push(r >> (i % 32));
        b.push(r.rotate_left(7) >> ((i * 7) % 32));
    }
    (a, b)
}

fn inputs64() -> (Vec<u64>, Vec<u64>) {
    let mut a = vec![
        0,
        1,
        u32::MAX as u64,
        1 << 32,
        u64::MAX,
        1 << 63,
        0xffff_ffff_0000_0000,
        0x0000_0001_ffff_ffff,
    ];
    let mut b = vec![
        0,
        u64::MAX,
        1,
        u32::MAX as u64,
        u64::MAX,
        1 << 63,
        0x0000_0001_0000_0000,
        0xffff_ffff,
    ];
    let mut r = 0x2545_f491_4f6c_dd1du64;
    for i in 0..120u64 {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        a.push(r >> (i % 64));
        b.push(r.rotate_left(11) >> ((i * 7) % 64));
    }
    (a, b)
}

const AMOUNTS: [u32; 7] = [0, 1, 3, 31, 32, 63, 100];

#[each_backend]
fn u32_bit_operations_match_rust(dev: &Device) {
    let (a, b) = inputs32();
    let len = a.len();
    let (ab, bb) = (dev.upload(&a).unwrap(), dev.upload(&b).unwrap());
    for n in AMOUNTS {
        let mut out = dev.zeros::<u32>(len * 16).unwrap();
        let mut flags = dev.zeros::<u32>(len).unwrap();
        bits32::launch(dev, Grid::linear(len), &ab, &bb, n, &mut out, &mut flags)
            .unwrap_or_else(|e| panic!("{}: {e}", dev.name()));
        let (out, flags) = (out.to_vec().unwrap(), flags.to_vec().unwrap());
        for k in 0..len {
            let (x, y) = (a[k], b[k]);
            let p = x as u64 * y as u64;
            let (s1, c1) = x.overflowing_add(y);
            let (s, c2) = s1.overflowing_add(n & 1);
            let (d1, b1) = x.overflowing_sub(y);
            let (d, b2) = d1.overflowing_sub((n >> 1) & 1);
            let i = x as i32;
            let want = [
                x.count_ones(),
                x.leading_zeros(),
                x.trailing_zeros(),
                x.rotate_left(n),
                x.rotate_right(n),
                x.reverse_bits(),
                p as u32,
                (p >> 32) as u32,
                s,
                d,
                i.count_ones() + (i.leading_zeros() << 8) + (i.trailing_zeros() << 16),
                i.rotate_left(n) as u32,
                i.reverse_bits().wrapping_neg() as u32,
                x.checked_div(y).unwrap_or(x)
                    ^ x.checked_rem(y).unwrap_or(0)
                    ^ x.wrapping_shl(n)
                    ^ y.wrapping_shr(n),
                (f32::from_bits(x & 0x3fff_ffff) * 2.0).to_bits(),
                s1 ^ d1,
            ];
            assert_eq!(
                &out[k * 16..k * 16 + 16],
                &want,
                "{}: {x:#x} {y:#x} n {n}",
                dev.name()
            );
            let f =
                (c1 | c2) as u32 | ((b1 | b2) as u32) << 1 | (c1 as u32) << 2 | (b1 as u32) << 3;
            assert_eq!(flags[k], f, "{}: flags {x:#x} {y:#x} n {n}", dev.name());
        }
    }
}

#[each_backend]
fn u64_bit_operations_match_rust(dev: &Device) {
    let (a, b) = inputs64();
    let len = a.len();
    let (ab, bb) = (dev.upload(&a).unwrap(), dev.upload(&b).unwrap());
    for n in AMOUNTS {
        let mut out = dev.zeros::<u64>(len * 12).unwrap();
        let mut flags = dev.zeros::<u32>(len).unwrap();
        bits64::launch(dev, Grid::linear(len), &ab, &bb, n, &mut out, &mut flags)
            .unwrap_or_else(|e| panic!("{}: {e}", dev.name()));
        let (out, flags) = (out.to_vec().unwrap(), flags.to_vec().unwrap());
        for k in 0..len {
            let (x, y) = (a[k], b[k]);
            let p = x as u128 * y as u128;
            let (s1, c1) = x.overflowing_add(y);
            let (s, c2) = s1.overflowing_add((n & 1) as u64);
            let (d1, b1) = x.overflowing_sub(y);
            let (d, b2) = d1.overflowing_sub(((n >> 1) & 1) as u64);
            let i = x as i64;
            let want = [
                (x.count_ones() + (x.leading_zeros() << 8) + (x.trailing_zeros() << 16)) as u64,
                x.rotate_left(n),
                x.rotate_right(n),
                x.reverse_bits(),
                p as u64,
                (p >> 64) as u64,
                s,
                d,
                (i.count_ones() + (i.leading_zeros() << 8) + (i.trailing_zeros() << 16)) as u64,
                i.rotate_right(n).wrapping_neg() as u64,
                x.wrapping_mul(y) ^ x.wrapping_shl(n),
                i.reverse_bits() as u64,
            ];
            assert_eq!(
                &out[k * 12..k * 12 + 12],
                &want,
                "{}: {x:#x} {y:#x} n {n}",
                dev.name()
            );
            let f =
                (c1 | c2) as u32 | ((b1 | b2) as u32) << 1 | (c1 as u32) << 2 | (b1 as u32) << 3;
            assert_eq!(flags[k], f, "{}: flags {x:#x} {y:#x} n {n}", dev.name());
        }
    }
}

#[each_backend]
fn f64_bits_round_trip_as_rust(dev: &Device) {
    let x: Vec<f64> = vec![
        0.0,
        -0.0,
        1.0,
        -1.5,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        -2.5e-310,
        1e300,
        std::f64::consts::PI,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    // Vulkan lets a driver flush f64 subnormals (lavapipe does, even in comparisons), so
    // they are checked on the CPU and CUDA only; the README says so.
    let x: Vec<f64> = x
        .into_iter()
        .filter(|v| dev.backend() != Backend::Wgpu || !v.is_subnormal())
        .collect();
    let u: Vec<u64> = x.iter().map(|v| v.to_bits()).collect();
    let (xb, ub) = (dev.upload(&x).unwrap(), dev.upload(&u).unwrap());
    let mut bits = dev.zeros::<u64>(x.len()).unwrap();
    let mut y = dev.zeros::<f64>(x.len()).unwrap();
    let r = bits_f64::launch(dev, Grid::linear(x.len()), &xb, &ub, &mut bits, &mut y);
    if lacks_shader_feature(dev, r, &["SHADER_F64"]) {
        return;
    }
    assert_eq!(bits.to_vec().unwrap(), u, "{}", dev.name());
    let y: Vec<u64> = y.to_vec().unwrap().iter().map(|v| v.to_bits()).collect();
    assert_eq!(y, u, "{}", dev.name());
}
