//! The built-in kernels as bench cases.

use super::{Case, Check};
use crate::kernels::*;
use crate::reference::{self, inputs};
use crate::{Buffer, Device, Grid, Result};
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
}

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
        }
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

fn case<'a>(
    dev: &Device,
    kernel: &str,
    bytes: u64,
    step: impl FnMut(bool) -> Result<Option<Check>> + 'a,
) -> Case<'a> {
    Case {
        kernel: kernel.into(),
        backend: dev.backend().as_str(),
        device: dev.name(),
        bytes,
        step: Box::new(step),
    }
}

/// Every built-in kernel on `dev`, by name, in bench order.
pub(crate) fn cases<'a>(dev: &'a Device, d: &'a Data) -> Vec<(&'static str, Result<Case<'a>>)> {
    let mut out: Vec<(&'static str, Result<Case<'a>>)> = vec![
        ("vector_add", vector_add_case(dev, d)),
        ("saxpy", saxpy_case(dev, d)),
        ("scale", scale_case(dev, d)),
    ];
    for u in UNARY {
        out.push((u.0, unary_case(dev, d, u)));
    }
    out.push(("hash_u32", hash_case(dev, d)));
    out
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
