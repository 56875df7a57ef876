//! Attention as a bench case: `ops::attention` in `f32`, 4 heads of 64 values, no mask, at
//! 1,024 positions at the default size, in TFLOP/s (`4 heads seq^2 head_dim` per run: two
//! products of `2 seq^2 head_dim`), beside a handwritten rayon attention on the CPU that
//! materialises each head's `[seq, seq]` scores (PyTorch's math path: a product, a softmax, a
//! product). Checked against `f64`. `attention_bf16` is 4 heads of 128 values in `bf16` (the
//! larger head size, where `attention_tiles`' products pay most; not on wgpu, where
//! `ops::attention` has no tile kernel and lavapipe's loop limit is near), with its family's
//! autotuned choice, beside the same peer on the same inputs as `f32`.

use super::kernels::case;
use super::{Case, Check, Keep};
use kernelforge::ops::{self, Attention};
use kernelforge::{Backend, Device, Result};
use kernelforge_reference::inputs;
use rayon::prelude::*;
use std::sync::OnceLock;

/// Heads per run.
const HEADS: usize = 4;
/// Values per head of `attention`, and of `attention_bf16`.
const HEAD_DIM: usize = 64;
const HEAD_DIM_BF16: usize = 128;

/// Relative tolerance (floor 1) against `f64`: an output is an average of `v`'s rows, within
/// `[-1, 1]`; tests/attention.rs bounds the error at `f32` by about 1e-3 of `max |v|` at these
/// lengths and measures 3e-6.
const TOL: f64 = 1e-4;

/// The inputs, `[HEADS, seq, d]` each, and the `f64` attention (computed at the first
/// check).
pub(crate) struct Heads {
    seq: usize,
    d: usize,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    want: OnceLock<Vec<f32>>,
    /// `attention_bf16`'s inputs (made at the first use).
    rounded: OnceLock<Box<Heads>>,
}

impl Heads {
    /// `sqrt(elements)` positions, at most 1,024 (4 heads of 64 values: 1.1 GFLOP a run).
    pub(crate) fn new(elements: usize) -> Heads {
        Heads::of(elements, HEAD_DIM, |x| x)
    }

    /// `sqrt(elements)` positions, at most 1,024, of `d` values per head, each input passed
    /// through `round`.
    fn of(elements: usize, d: usize, round: fn(f32) -> f32) -> Heads {
        let seq = (elements as f64).sqrt().clamp(1.0, 1024.0) as usize;
        let len = HEADS * seq * d;
        let make = |seed| -> Vec<f32> {
            inputs(len, seed, -1.0, 1.0)
                .into_iter()
                .map(round)
                .collect()
        };
        Heads {
            seq,
            d,
            q: make(31),
            k: make(32),
            v: make(33),
            want: OnceLock::new(),
            rounded: OnceLock::new(),
        }
    }

    /// `attention_bf16`'s inputs: as many positions, [`HEAD_DIM_BF16`] values per head, rounded
    /// to `bf16` (as `f32` values).
    fn rounded(&self) -> &Heads {
        let round = |v: f32| kernelforge::bf16::from_f32(v).to_f32();
        self.rounded
            .get_or_init(|| Box::new(Heads::of(self.seq * self.seq, HEAD_DIM_BF16, round)))
    }

    fn shape(&self) -> Attention {
        Attention::new(1, HEADS, self.seq, self.d)
    }

    fn scale(&self) -> f32 {
        self.shape().scale
    }

    /// Each head's output in `f64`, one row at a time.
    fn want(&self) -> Vec<f32> {
        let (n, d) = (self.seq, self.d);
        let scale = self.scale() as f64;
        self.want
            .get_or_init(|| {
                let mut o = vec![0.0f32; HEADS * n * d];
                o.par_chunks_mut(d).enumerate().for_each(|(r, out)| {
                    let head = (r / n) * n * d..(r / n + 1) * n * d;
                    let q = &self.q[r * d..(r + 1) * d];
                    let (k, v) = (&self.k[head.clone()], &self.v[head]);
                    out.copy_from_slice(&row_f64(q, k, v, n, scale, |x| x as f64));
                });
                o
            })
            .clone()
    }

