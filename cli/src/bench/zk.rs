//! The finite-field kernels of `kernelforge::zk` beside Plonky3, the reference crate, as its
//! users run it: `goldilocks_mul` (`elements` products, at most 2^24) against a rayon loop and
//! a serial loop over `p3_goldilocks::Goldilocks` products, and `goldilocks_ntt` (2^20 points,
//! in place) against `p3_dft::Radix2DitParallel` (rayon; natural order out, as ours) and
//! `p3_dft::Radix2Dit` on one thread; `bn254_fr_mul` (`elements / 4` products, at most
//! 2^22) against rayon and serial loops over `ark_bn254::Fr` products, and its two kernels
//! launched directly on every backend (`bn254_fr_mul_u64`, the kernel `bn254_fr_mul`, and
//! `bn254_fr_mul_u32`); `bn254_msm_<points>`
//! (2^16 and 2^18 points, fewer with fewer `elements`) against arkworks' `VariableBaseMSM` over
//! rayon and on one thread. Peers run on the CPU only. Every result is checked bit for bit
//! against the reference crate's.

use super::kernels::case;
use super::peers::{host_case, PEER_CHUNK};
use super::wide::exact;
use super::{Case, Check, Keep};
use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::PrimeField;
use kernelforge::kernels::{bn254_fr_mul, bn254_fr_mul_u32, goldilocks_mul_v2};
use kernelforge::zk::{bn254, goldilocks};
use kernelforge::{Backend, Device, Result};
use kernelforge_reference::words;
use p3_dft::{Radix2Dit, Radix2DitParallel, TwoAdicSubgroupDft};
use p3_field::PrimeField64;
use p3_goldilocks::Goldilocks;
use p3_matrix::dense::RowMajorMatrix;
use p3_matrix::Matrix;
use rayon::prelude::*;

/// The NTT's length: 2^20, the size.
const NTT_LEN: usize = 1 << 20;

fn field(x: &[u64]) -> Vec<Goldilocks> {
    x.iter().map(|&v| Goldilocks::new(v)).collect()
}

fn canonical(x: &[Goldilocks]) -> Vec<u64> {
    x.par_iter().map(|v| v.as_canonical_u64()).collect()
}

