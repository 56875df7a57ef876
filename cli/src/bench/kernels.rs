//! The built-in kernels as bench cases.

use super::{Case, Check, Keep};
use kernelforge::kernels::*;
use kernelforge::ops::{self, Rows};
use kernelforge::{Buffer, Device, Grid, Result};
use kernelforge_reference::{self as reference, inputs};
use rayon::prelude::*;

/// The inputs every backend and peer sees.
pub(crate) struct Data {
    /// Elements.
    pub n: usize,
    /// Inputs of the binary kernels and `scale`, in [-100, 100).
    pub a: Vec<f32>,
    /// Second input of the binary kernels (`y` of saxpy).
    pub b: Vec<f32>,
    /// Inputs of the activation functions, in [-6, 6).
    pub x: Vec<f32>,
    /// Inputs of `hash_u32`.
    pub h: Vec<u32>,
    /// The row kernels' shape: `x` as `[rows, cols]` (cols = 4096, or `n` when smaller).
    pub rows: usize,
    /// See `rows`.
    pub cols: usize,
    /// Row kernels' `weight`, `cols` values in [0.5, 1.5).
    pub weight: Vec<f32>,
    /// `layer_norm`'s `bias`, `cols` values in [-0.5, 0.5).
    pub bias: Vec<f32>,
}

/// `eps` of the normalisation cases.
pub(crate) const LAYER_NORM_EPS: f32 = 1e-5;
/// See [`LAYER_NORM_EPS`].
pub(crate) const RMS_NORM_EPS: f32 = 1e-6;
/// The histogram case: 256 bins over [-8, 8], so that the bin scale, 16, is exact on every
/// backend and the f32 rule of the kernel gives the same bins everywhere.
pub(crate) const HIST: (usize, f32, f32) = (256, -8.0, 8.0);
/// Relative tolerance of the row kernels against their f64 references (tests/cooperative.rs).
pub(crate) const ROW_TOL: f64 = 1e-4;

impl Data {
    pub(crate) fn new(n: usize) -> Data {
        Data {
            n,
            a: inputs(n, 1, -100.0, 100.0),
            b: inputs(n, 2, -100.0, 100.0),
            x: inputs(n, 11, -6.0, 6.0),
            h: (0..n as u32)
                .map(|i| i.wrapping_mul(2_654_435_761))
                .collect(),
            rows: n / n.clamp(1, 4096),
            cols: n.clamp(1, 4096),
            weight: inputs(n.clamp(1, 4096), 3, 0.5, 1.5),
            bias: inputs(n.clamp(1, 4096), 4, -0.5, 0.5),
        }
    }

    /// The row kernels' input: the first `rows * cols` values of `x`.
    pub(crate) fn matrix(&self) -> &[f32] {
        &self.x[..self.rows * self.cols]
    }
}

/// f64 references of the row kernels and reductions, computed in parallel over rows.
pub(crate) mod refs {
    use super::{Data, HIST, LAYER_NORM_EPS, RMS_NORM_EPS};
    use rayon::prelude::*;

    fn rows(d: &Data, f: impl Fn(&[f32], &mut [f32]) + Sync) -> Vec<f32> {
        rows_of(d.matrix(), d.cols, f)
    }

    /// `f(x_row, y_row)` over the `cols`-long rows of `x`, in parallel.
    fn rows_of(x: &[f32], cols: usize, f: impl Fn(&[f32], &mut [f32]) + Sync) -> Vec<f32> {
        let mut y = vec![0.0f32; x.len()];
        y.par_chunks_mut(cols)
            .zip(x.par_chunks(cols))
            .for_each(|(yr, xr)| f(xr, yr));
        y
    }

    pub(crate) fn softmax(d: &Data) -> Vec<f32> {
        softmax_of(d.matrix(), d.cols)
    }

