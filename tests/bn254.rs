//! BN254's scalar field (`kernelforge::zk::bn254`) on every backend present, bit for bit
//! against arkworks' `ark-bn254` (`Fr`, reduced from the same 256-bit values with
//! `from_le_bytes_mod_order`): every pair of edge values (0, 1, r - 1, r and other values at or
//! past r up to 2^256 - 1, every limb at its maximum, carries across each limb boundary) and
//! 20,000 seeded pairs of any 256-bit values, through the API and through both multiplication
//! kernels (64-bit and 13-bit limbs). Field arithmetic is exact: no tolerance.

mod common;

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use common::each_backend;
use kernelforge::kernels::{bn254_fr_mul, bn254_fr_mul_u32};
use kernelforge::zk::bn254::{self, R};
use kernelforge::{Buffer, Device, Grid};

type Limbs = [u64; 4];

/// `x + y` over 256 bits, wrapping (to build edge values).
fn add(x: Limbs, y: Limbs) -> Limbs {
    let mut out = [0; 4];
    let mut carry = false;
    for i in 0..4 {
        let (s, c1) = x[i].overflowing_add(y[i]);
        let (s, c2) = s.overflowing_add(carry as u64);
        out[i] = s;
        carry = c1 || c2;
    }
    out
}

fn edges() -> Vec<Limbs> {
    let r = R;
    let one = [1, 0, 0, 0];
    let max = [u64::MAX; 4];
    let r2 = add(r, r);
    let r4 = add(r2, r2);
    let mut v = vec![
        [0; 4],
        one,
        add(r, max), // r - 1
        r,
        add(r, one),
        add(r2, max), // 2r - 1
        r4,
        add(r4, r), // 5r, the largest multiple below 2^256
        max,
    ];
    // Carries across each limb boundary: 2^(64k) - 1 and 2^(64k).
    for k in 1..4 {
        let mut below = [0; 4];
        below[..k].fill(u64::MAX);
        let mut at = [0; 4];
        at[k] = 1;
        v.push(below);
        v.push(at);
    }
    v
}

/// `n` 256-bit values from a fixed seed.
fn random(n: usize, seed: u64) -> Vec<Limbs> {
    let w = kernelforge_reference::words(4 * n, seed);
    w.chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect()
}

fn fr(x: Limbs) -> Fr {
    let bytes: Vec<u8> = x.iter().flat_map(|l| l.to_le_bytes()).collect();
    Fr::from_le_bytes_mod_order(&bytes)
}

fn limbs(x: Fr) -> Limbs {
    let b = x.into_bigint();
    let mut out = [0; 4];
    out.copy_from_slice(&b.as_ref()[..4]);
    debug_assert!(b.num_bits() <= 254);
    out
}

type Op = fn(&Device, &Buffer<u64>, &Buffer<u64>, &mut Buffer<u64>) -> kernelforge::Result<()>;
type Reference = fn(Fr, Fr) -> Fr;

/// The 64-bit-limb or the 13-bit-limb (`u32`) multiplication kernel, launched directly.
fn launch_mul(
    dev: &Device,
    a: &Buffer<u64>,
    b: &Buffer<u64>,
    out: &mut Buffer<u64>,
    u32_limbs: bool,
) -> kernelforge::Result<()> {
    let grid = Grid::linear(a.len() / 4);
    if u32_limbs {
        bn254_fr_mul_u32::launch(dev, grid, a, b, out)
    } else {
        bn254_fr_mul::launch(dev, grid, a, b, out)
    }
}

#[each_backend]
fn fr_add_sub_mul_are_arkworks(dev: &Device) {
    let e = edges();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for &x in &e {
        for &y in &e {
            a.push(x);
            b.push(y);
        }
    }
    a.extend(random(20_000, 1));
    b.extend(random(20_000, 2));
    let flat = |v: &[Limbs]| -> Vec<u64> { v.iter().flatten().copied().collect() };
    let (ab, bb) = (
        dev.upload(&flat(&a)).unwrap(),
        dev.upload(&flat(&b)).unwrap(),
    );
    let ops: [(&str, Op, Reference); 5] = [
        ("fr_add", bn254::fr_add, |x, y| x + y),
        ("fr_sub", bn254::fr_sub, |x, y| x - y),
        ("fr_mul", bn254::fr_mul, |x, y| x * y),
        // Both multiplication kernels on every backend, whichever `fr_mul` picks there.
        (
            "bn254_fr_mul",
            |d, a, b, o| launch_mul(d, a, b, o, false),
            |x, y| x * y,
        ),
        (
            "bn254_fr_mul_u32",
            |d, a, b, o| launch_mul(d, a, b, o, true),
            |x, y| x * y,
        ),
    ];
    for (name, op, reference) in ops {
        let mut out = dev.zeros::<u64>(4 * a.len()).unwrap();
        op(dev, &ab, &bb, &mut out).unwrap();
        let got = out.to_vec().unwrap();
        for (i, (&x, &y)) in a.iter().zip(&b).enumerate() {
            let want = limbs(reference(fr(x), fr(y)));
            assert_eq!(
                got[4 * i..4 * i + 4],
                want,
                "{name}({x:x?}, {y:x?}) on {} (element {i})",
                dev.name()
            );
        }
    }
}

#[each_backend]
fn partial_elements_and_mismatched_buffers(dev: &Device) {
    let a = dev.upload(&[1u64; 6]).unwrap();
    let mut out = dev.zeros::<u64>(6).unwrap();
    let err = bn254::fr_mul(dev, &a, &a, &mut out)
        .unwrap_err()
        .to_string();
    assert!(err.contains("6 limbs are not whole elements"), "{err}");
    let mut short = dev.zeros::<u64>(4).unwrap();
    let err = bn254::fr_add(dev, &a, &a, &mut short)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`out` has 4 elements where `a` has 6"),
        "{err}"
    );
    let e = dev.zeros::<u64>(0).unwrap();
    let mut none = dev.zeros::<u64>(0).unwrap();
    bn254::fr_sub(dev, &e, &e, &mut none).unwrap();
}