/// The cases on `dev` that `keep` names: (name, case, whether it is a peer of `name`).
pub(crate) fn cases<'a>(
    dev: &'a Device,
    elements: usize,
    keep: Keep<'_>,
) -> Vec<(String, Result<Case<'a>>, bool)> {
    let mut out = Vec::new();
    let cpu = dev.backend() == Backend::Cpu;
    if keep("goldilocks_mul") {
        let n = elements.min(1 << 24);
        let (a, b) = (words(n, 1), words(n, 2));
        let want = {
            let (fa, fb) = (field(&a), field(&b));
            let prod: Vec<Goldilocks> = fa.par_iter().zip(&fb).map(|(&x, &y)| x * y).collect();
            canonical(&prod)
        };
        let name = "goldilocks_mul";
        out.push((
            name.into(),
            mul_case(dev, &a, &b, want.clone(), false),
            false,
        ));
        // The two-an-invocation form on every backend: the evidence for `mul`'s choice.
        let v2 = mul_case(dev, &a, &b, want.clone(), true);
        out.push(("goldilocks_mul_v2".into(), v2, false));
        if cpu {
            for parallel in [true, false] {
                let (fa, fb) = (field(&a), field(&b));
                let peer =
                    product_peer(name, fa, fb, PEER_CHUNK, canonical, want.clone(), parallel);
                out.push((name.into(), Ok(peer), true));
            }
        }
    }
    // The API's choice, then each multiplication kernel launched directly on every backend:
    // the evidence for that choice.
    let fr_muls = [
        ("bn254_fr_mul", None),
        ("bn254_fr_mul_u64", Some(false)),
        ("bn254_fr_mul_u32", Some(true)),
    ];
    if fr_muls.iter().any(|&(name, _)| keep(name)) {
        let n = (elements / 4).min(1 << 22);
        // Canonical inputs, as the API takes them (and arkworks holds them).
        let (fa, fb) = (frs(&words(4 * n, 4)), frs(&words(4 * n, 5)));
        let (a, b) = (fr_limbs(&fa), fr_limbs(&fb));
        let want: Vec<u64> = fa
            .par_iter()
            .zip(&fb)
            .flat_map_iter(|(&x, &y)| (x * y).into_bigint().0)
            .collect();
        for (name, kernel) in fr_muls {
            if keep(name) {
                let case = fr_mul_case(dev, name, &a, &b, want.clone(), kernel);
                out.push((name.into(), case, false));
            }
        }
        let name = "bn254_fr_mul";
        if cpu && keep(name) {
            for parallel in [true, false] {
                let (pa, pb) = (fa.clone(), fb.clone());
                let chunk = PEER_CHUNK / 4;
                let peer = product_peer(name, pa, pb, chunk, fr_limbs, want.clone(), parallel);
                out.push((name.into(), Ok(peer), true));
            }
        }
    }
    // The sizes, 2^16 and 2^18 points, at the default 2^24 elements.
    let mut sizes = vec![
        (elements / 256).clamp(1, 1 << 16),
        (elements / 64).clamp(1, 1 << 18),
    ];
    sizes.dedup();
    for n in sizes {
        let name = format!("bn254_msm_{n}");
        if !keep(&name) {
            continue;
        }
        let bases = msm_bases(n);
        let scalars = frs(&words(4 * n, 6));
        let want = G1Projective::msm(&bases, &scalars)
            .expect("as many scalars as bases")
            .into_affine();
        out.push((
            name.clone(),
            msm_case(dev, &name, &bases, &scalars, want),
            false,
        ));
        if cpu {
            for parallel in [true, false] {
                let peer = msm_peer(&name, bases.clone(), scalars.clone(), want, parallel);
                out.push((name.clone(), Ok(peer), true));
            }
        }
    }
    if keep("goldilocks_ntt") {
        let x = words(NTT_LEN, 3);
        let want = canonical(
            &Radix2DitParallel::<Goldilocks>::default()
                .dft_batch(RowMajorMatrix::new_col(field(&x)))
                .to_row_major_matrix()
                .values,
        );
        let name = "goldilocks_ntt";
        out.push((name.into(), ntt_case(dev, x.clone(), want.clone()), false));
        if cpu {
            out.push((name.into(), Ok(ntt_peer(&x, want.clone(), true)), true));
            out.push((name.into(), Ok(ntt_peer(&x, want, false)), true));
        }
    }
    out
}

/// `zk::goldilocks::mul`, or with `v2` the `goldilocks_mul_v2` kernel itself.
fn mul_case<'a>(
    dev: &'a Device,
    a: &[u64],
    b: &[u64],
    want: Vec<u64>,
    v2: bool,
) -> Result<Case<'a>> {
    let (ab, bb) = (dev.upload(a)?, dev.upload(b)?);
    let mut out = dev.zeros::<u64>(a.len())?;
    let bytes = 24 * a.len() as u64;
    let name = if v2 {
        "goldilocks_mul_v2"
    } else {
        "goldilocks_mul"
    };
    Ok(case(dev, name, bytes, move |check| {
        if v2 {
            let grid = kernelforge::Grid::linear(ab.len().div_ceil(2));
            goldilocks_mul_v2::launch(dev, grid, &ab, &bb, &mut out)?;
        } else {
            goldilocks::mul(dev, &ab, &bb, &mut out)?;
        }
        if !check {
            return Ok(None);
        }
        Ok(Some(exact(out.to_vec()? == want)))
    }))
}

