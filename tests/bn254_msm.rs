//! Multi-scalar multiplication over BN254's G1 (`kernelforge::zk::bn254::msm`) on every backend
//! present, against arkworks' `VariableBaseMSM` (`ark-ec`): 1, 2, 1,000 and 2^16 points, with
//! scalars 0, 1, r - 1 and values at or past r among seeded ones; repeated points, a point and
//! its negation, sums that are the identity. The group law is exact: the affine result must be
//! the same bits.

mod common;

use ark_bn254::{Fr, G1Affine as ArkAffine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{BigInteger, PrimeField};
use common::each_backend;
use kernelforge::zk::bn254::{self, G1Affine, R};
use kernelforge::Device;

type Limbs = [u64; 4];

/// `n` distinct points `k P`, `k = 1..=n` for a seeded `P`, made affine.
fn points(n: usize, seed: u64) -> Vec<ArkAffine> {
    let p = G1Projective::generator() * fr(words(1, seed)[0]);
    let mut acc = G1Projective::default();
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        acc += p;
        v.push(acc);
    }
    G1Projective::normalize_batch(&v)
}

/// `n` 256-bit values from a fixed seed.
fn words(n: usize, seed: u64) -> Vec<Limbs> {
    let w = kernelforge_reference::words(4 * n, seed);
    w.chunks(4).map(|c| [c[0], c[1], c[2], c[3]]).collect()
}

fn fr(x: Limbs) -> Fr {
    let bytes: Vec<u8> = x.iter().flat_map(|l| l.to_le_bytes()).collect();
    Fr::from_le_bytes_mod_order(&bytes)
}

fn limbs<B: BigInteger>(b: B) -> Limbs {
    let mut out = [0; 4];
    out.copy_from_slice(&b.as_ref()[..4]);
    out
}

/// arkworks' affine point as `zk::bn254::G1Affine`.
fn ours(p: ArkAffine) -> G1Affine {
    if p.is_zero() {
        return G1Affine::IDENTITY;
    }
    G1Affine {
        x: limbs(p.x.into_bigint()),
        y: limbs(p.y.into_bigint()),
        infinity: false,
    }
}

/// Our MSM of `scalars` and `bases` on `dev`, and arkworks'.
fn both(dev: &Device, scalars: &[Limbs], bases: &[ArkAffine]) -> (G1Affine, G1Affine) {
    let flat: Vec<u64> = scalars.iter().flatten().copied().collect();
    let pts: Vec<u64> = bases
        .iter()
        .flat_map(|p| {
            let mut v = limbs(p.x.into_bigint()).to_vec();
            v.extend(limbs(p.y.into_bigint()));
            v
        })
        .collect();
    let (s, b) = (dev.upload(&flat).unwrap(), dev.upload(&pts).unwrap());
    let got = bn254::msm(dev, &s, &b).unwrap();
    let frs: Vec<Fr> = scalars.iter().map(|&x| fr(x)).collect();
    let want = G1Projective::msm(bases, &frs).unwrap().into_affine();
    (got, ours(want))
}

const ONE: Limbs = [1, 0, 0, 0];

fn r_minus_1() -> Limbs {
    [R[0] - 1, R[1], R[2], R[3]]
}

#[each_backend]
fn msm_of_one_and_two_points(dev: &Device) {
    let p = points(2, 1);
    let cases: Vec<(Vec<Limbs>, Vec<ArkAffine>)> = vec![
        (vec![ONE], vec![p[0]]),
        (vec![r_minus_1()], vec![p[0]]), // -P
        (vec![[0; 4]], vec![p[0]]),      // the identity
        (vec![R], vec![p[0]]),           // r P = the identity
        (vec![[u64::MAX; 4]], vec![p[0]]),
        (words(1, 2), vec![p[1]]),
        (words(2, 3), p.clone()),
        (vec![[0; 4], r_minus_1()], p.clone()),
        (vec![ONE, ONE], vec![p[0], p[0]]), // a doubling in one bucket
        (vec![ONE, ONE], vec![p[0], -p[0]]), // P - P
        (vec![ONE, r_minus_1()], vec![p[0], p[0]]), // P - P by the scalar
    ];
    for (i, (s, b)) in cases.iter().enumerate() {
        let (got, want) = both(dev, s, b);
        assert_eq!(got, want, "case {i} on {}", dev.name());
    }
}