    /// Softmax of each `cols`-long row of `x`.
    pub(crate) fn softmax_of(x: &[f32], cols: usize) -> Vec<f32> {
        rows_of(x, cols, |x, y| {
            let m = x.iter().map(|&v| v as f64).fold(f64::MIN, f64::max);
            let s: f64 = x.iter().map(|&v| (v as f64 - m).exp()).sum();
            for (o, &v) in y.iter_mut().zip(x) {
                *o = ((v as f64 - m).exp() / s) as f32;
            }
        })
    }

    pub(crate) fn layer_norm(d: &Data) -> Vec<f32> {
        rows(d, |x, y| {
            let n = x.len() as f64;
            let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
            let var = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
            let rstd = 1.0 / (var + LAYER_NORM_EPS as f64).sqrt();
            for (j, (o, &v)) in y.iter_mut().zip(x).enumerate() {
                *o = ((v as f64 - mean) * rstd * d.weight[j] as f64 + d.bias[j] as f64) as f32;
            }
        })
    }

    pub(crate) fn rms_norm(d: &Data) -> Vec<f32> {
        rows(d, |x, y| {
            let ms = x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / x.len() as f64;
            let r = 1.0 / (ms + RMS_NORM_EPS as f64).sqrt();
            for (j, (o, &v)) in y.iter_mut().zip(x).enumerate() {
                *o = (v as f64 * r * d.weight[j] as f64) as f32;
            }
        })
    }

    /// The sum in f64 and the sum of magnitudes (the scale of f32 accumulation error).
    pub(crate) fn sum(x: &[f32]) -> (f64, f64) {
        x.par_iter()
            .map(|&v| (v as f64, (v as f64).abs()))
            .reduce(|| (0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1))
    }

    /// The bin of `v` by the kernel's own f32 rule, or `None` when it is not counted.
    pub(crate) fn bin(v: f32) -> Option<usize> {
        let (bins, lo, hi) = HIST;
        let scale = bins as f32 / (hi - lo);
        (v >= lo && v <= hi).then(|| (((v - lo) * scale) as usize).min(bins - 1))
    }

    pub(crate) fn histogram(x: &[f32]) -> Vec<f32> {
        let mut h = vec![0u32; HIST.0];
        for b in x.iter().filter_map(|&v| bin(v)) {
            h[b] += 1;
        }
        h.into_iter().map(|c| c as f32).collect()
    }
}

type UnaryLaunch = fn(&Device, Grid, &Buffer<f32>, &mut Buffer<f32>) -> Result<()>;

/// An activation kernel: name, launch, reference, tolerance (README's table).
pub(crate) type Unary = (&'static str, UnaryLaunch, fn(f32) -> f32, f64);

/// The activation kernels.
pub(crate) const UNARY: [Unary; 4] = [
    ("relu", relu::launch, reference::relu, 0.0),
    ("gelu", gelu::launch, reference::gelu, 2e-6),
    ("sigmoid", sigmoid::launch, reference::sigmoid, 2e-6),
    ("silu", silu::launch, reference::silu, 2e-6),
];

pub(super) fn case<'a>(
    dev: &Device,
    kernel: &str,
    bytes: u64,
    step: impl FnMut(bool) -> Result<Option<Check>> + 'a,
) -> Case<'a> {
    Case {
        kernel: kernel.into(),
        peer_of: None,
        backend: dev.backend().as_str(),
        device: dev.name(),
        bytes,
        flops: 0,
        family: None,
        step: Box::new(step),
    }
}

/// Every built-in kernel on `dev` that `keep` names, by name, in bench order.
pub(crate) fn cases<'a>(
    dev: &'a Device,
    d: &'a Data,
    keep: Keep<'_>,
) -> Vec<(&'static str, Result<Case<'a>>)> {
    let mut out: Vec<(&'static str, Result<Case<'a>>)> = Vec::new();
    let mut add = |name: &'static str, make: &dyn Fn() -> Result<Case<'a>>| {
        if keep(name) {
            out.push((name, make()));
        }
    };
    add("copy", &|| copy_case(dev, d));
    add("vector_add", &|| vector_add_case(dev, d));
    add("saxpy", &|| saxpy_case(dev, d));
    add("scale", &|| scale_case(dev, d));
    for u in UNARY {
        add(u.0, &|| unary_case(dev, d, u));
    }
    add("hash_u32", &|| hash_case(dev, d));
    add("softmax", &|| softmax_case(dev, d));
    add("layer_norm", &|| layer_norm_case(dev, d));
    add("rms_norm", &|| rms_norm_case(dev, d));
    add("reduce_sum", &|| reduce_sum_case(dev, d));
    add("histogram", &|| histogram_case(dev, d));
    out
}

