//! The lent-GPU shapes of issue 18's performance goals, as bench cases on the CUDA backend only
//! (each is 137 GFLOP, minutes on the CPU backend and lavapipe): `matmul` and `linear` + GELU
//! (tanh form) in `bf16` at M = N = K = 4096, and `attention` in `bf16` with 16 heads of 128 at
//! 4,096 positions, causal and not. Named as scripts/gpu_peers.py names PyTorch's cases
//! (`linear_gelu_bfloat16_4096`, ...), which that script times on the same GPU in the same
//! command; `bench` itself has no CUDA peer.
//!
//! Checks: sampled output rows (every 512th, and the last) against `f64` computed from the same
//! `bf16` inputs. The kernels accumulate in `f32` and round each output once to `bf16`, so the
//! error is about one `bf16` ulp (2^-8 relative) of the output; [`TOL`] (relative, floor 1)
//! allows two.

use super::kernels::case;
use super::{Case, Check, Keep};
use kernelforge::ops::{self, Attention, Matmul};
use kernelforge::{bf16, Backend, Device, Result};
use kernelforge_reference::inputs;
use rayon::prelude::*;

/// M = N = K of the products.
const SIDE: usize = 4096;
/// Attention's heads, positions and head size.
const HEADS: usize = 16;
const SEQ: usize = 4096;
const HEAD_DIM: usize = 128;
/// Two `bf16` ulps (2^-8 each), relative with floor 1.
pub(super) const TOL: f64 = 2.0 / 256.0;

/// The rows checked of an output of `rows` rows.
fn sampled(rows: usize) -> Vec<usize> {
    let mut r: Vec<usize> = (0..rows).step_by(512).collect();
    r.push(rows - 1);
    r
}

fn rounded(n: usize, seed: u32) -> Vec<bf16> {
    inputs(n, seed, -1.0, 1.0)
        .into_iter()
        .map(bf16::from_f32)
        .collect()
}

/// The cases on `dev`: none off the CUDA backend.
pub(crate) fn cases<'a>(dev: &'a Device, keep: Keep<'_>) -> Vec<(String, Result<Case<'a>>, bool)> {
    if dev.backend() != Backend::Cuda {
        return Vec::new();
    }
    let mut out = Vec::new();
    for gelu in [false, true] {
        let name = if gelu {
            "linear_gelu_bfloat16_4096"
        } else {
            "matmul_bfloat16_4096"
        };
        if keep(name) {
            out.push((name.to_string(), product_case(dev, name, gelu), false));
        }
    }
    for causal in [false, true] {
        let name = format!(
            "attention_bfloat16_h{HEADS}_s{SEQ}_d{HEAD_DIM}{}",
            if causal { "_causal" } else { "" }
        );
        if keep(&name) {
            let c = attention_case(dev, &name, causal);
            out.push((name, c, false));
        }
    }
    out
}

/// `matmul` (`a b`, `b` as `[k, n]`), or `linear` with a bias and GELU (`gelu(a b^T + bias)`,
/// `b` as `[n, k]`), on `SIDE`-square `bf16` matrices.
fn product_case<'a>(dev: &'a Device, name: &str, gelu: bool) -> Result<Case<'a>> {
    let n = SIDE;
    let (a, b, bias) = (rounded(n * n, 31), rounded(n * n, 32), rounded(n, 33));
    let (ab, bb, biasb) = (dev.upload(&a)?, dev.upload(&b)?, dev.upload(&bias)?);
    let mut c = dev.zeros::<bf16>(n * n)?;
    let mut out = case(dev, name, 6 * (n * n) as u64, move |check| {
        if gelu {
            let s = ops::Linear {
                rows: n,
                in_features: n,
                out_features: n,
                activation: ops::Activation::GeluTanh,
            };
            ops::linear(dev, &ab, &bb, Some(&biasb), &mut c, s)?;
        } else {
            ops::matmul(dev, &ab, &bb, &mut c, Matmul::new(n, n, n))?;
        }
        let want = || {
            let rows = sampled(n);
            rows.par_iter()
                .flat_map_iter(|&i| {
                    let x = &a[i * n..(i + 1) * n];
                    let (b, bias) = (&b, &bias);
                    (0..n).map(move |j| {
                        let v: f64 = (0..n)
                            .map(|p| {
                                let w = if gelu { b[j * n + p] } else { b[p * n + j] };
                                x[p].to_f64() * w.to_f64()
                            })
                            .sum();
                        if gelu {
                            super::matrix::gelu_tanh_f64(v + bias[j].to_f64()) as f32
                        } else {
                            v as f32
                        }
                    })
                })
                .collect()
        };
        Check::when(check, TOL, want, || Ok(rows_of(&c.to_vec()?, n)))
    });
    out.flops = 2 * (n as u64).pow(3);
    out.family = Some(ops::product_family::<bf16>(Matmul::new(n, n, n)));
    Ok(out)
}

/// The sampled rows of a `[rows, n]` output, widened.
fn rows_of(v: &[bf16], n: usize) -> Vec<f32> {
    sampled(v.len() / n)
        .into_iter()
        .flat_map(|i| v[i * n..(i + 1) * n].iter().map(|x| x.to_f32()))
        .collect()
}

fn attention_case<'a>(dev: &'a Device, name: &str, causal: bool) -> Result<Case<'a>> {
    let (n, d) = (SEQ, HEAD_DIM);
    let len = HEADS * n * d;
    let (q, k, v) = (rounded(len, 41), rounded(len, 42), rounded(len, 43));
    let (qb, kb, vb) = (dev.upload(&q)?, dev.upload(&k)?, dev.upload(&v)?);
    let mut o = dev.zeros::<bf16>(len)?;
    let mut lse = dev.zeros::<f32>(HEADS * n)?;
    let mut s = Attention::new(1, HEADS, n, d);
    if causal {
        s = s.causal();
    }
    let scale = 1.0 / (d as f64).sqrt();
    let mut out = case(dev, name, 8 * len as u64, move |check| {
        ops::attention(dev, &qb, &kb, &vb, &mut o, &mut lse, s)?;
        // Every sampled row of the flattened [heads * seq, d] output: rows of several heads.
        let want = || {
            sampled(HEADS * n)
                .par_iter()
                .flat_map_iter(|&r| {
                    let head = (r / n) * n * d..(r / n + 1) * n * d;
                    let keys = if causal { r % n + 1 } else { n };
                    let qr = &q[r * d..(r + 1) * d];
                    let (kh, vh) = (&k[head.clone()], &v[head]);
                    super::attention::row_f64(qr, kh, vh, keys, scale, bf16::to_f64)
                })
                .collect()
        };
        Check::when(check, TOL, want, || Ok(rows_of(&o.to_vec()?, d)))
    });
    out.family = Some(ops::attention_family::<bf16>(HEAD_DIM));
    // The causal mask halves the work, as FlashAttention counts it.
    let full = 4 * (HEADS * n * n * d) as u64;
    out.flops = if causal { full / 2 } else { full };
    Ok(out)
}