#[each_backend]
fn msm_of_1000_points_with_edge_scalars(dev: &Device) {
    let b = points(1000, 4);
    let mut s = words(1000, 5);
    s[0] = [0; 4];
    s[1] = ONE;
    s[2] = r_minus_1();
    s[3] = R;
    s[4] = [u64::MAX; 4];
    s[999] = r_minus_1();
    let (got, want) = both(dev, &s, &b);
    assert_eq!(got, want, "on {}", dev.name());
    assert!(!got.infinity);
}

#[each_backend]
fn msm_of_2_16_points(dev: &Device) {
    let n = 1 << 16;
    let b = points(n, 6);
    let mut s = words(n, 7);
    s[0] = [0; 4];
    s[n - 1] = r_minus_1();
    let (got, want) = both(dev, &s, &b);
    assert_eq!(got, want, "on {}", dev.name());
}

#[each_backend]
fn msm_that_sums_to_the_identity(dev: &Device) {
    // k P + (r - k) P, and all-zero scalars.
    let p = points(1, 8);
    let k = [5, 0, 0, 0];
    let rk = [R[0] - 5, R[1], R[2], R[3]];
    let (got, want) = both(dev, &[k, rk], &[p[0], p[0]]);
    assert_eq!((got, want), (G1Affine::IDENTITY, G1Affine::IDENTITY));
    let p = points(100, 9);
    let (got, want) = both(dev, &[[0; 4]; 100], &p);
    assert_eq!((got, want), (G1Affine::IDENTITY, G1Affine::IDENTITY));
}

#[each_backend]
fn msm_shape_errors(dev: &Device) {
    let s = dev.upload(&[1u64; 6]).unwrap();
    let b = dev.upload(&[1u64; 12]).unwrap();
    let err = bn254::msm(dev, &s, &b).unwrap_err().to_string();
    assert!(err.contains("`scalars` has 6 limbs"), "{err}");
    let s = dev.upload(&[1u64; 8]).unwrap();
    let err = bn254::msm(dev, &s, &b).unwrap_err().to_string();
    assert!(
        err.contains("`bases` has 12 limbs where 2 scalars need 16"),
        "{err}"
    );
    let none = dev.zeros::<u64>(0).unwrap();
    assert_eq!(bn254::msm(dev, &none, &none).unwrap(), G1Affine::IDENTITY);
}

/// Equal scalars put every point in one bucket a window: right everywhere, except on lavapipe,
/// where a bucket of more than 1,090 points is past llvmpipe's loop limit and the call says so,
/// unless the device's CPU fallback is on: then the sum runs on the CPU, right, and the device
/// lists `bn254_msm` among its fallbacks.
#[each_backend]
fn msm_of_equal_scalars(dev: &Device) {
    let b = points(2048, 10);
    let s = vec![[5, 0, 0, 0]; 2048];
    if dev.name().contains("llvmpipe") {
        let flat: Vec<u64> = s.iter().flatten().copied().collect();
        let pts: Vec<u64> = b
            .iter()
            .flat_map(|p| [limbs(p.x.into_bigint()), limbs(p.y.into_bigint())].concat())
            .collect();
        let (sb, bb) = (dev.upload(&flat).unwrap(), dev.upload(&pts).unwrap());
        let err = bn254::msm(dev, &sb, &bb).unwrap_err().to_string();
        assert!(
            err.contains("llvmpipe") && err.contains("CPU backend"),
            "{err}"
        );
        assert!(dev.fallen_back_kernels().is_empty());
        dev.set_cpu_fallback(true);
        let (got, want) = both(dev, &s, &b);
        assert_eq!(
            got,
            want,
            "2048 equal scalars on {}, through the CPU",
            dev.name()
        );
        assert_eq!(dev.fallen_back_kernels(), ["bn254_msm"]);
        dev.set_cpu_fallback(false);
        let (s1, b1) = (&vec![[5, 0, 0, 0]; 1000], &points(1000, 10));
        let (got, want) = both(dev, s1, b1);
        assert_eq!(got, want, "1000 equal scalars on {}", dev.name());
        return;
    }
    let (got, want) = both(dev, &s, &b);
    assert_eq!(got, want, "on {}", dev.name());
}