/// The roofline of each backend: a device copy of `n` floats.
fn copy_case<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    let n = d.n;
    let xb = dev.upload(&d.a)?;
    let mut yb = dev.zeros::<f32>(n)?;
    Ok(case(dev, "copy", 8 * n as u64, move |check| {
        copy::launch(dev, Grid::linear(n), &xb, &mut yb)?;
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: yb.to_vec()?,
            want: d.a.clone(),
            tol: 0.0,
        }))
    }))
}

fn softmax_case<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    let (r, c) = (d.rows, d.cols);
    let xb = dev.upload(d.matrix())?;
    let mut yb = dev.zeros::<f32>(r * c)?;
    let mut out = case(dev, "softmax", 8 * (r * c) as u64, move |check| {
        ops::softmax(dev, &xb, &mut yb, Rows { rows: r, cols: c })?;
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: yb.to_vec()?,
            want: refs::softmax(d),
            tol: ROW_TOL,
        }))
    });
    out.family = Some(ops::row_family::<f32>("softmax", c));
    Ok(out)
}

fn layer_norm_case<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    let (r, c) = (d.rows, d.cols);
    let xb = dev.upload(d.matrix())?;
    let wb = dev.upload(&d.weight)?;
    let bb = dev.upload(&d.bias)?;
    let mut yb = dev.zeros::<f32>(r * c)?;
    let bytes = 8 * (r * c) as u64 + 8 * c as u64;
    let mut out = case(dev, "layer_norm", bytes, move |check| {
        let s = Rows { rows: r, cols: c };
        ops::layer_norm(dev, &xb, &wb, &bb, &mut yb, s, LAYER_NORM_EPS)?;
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: yb.to_vec()?,
            want: refs::layer_norm(d),
            tol: ROW_TOL,
        }))
    });
    out.family = Some(ops::row_family::<f32>("layer_norm", c));
    Ok(out)
}

fn rms_norm_case<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    let (r, c) = (d.rows, d.cols);
    let xb = dev.upload(d.matrix())?;
    let wb = dev.upload(&d.weight)?;
    let mut yb = dev.zeros::<f32>(r * c)?;
    let bytes = 8 * (r * c) as u64 + 4 * c as u64;
    let mut out = case(dev, "rms_norm", bytes, move |check| {
        let s = Rows { rows: r, cols: c };
        ops::rms_norm(dev, &xb, &wb, &mut yb, s, RMS_NORM_EPS)?;
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: yb.to_vec()?,
            want: refs::rms_norm(d),
            tol: ROW_TOL,
        }))
    });
    out.family = Some(ops::row_family::<f32>("rms_norm", c));
    Ok(out)
}

/// Both launches of `reduce::sum`, into buffers made once; checked within `1e-5 * sum(|x|)`.
fn reduce_sum_case<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    let n = d.n;
    let groups = kernelforge::reduce::first_pass_groups(n);
    let xb = dev.upload(&d.x)?;
    let mut partial = dev.zeros::<f32>(groups)?;
    let mut out = dev.zeros::<f32>(1)?;
    Ok(case(dev, "reduce_sum", 4 * n as u64, move |check| {
        reduce_sum::launch(dev, Grid::groups([groups as u32, 1, 1]), &xb, &mut partial)?;
        reduce_sum::launch(dev, Grid::groups([1, 1, 1]), &partial, &mut out)?;
        if !check {
            return Ok(None);
        }
        let (sum, abs) = refs::sum(&d.x);
        Ok(Some(Check {
            got: out.to_vec()?,
            want: vec![sum as f32],
            tol: 1e-5 * abs,
        }))
    }))
}