/// Elements of four limbs each, reduced mod r, as arkworks holds them (Montgomery form).
fn frs(limbs: &[u64]) -> Vec<Fr> {
    limbs
        .par_chunks(4)
        .map(|l| {
            let bytes: Vec<u8> = l.iter().flat_map(|x| x.to_le_bytes()).collect();
            Fr::from_le_bytes_mod_order(&bytes)
        })
        .collect()
}

/// `bn254::fr_mul` (`u32_limbs` `None`) or one of its kernels launched directly:
/// `bn254_fr_mul` (64-bit limbs) or `bn254_fr_mul_u32` (13-bit limbs).
fn fr_mul_case<'a>(
    dev: &'a Device,
    name: &'static str,
    a: &[u64],
    b: &[u64],
    want: Vec<u64>,
    u32_limbs: Option<bool>,
) -> Result<Case<'a>> {
    let (ab, bb) = (dev.upload(a)?, dev.upload(b)?);
    let mut out = dev.zeros::<u64>(a.len())?;
    let bytes = 8 * 3 * a.len() as u64;
    let grid = kernelforge::Grid::linear(a.len() / 4);
    Ok(case(dev, name, bytes, move |check| {
        match u32_limbs {
            None => bn254::fr_mul(dev, &ab, &bb, &mut out)?,
            Some(false) => bn254_fr_mul::launch(dev, grid, &ab, &bb, &mut out)?,
            Some(true) => bn254_fr_mul_u32::launch(dev, grid, &ab, &bb, &mut out)?,
        }
        if !check {
            return Ok(None);
        }
        Ok(Some(exact(out.to_vec()? == want)))
    }))
}

/// The reference crate's products `fa[i] * fb[i]` in its own element type (Plonky3's
/// `Goldilocks`, arkworks' Montgomery-form `Fr`), over rayon in chunks of `chunk` elements or
/// in one loop on this thread; `canonical` gives the products' canonical limbs for the check.
fn product_peer<'a, F>(
    name: &str,
    fa: Vec<F>,
    fb: Vec<F>,
    chunk: usize,
    canonical: fn(&[F]) -> Vec<u64>,
    want: Vec<u64>,
    parallel: bool,
) -> Case<'a>
where
    F: Copy + Default + Send + Sync + std::ops::Mul<Output = F> + 'a,
{
    let mut y = vec![F::default(); fa.len()];
    let bytes = 3 * std::mem::size_of::<F>() as u64 * fa.len() as u64;
    let step = move |check: bool| {
        if parallel {
            y.par_chunks_mut(chunk)
                .zip(fa.par_chunks(chunk).zip(fb.par_chunks(chunk)))
                .for_each(|(yc, (ac, bc))| {
                    for ((o, &p), &q) in yc.iter_mut().zip(ac).zip(bc) {
                        *o = p * q;
                    }
                });
        } else {
            for ((o, &p), &q) in y.iter_mut().zip(&fa).zip(&fb) {
                *o = p * q;
            }
        }
        Ok(check.then(|| exact(canonical(&y) == want)))
    };
    peer_case(name, parallel, bytes, step)
}

/// The canonical limbs of arkworks' elements.
fn fr_limbs(v: &[Fr]) -> Vec<u64> {
    v.iter().flat_map(|x| x.into_bigint().0).collect()
}

/// `n` distinct points `k P` (`k = 1..=n`, `P` a multiple of the generator), affine.
fn msm_bases(n: usize) -> Vec<G1Affine> {
    let p = G1Projective::generator() * Fr::from(0x9e37_79b9_7f4a_7c15u64);
    let mut acc = G1Projective::default();
    let v: Vec<G1Projective> = (0..n)
        .map(|_| {
            acc += p;
            acc
        })
        .collect();
    G1Projective::normalize_batch(&v)
}

