//! 64-bit integer throughput beside 32-bit: `y = a * b + a`, wrapping, over `u32` and `u64`.
//! On wgpu `u64` is emulated with pairs of `u32` (the 64-bit product from four 16-bit partial
//! products, see `codegen/src/back/wgsl/wide.rs`), so the pair of records says what the
//! emulation costs; on the CPU and CUDA both are native. Checked bit for bit.

use super::kernels::{case, Data};
use super::{Case, Check, Keep};
use kernelforge::prelude::*;
use kernelforge::Result;
use rayon::prelude::*;

/// `y[i] = a[i] * b[i] + a[i]`, wrapping.
#[compute_kernel(workgroup_size = 256, T = [u32, u64])]
pub fn mul_add_int<T: Int>(a: &[T], b: &[T], y: &mut [T]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = a[i] * b[i] + a[i];
    }
}

/// The `u32` and `u64` cases on `dev` that `keep` names, `mul_add_u32` and `mul_add_u64`.
pub(crate) fn cases<'a>(
    dev: &'a Device,
    d: &'a Data,
    keep: Keep<'_>,
) -> Vec<(String, Result<Case<'a>>)> {
    if !keep("mul_add_u32") && !keep("mul_add_u64") {
        return Vec::new();
    }
    // Operands with their high words set: the 64-bit product's cross terms all matter.
    let a: Vec<u64> = d.h.iter().map(|&h| (h as u64) << 29 | h as u64).collect();
    let b: Vec<u64> =
        d.h.iter()
            .map(|&h| (h.rotate_left(11) as u64) << 31 | 7)
            .collect();
    let a32: Vec<u32> = a.iter().map(|&v| v as u32).collect();
    let b32: Vec<u32> = b.iter().map(|&v| v as u32).collect();
    let mut out = Vec::new();
    if keep("mul_add_u32") {
        out.push((
            "mul_add_u32".into(),
            mul_add_case(dev, "mul_add_u32", a32, b32, |p, q| {
                p.wrapping_mul(q).wrapping_add(p)
            }),
        ));
    }
    if keep("mul_add_u64") {
        out.push((
            "mul_add_u64".into(),
            mul_add_case(dev, "mul_add_u64", a, b, |p, q| {
                p.wrapping_mul(q).wrapping_add(p)
            }),
        ));
    }
    out
}

/// The `mul_add_int` instance of `T` over `a` and `b`, checked against `reference`.
fn mul_add_case<'a, T>(
    dev: &'a Device,
    name: &str,
    a: Vec<T>,
    b: Vec<T>,
    reference: fn(T, T) -> T,
) -> Result<Case<'a>>
where
    T: mul_add_int::Instance + bytemuck::Pod + PartialEq + Send + Sync,
{
    let n = a.len();
    let (ab, bb) = (dev.upload(&a)?, dev.upload(&b)?);
    let mut yb = dev.zeros::<T>(n)?;
    let bytes = 3 * std::mem::size_of::<T>() as u64 * n as u64;
    Ok(case(dev, name, bytes, move |check| {
        mul_add_int::launch(dev, Grid::linear(n), &ab, &bb, &mut yb)?;
        if !check {
            return Ok(None);
        }
        let got = yb.to_vec()?;
        let same = got
            .par_iter()
            .zip(a.par_iter().zip(&b))
            .all(|(&g, (&p, &q))| g == reference(p, q));
        Ok(Some(exact(same)))
    }))
}

/// A bit-exact check as an error of 0 or infinity.
pub(super) fn exact(same: bool) -> Check {
    Check {
        got: vec![if same { 0.0 } else { f32::INFINITY }],
        want: vec![0.0],
        tol: 0.0,
    }
}