/// `histogram::histc`'s launch of 256 bins over [-8, 8]; timed runs accumulate into the
/// counts, the check starts from zero. Exact.
fn histogram_case<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    let n = d.n;
    let (bins, lo, hi) = HIST;
    let grid = kernelforge::histogram::grid(n);
    let xb = dev.upload(&d.x)?;
    let mut counts = dev.zeros::<u32>(bins)?;
    Ok(case(dev, "histogram", 4 * n as u64, move |check| {
        if check {
            counts = dev.zeros::<u32>(bins)?;
        }
        histogram::launch(dev, grid, lo, hi, &xb, &mut counts)?;
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: counts.to_vec()?.into_iter().map(|c| c as f32).collect(),
            want: refs::histogram(&d.x),
            tol: 0.0,
        }))
    }))
}

fn unary_case<'a>(dev: &'a Device, d: &'a Data, (name, launch, f, tol): Unary) -> Result<Case<'a>> {
    let n = d.n;
    let xb = dev.upload(&d.x)?;
    let mut yb = dev.zeros::<f32>(n)?;
    Ok(case(dev, name, 8 * n as u64, move |check| {
        launch(dev, Grid::linear(n), &xb, &mut yb)?;
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: yb.to_vec()?,
            want: d.x.par_iter().map(|&v| f(v)).collect(),
            tol,
        }))
    }))
}

fn vector_add_case<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    let n = d.n;
    let ab = dev.upload(&d.a)?;
    let bb = dev.upload(&d.b)?;
    let mut cb = dev.zeros::<f32>(n)?;
    Ok(case(dev, "vector_add", 12 * n as u64, move |check| {
        vector_add::launch(dev, Grid::linear(n), &ab, &bb, &mut cb)?;
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: cb.to_vec()?,
            want: d.a.par_iter().zip(&d.b).map(|(x, y)| x + y).collect(),
            tol: 0.0,
        }))
    }))
}

/// saxpy updates `y` in place: timed runs accumulate; the check runs once from a fresh `b`.
fn saxpy_case<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    let n = d.n;
    let ab = dev.upload(&d.a)?;
    let mut yb = dev.upload(&d.b)?;
    Ok(case(dev, "saxpy", 12 * n as u64, move |check| {
        if check {
            yb = dev.upload(&d.b)?;
        }
        saxpy::launch(dev, Grid::linear(n), 1.5, &ab, &mut yb)?;
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: yb.to_vec()?,
            want: d.a.par_iter().zip(&d.b).map(|(x, y)| 1.5 * x + y).collect(),
            tol: 2e-5,
        }))
    }))
}

fn scale_case<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    let n = d.n;
    let ab = dev.upload(&d.a)?;
    let mut sb = dev.zeros::<f32>(n)?;
    Ok(case(dev, "scale", 8 * n as u64, move |check| {
        scale::launch(dev, Grid::linear(n), -0.25, &ab, &mut sb)?;
        if !check {
            return Ok(None);
        }
        Ok(Some(Check {
            got: sb.to_vec()?,
            want: d.a.par_iter().map(|x| -0.25 * x).collect(),
            tol: 0.0,
        }))
    }))
}

/// Bit-exact: the check compares hashes and reports a mismatch as an infinite error.
fn hash_case<'a>(dev: &'a Device, d: &'a Data) -> Result<Case<'a>> {
    let n = d.n;
    let xb = dev.upload(&d.h)?;
    let mut hb = dev.zeros::<u32>(n)?;
    Ok(case(dev, "hash_u32", 8 * n as u64, move |check| {
        hash_u32::launch(dev, Grid::linear(n), 7, &xb, &mut hb)?;
        if !check {
            return Ok(None);
        }
        let got = hb.to_vec()?;
        let same = got
            .par_iter()
            .zip(&d.h)
            .all(|(&g, &v)| g == reference::hash_u32(7, v));
        Ok(Some(Check {
            got: vec![if same { 0.0 } else { f32::INFINITY }],
            want: vec![0.0],
            tol: 0.0,
        }))
    }))
}