/// `zk::bn254::msm` on canonical scalars and bases, checked against arkworks' sum.
fn msm_case<'a>(
    dev: &'a Device,
    name: &str,
    bases: &[G1Affine],
    scalars: &[Fr],
    want: G1Affine,
) -> Result<Case<'a>> {
    let s = dev.upload(&fr_limbs(scalars))?;
    let flat: Vec<u64> = bases
        .iter()
        .flat_map(|p| p.x.into_bigint().0.into_iter().chain(p.y.into_bigint().0))
        .collect();
    let b = dev.upload(&flat)?;
    let want = (want.x.into_bigint().0, want.y.into_bigint().0);
    // Scalars and bases read once.
    let bytes = 96 * bases.len() as u64;
    Ok(case(dev, name, bytes, move |check| {
        let got = bn254::msm(dev, &s, &b)?;
        Ok(check.then(|| exact((got.x, got.y) == want && !got.infinity)))
    }))
}

/// arkworks' `VariableBaseMSM::msm` over rayon (its `parallel` feature) or on a one-thread pool.
fn msm_peer<'a>(
    name: &str,
    bases: Vec<G1Affine>,
    scalars: Vec<Fr>,
    want: G1Affine,
    parallel: bool,
) -> Case<'a> {
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build();
    let bytes = 96 * bases.len() as u64;
    let step = move |check: bool| {
        let sum = || G1Projective::msm(&bases, &scalars).map(|p| p.into_affine());
        let got = match (&one, parallel) {
            (_, true) => sum(),
            (Ok(pool), false) => pool.install(sum),
            (Err(e), false) => {
                return Err(kernelforge::Error::BadArguments {
                    kernel: "peer:serial_bn254_msm",
                    message: format!("no one-thread rayon pool: {e}"),
                })
            }
        };
        Ok(check.then(|| exact(got == Ok(want))))
    };
    peer_case(name, parallel, bytes, step)
}

fn ntt_case<'a>(dev: &'a Device, x: Vec<u64>, want: Vec<u64>) -> Result<Case<'a>> {
    let mut data = dev.upload(&x)?;
    let bytes = 16 * x.len() as u64;
    let mut c = case(dev, "goldilocks_ntt", bytes, move |check| {
        if check {
            data.write(&x)?;
        }
        goldilocks::ntt(dev, &mut data, false)?;
        if !check {
            return Ok(None);
        }
        Ok(Some(exact(data.to_vec()? == want)))
    });
    c.family = Some("goldilocks_ntt".into());
    Ok(c)
}

/// Plonky3's DFT of the vector it holds, in place of it: `Radix2DitParallel` (its output, a
/// bit-reversed view, made natural order) or `Radix2Dit` on a one-thread pool.
fn ntt_peer<'a>(x: &[u64], want: Vec<u64>, parallel: bool) -> Case<'a> {
    let fresh = field(x);
    let mut v = fresh.clone();
    let par = Radix2DitParallel::<Goldilocks>::default();
    let serial = Radix2Dit::<Goldilocks>::default();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build();
    let step = move |check: bool| {
        if check {
            v.clone_from(&fresh);
        }
        let m = RowMajorMatrix::new_col(std::mem::take(&mut v));
        v = match (&one, parallel) {
            (_, true) => par.dft_batch(m).to_row_major_matrix().values,
            (Ok(pool), false) => pool.install(|| serial.dft_batch(m).values),
            (Err(e), false) => {
                return Err(kernelforge::Error::BadArguments {
                    kernel: "peer:serial_goldilocks_ntt",
                    message: format!("no one-thread rayon pool: {e}"),
                })
            }
        };
        Ok(check.then(|| exact(canonical(&v) == want)))
    };
    peer_case("goldilocks_ntt", parallel, 16 * x.len() as u64, step)
}

/// A peer on the CPU: `peer:rayon_<name>` over rayon, `peer:serial_<name>` on one thread.
fn peer_case<'a>(
    name: &str,
    parallel: bool,
    bytes: u64,
    step: impl FnMut(bool) -> Result<Option<Check>> + 'a,
) -> Case<'a> {
    let mut c = host_case(name, bytes, step);
    if !parallel {
        c.kernel = format!("peer:serial_{name}");
        c.device = "one thread".into();
    }
    c
}