    /// Bytes of one run: `q`, `k`, `v` read once, `o` written once.
    fn bytes(&self) -> u64 {
        16 * (HEADS * self.seq * self.d) as u64
    }

    fn flops(&self) -> u64 {
        4 * (HEADS * self.seq * self.seq * self.d) as u64
    }
}

/// One query row of attention in `f64`: `softmax(scale q k^T) v` over the first `keys` rows of
/// a head's `k` and `v` (`[seq, d]` each, `d = q.len()`), the elements widened by `wide`.
pub(crate) fn row_f64<T: Copy>(
    q: &[T],
    k: &[T],
    v: &[T],
    keys: usize,
    scale: f64,
    wide: impl Fn(T) -> f64,
) -> Vec<f32> {
    let d = q.len();
    let s: Vec<f64> = (0..keys)
        .map(|j| {
            let kr = &k[j * d..(j + 1) * d];
            let dot: f64 = q.iter().zip(kr).map(|(&a, &b)| wide(a) * wide(b)).sum();
            dot * scale
        })
        .collect();
    let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = s.iter().map(|&x| (x - m).exp()).collect();
    let total: f64 = w.iter().sum();
    (0..d)
        .map(|x| {
            let acc: f64 = (0..keys).map(|j| w[j] * wide(v[j * d + x])).sum();
            (acc / total) as f32
        })
        .collect()
}

/// `attention` on `dev`, then its peer on the CPU, as (name, case, whether it is a peer).
pub(crate) fn cases<'a>(
    dev: &'a Device,
    h: &'a Heads,
    keep: Keep<'_>,
) -> Vec<(String, Result<Case<'a>>, bool)> {
    let mut out = Vec::new();
    if keep("attention") {
        out.push(("attention".to_string(), attention_case(dev, h), false));
        if dev.backend() == Backend::Cpu {
            out.push((
                "attention".into(),
                Ok(materialising_case(h, "attention")),
                true,
            ));
        }
    }
    if keep("attention_bf16") && dev.backend() != Backend::Wgpu {
        let r = h.rounded();
        out.push(("attention_bf16".to_string(), bf16_case(dev, r), false));
        if dev.backend() == Backend::Cpu {
            let peer = materialising_case(r, "attention_bf16");
            out.push(("attention_bf16".into(), Ok(peer), true));
        }
    }
    out
}

/// `ops::attention` on `bf16` inputs (`h` already rounded), checked against `f64` of them.
fn bf16_case<'a>(dev: &'a Device, h: &'a Heads) -> Result<Case<'a>> {
    let half = |x: &[f32]| -> Vec<kernelforge::bf16> {
        x.iter().map(|&v| kernelforge::bf16::from_f32(v)).collect()
    };
    let (q, k, v) = (
        dev.upload(&half(&h.q))?,
        dev.upload(&half(&h.k))?,
        dev.upload(&half(&h.v))?,
    );
    let mut o = dev.zeros::<kernelforge::bf16>(h.q.len())?;
    let mut lse = dev.zeros::<f32>(HEADS * h.seq)?;
    let s = h.shape();
    let mut out = case(dev, "attention_bf16", h.bytes() / 2, move |check| {
        ops::attention(dev, &q, &k, &v, &mut o, &mut lse, s)?;
        let got = || Ok(o.to_vec()?.iter().map(|x| x.to_f32()).collect());
        // The GPU shapes' bf16 tolerance: the output is rounded to `bf16` once, and the tile
        // kernel's weights are too (tests/attention.rs).
        Check::when(check, super::gpu_shapes::TOL, || h.want(), got)
    });
    out.flops = h.flops();
    out.family = Some(ops::attention_family::<kernelforge::bf16>(HEAD_DIM_BF16));
    Ok(out)
}

