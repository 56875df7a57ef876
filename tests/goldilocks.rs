//! The Goldilocks field (`kernelforge::zk::goldilocks`) on every backend present, bit for bit
//! against Plonky3's `p3-goldilocks` and `p3-dft`: edge values (0, 1, p - 1, p and the other
//! non-canonical values, every 32-bit limb at its maximum, carries across the limb boundary)
//! in every pair, values from a fixed seed, batch inversion with and without zeros, and the
//! NTT at 2^0..2^16 against Plonky3's radix-2 DFT, with round trips. Field arithmetic is exact,
//! so there is no tolerance: every backend must give the reference's bits.

mod common;

use common::each_backend;
use kernelforge::zk::goldilocks::{self, P};
use kernelforge::{Buffer, Device};
use p3_dft::{Radix2DitParallel, TwoAdicSubgroupDft};
use p3_field::{Field, PrimeField64};
use p3_goldilocks::Goldilocks;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;

/// Values where the reduction's branches turn: 0, 1, p - 1, the non-canonical p, p + 1 and
/// 2^64 - 1, each 32-bit limb at its maximum, and the carries across the limb boundary.
const EDGES: [u64; 16] = [
    0,
    1,
    2,
    P - 1,
    P,
    P + 1,
    u64::MAX,
    0xffff_ffff,
    0x1_0000_0000,
    0xffff_ffff_0000_0000,
    0x8000_0000_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0xffff_fffe_ffff_ffff,
    0x0000_0001_ffff_ffff,
    0xdead_beef_cafe_f00d,
    P - 2,
];

/// `n` values from the fixed seed `seed`, all of `u64`, non-canonical ones included.
fn random(n: usize, seed: u64) -> Vec<u64> {
    kernelforge_reference::words(n, seed)
}

/// Every pair of edge values, then `extra` pairs from the seed.
fn pairs(extra: usize) -> (Vec<u64>, Vec<u64>) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for &x in &EDGES {
        for &y in &EDGES {
            a.push(x);
            b.push(y);
        }
    }
    a.extend(random(extra, 1));
    b.extend(random(extra, 2));
    (a, b)
}

fn gl(x: u64) -> Goldilocks {
    Goldilocks::new(x)
}

/// A host function of `zk::goldilocks` on two inputs.
type Op = fn(&Device, &Buffer<u64>, &Buffer<u64>, &mut Buffer<u64>) -> kernelforge::Result<()>;
/// Its reference in Plonky3.
type Reference = fn(Goldilocks, Goldilocks) -> Goldilocks;

#[each_backend]
fn add_sub_mul_are_the_references(dev: &Device) {
    let (a, b) = pairs(100_000);
    let ops: [(&str, Op, Reference); 3] = [
        ("add", goldilocks::add, |x, y| x + y),
        ("sub", goldilocks::sub, |x, y| x - y),
        ("mul", goldilocks::mul, |x, y| x * y),
    ];
    let (ab, bb) = (dev.upload(&a).unwrap(), dev.upload(&b).unwrap());
    for (name, op, reference) in ops {
        let mut out = dev.zeros::<u64>(a.len()).unwrap();
        op(dev, &ab, &bb, &mut out).unwrap();
        let got = out.to_vec().unwrap();
        for (i, (&x, &y)) in a.iter().zip(&b).enumerate() {
            let want = reference(gl(x), gl(y)).as_canonical_u64();
            assert_eq!(
                got[i],
                want,
                "{name}({x:#x}, {y:#x}) on {} (element {i})",
                dev.name()
            );
        }
    }
}

/// The `_v2` kernels (two elements an invocation, the product from 32-bit limbs), which
/// `zk::goldilocks` runs on wgpu only, launched directly on every backend at odd and even
/// lengths (the odd one's last element is the scalar tail).
#[each_backend]
fn two_an_invocation_kernels_are_the_references(dev: &Device) {
    use kernelforge::kernels::{goldilocks_add_v2, goldilocks_mul_v2, goldilocks_sub_v2};
    use kernelforge::Grid;
    let (a, b) = pairs(1_001);
    for n in [1, 2, a.len() - 1, a.len()] {
        let (ab, bb) = (dev.upload(&a[..n]).unwrap(), dev.upload(&b[..n]).unwrap());
        for (name, reference) in [
            ("add", (|x, y| x + y) as Reference),
            ("sub", |x, y| x - y),
            ("mul", |x, y| x * y),
        ] {
            let mut out = dev.zeros::<u64>(n).unwrap();
            let grid = Grid::linear(n.div_ceil(2));
            match name {
                "add" => goldilocks_add_v2::launch(dev, grid, &ab, &bb, &mut out),
                "sub" => goldilocks_sub_v2::launch(dev, grid, &ab, &bb, &mut out),
                _ => goldilocks_mul_v2::launch(dev, grid, &ab, &bb, &mut out),
            }
            .unwrap();
            let got = out.to_vec().unwrap();
            for i in 0..n {
                let want = reference(gl(a[i]), gl(b[i])).as_canonical_u64();
                assert_eq!(
                    got[i],
                    want,
                    "{name}_v2 at n={n}, element {i}, on {}",
                    dev.name()
                );
            }
        }
    }
}

