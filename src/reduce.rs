//! Whole-array reductions on any device: the two launches of the `reduce_sum` and `reduce_max`
//! kernels (kernels-src/reduce.rs).

use crate::kernels::{reduce_max, reduce_sum};
use crate::{Buffer, Device, Grid, Result};

/// Workgroups of the first pass: enough to fill a large GPU, few enough that the second pass
/// (one workgroup) stays short.
const MAX_GROUPS: usize = 1024;

type Pass = fn(&Device, Grid, &Buffer<f32>, &mut Buffer<f32>) -> Result<()>;

/// The workgroups of the first pass over `len` elements: one per 256, at most 1,024; the
/// second pass is one workgroup over that many partials.
pub fn first_pass_groups(len: usize) -> usize {
    len.div_ceil(256).clamp(1, MAX_GROUPS)
}

fn two_pass(dev: &Device, x: &Buffer<f32>, pass: Pass) -> Result<f32> {
    let groups = first_pass_groups(x.len());
    let mut partial = dev.zeros::<f32>(groups)?;
    pass(dev, Grid::groups([groups as u32, 1, 1]), x, &mut partial)?;
    let mut out = dev.zeros::<f32>(1)?;
    pass(dev, Grid::groups([1, 1, 1]), &partial, &mut out)?;
    Ok(out.to_vec()?[0])
}

/// The sum of `x` (0 when empty), accumulated in f32 (each invocation sums every 256th element
/// of its workgroup's contiguous block, at most `len / 262144 + 1` of them, then halving
/// trees), so the error grows with `log2(len)` rather than `len`.
///
/// # Errors
/// Those of the launches and the readback (allocation, device loss).
pub fn sum(dev: &Device, x: &Buffer<f32>) -> Result<f32> {
    two_pass(dev, x, reduce_sum::launch)
}

/// The maximum of `x` (`-inf` when empty; NaN handling is the backend's `max`).
///
/// # Errors
/// As [`sum`].
pub fn max(dev: &Device, x: &Buffer<f32>) -> Result<f32> {
    two_pass(dev, x, reduce_max::launch)
}