fn attention_case<'a>(dev: &'a Device, h: &'a Heads) -> Result<Case<'a>> {
    let (q, k, v) = (dev.upload(&h.q)?, dev.upload(&h.k)?, dev.upload(&h.v)?);
    let mut o = dev.zeros::<f32>(h.q.len())?;
    let mut lse = dev.zeros::<f32>(HEADS * h.seq)?;
    let s = h.shape();
    let mut out = case(dev, "attention", h.bytes(), move |check| {
        ops::attention(dev, &q, &k, &v, &mut o, &mut lse, s)?;
        checked(check, h, || o.to_vec())
    });
    out.flops = h.flops();
    Ok(out)
}

/// The check of a case when `check`: `got()` against the `f64` attention, within [`TOL`].
fn checked(
    check: bool,
    h: &Heads,
    got: impl FnOnce() -> Result<Vec<f32>>,
) -> Result<Option<Check>> {
    Check::when(check, TOL, || h.want(), got)
}

/// A handwritten rayon attention that materialises the scores, as PyTorch's math path does
/// (`softmax(q k^T * scale) v` in three steps): per head, the `[seq, seq]` scores a row per
/// task (dot products in eight lanes, which the compiler vectorises), a softmax of each row in
/// place, then the rows of `o` as sums of `v`'s rows weighted by them.
fn materialising_case<'a>(h: &'a Heads, name: &str) -> Case<'a> {
    let (n, d) = (h.seq, h.d);
    let scale = h.scale();
    let mut scores = vec![0.0f32; HEADS * n * n];
    let mut o = vec![0.0f32; HEADS * n * d];
    let mut out = super::peers::host_case(name, h.bytes(), move |check| {
        scores.par_chunks_mut(n).enumerate().for_each(|(r, row)| {
            let base = (r / n) * n * d;
            let q = &h.q[r * d..(r + 1) * d];
            super::peers::simd(
                #[inline(always)]
                || softmax_row(row, q, &h.k[base..base + n * d], scale),
            )
        });
        o.par_chunks_mut(d)
            .zip(scores.par_chunks(n))
            .enumerate()
            .for_each(|(r, (out, p))| {
                let base = (r / n) * n * d;
                super::peers::simd(
                    #[inline(always)]
                    || weighted_row(out, p, &h.v[base..base + n * d]),
                )
            });
        checked(check, h, || Ok(o.clone()))
    });
    out.kernel = "peer:rayon_attention_materialised".into();
    out.flops = h.flops();
    out
}

/// `row = softmax(scale q k^T)` for one query `q` and a head's keys `k` (`[seq, d]`). A
/// function of its own, inlined into `simd`'s instance, so that it gets the SIMD level's
/// instructions (a closure's body may not be inlined, and `mul_add` then calls `fmaf`).
#[inline(always)]
fn softmax_row(row: &mut [f32], q: &[f32], k: &[f32], scale: f32) {
    for (s, k) in row.iter_mut().zip(k.chunks_exact(q.len())) {
        *s = dot(q, k) * scale;
    }
    let m = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut total = 0.0f32;
    for s in row.iter_mut() {
        *s = kernelforge::__private::cpu::math::exp(*s - m);
        total += *s;
    }
    let inv = 1.0 / total;
    for s in row.iter_mut() {
        *s *= inv;
    }
}

/// `out = p v`: the sum of a head's value rows (`v`, `[seq, d]`) weighted by `p`.
#[inline(always)]
fn weighted_row(out: &mut [f32], p: &[f32], v: &[f32]) {
    out.fill(0.0);
    for (&w, v) in p.iter().zip(v.chunks_exact(out.len())) {
        for (a, &x) in out.iter_mut().zip(v) {
            *a = w.mul_add(x, *a);
        }
    }
}

/// `a . b` in eight lanes, so that the compiler vectorises it.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for u in 0..8 {
            lanes[u] = x[u].mul_add(y[u], lanes[u]);
        }
    }
    lanes.iter().sum()
}