#[each_backend]
fn empty_and_mismatched_buffers(dev: &Device) {
    let e = dev.zeros::<u64>(0).unwrap();
    let mut out = dev.zeros::<u64>(0).unwrap();
    goldilocks::mul(dev, &e, &e, &mut out).unwrap();
    let a = dev.upload(&[1u64, 2, 3]).unwrap();
    let mut short = dev.zeros::<u64>(2).unwrap();
    let err = goldilocks::add(dev, &a, &a, &mut short)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`out` has 2 elements where `a` has 3"),
        "{err}"
    );
    let err = goldilocks::batch_inverse(dev, &a, &mut short)
        .unwrap_err()
        .to_string();
    assert!(err.contains("one length"), "{err}");
}

#[each_backend]
fn batch_inverse_is_the_reference(dev: &Device) {
    // Every nonzero edge value, then a length that leaves the last run of 32 short.
    let mut a: Vec<u64> = EDGES.iter().copied().filter(|&x| x % P != 0).collect();
    a.extend(random(10_007, 3).into_iter().filter(|&x| x % P != 0));
    let ab = dev.upload(&a).unwrap();
    let mut out = dev.zeros::<u64>(a.len()).unwrap();
    goldilocks::batch_inverse(dev, &ab, &mut out).unwrap();
    let got = out.to_vec().unwrap();
    for (i, &x) in a.iter().enumerate() {
        let want = gl(x).inverse().as_canonical_u64();
        assert_eq!(got[i], want, "1/{x:#x} on {} (element {i})", dev.name());
    }
}

#[each_backend]
fn batch_inverse_names_the_first_zero(dev: &Device) {
    let mut a = random(100, 4);
    a[70] = P; // 0 mod p, not canonical
    a[41] = 0;
    a[99] = 0;
    let ab = dev.upload(&a).unwrap();
    let mut out = dev.zeros::<u64>(a.len()).unwrap();
    let err = goldilocks::batch_inverse(dev, &ab, &mut out)
        .unwrap_err()
        .to_string();
    assert!(err.contains("a[41] is 0 (mod p)"), "{err}");
    let got = out.to_vec().unwrap();
    for (i, &x) in a.iter().enumerate() {
        let want = if x % P == 0 {
            0
        } else {
            gl(x).inverse().as_canonical_u64()
        };
        assert_eq!(got[i], want, "1/{x:#x} on {} (element {i})", dev.name());
    }
}

/// Plonky3's DFT of `x` (`w = 7^((p-1)/n)`, the same root), in natural order.
fn reference_ntt(x: &[u64]) -> Vec<u64> {
    let values: Vec<Goldilocks> = x.iter().map(|&v| gl(v)).collect();
    let dft = Radix2DitParallel::<Goldilocks>::default();
    let out = dft
        .dft_batch(RowMajorMatrix::new_col(values))
        .to_row_major_matrix();
    out.values.iter().map(|v| v.as_canonical_u64()).collect()
}

#[each_backend]
fn ntt_is_the_reference_and_inverts(dev: &Device) {
    for bits in 0..=16 {
        let n = 1usize << bits;
        let mut x = random(n, 5 + bits as u64);
        // Non-canonical and edge values at the front.
        for (v, &e) in x.iter_mut().zip(&EDGES) {
            *v = e;
        }
        let mut data = dev.upload(&x).unwrap();
        goldilocks::ntt(dev, &mut data, false).unwrap();
        let got = data.to_vec().unwrap();
        assert_eq!(got, reference_ntt(&x), "ntt of 2^{bits} on {}", dev.name());
        goldilocks::ntt(dev, &mut data, true).unwrap();
        let back = data.to_vec().unwrap();
        let canonical: Vec<u64> = x.iter().map(|&v| v % P).collect();
        assert_eq!(back, canonical, "inverse ntt of 2^{bits} on {}", dev.name());
    }
}

#[each_backend]
fn ntt_refuses_other_lengths(dev: &Device) {
    for n in [0, 3, 96] {
        let mut data = dev.zeros::<u64>(n).unwrap();
        let err = goldilocks::ntt(dev, &mut data, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("power of two from 1 to 2^24, and it is {n}")),
            "{err}"
        );
    }
}

#[test]
fn root_of_unity_is_plonky3s() {
    use p3_field::TwoAdicField;
    for bits in 0..=32 {
        let want = Goldilocks::two_adic_generator(bits).as_canonical_u64();
        assert_eq!(goldilocks::root_of_unity(1 << bits), want, "order 2^{bits}");
    }
}
