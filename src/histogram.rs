//! Histograms on any device: the `histogram` kernel (kernels-src/histograms.rs) over a zeroed
//! result.

use crate::kernels::histogram;
use crate::{Buffer, Device, Error, Grid, Result};

/// Workgroups launched: each counts a block of `x` into workgroup memory, so more
/// workgroups than a GPU holds only add global atomics.
const MAX_GROUPS: usize = 1024;

/// The counts of `x` in `bins` equal-width bins over `[lo, hi]`, as `torch.histc(x, bins, lo,
/// hi)`: `v == hi` is counted in the last bin; values outside `[lo, hi]` and NaN are not
/// counted. With `hi == lo` every element equal to `lo` lands in bin 0; with no bins the
/// result is empty.
///
/// # Errors
/// [`Error::BadArguments`] unless `lo <= hi`, both finite (`torch.histc` refuses them too);
/// those of the allocation, the launch and the readback.
pub fn histc(dev: &Device, x: &Buffer<f32>, bins: usize, lo: f32, hi: f32) -> Result<Vec<u32>> {
    let bad = |message: String| Error::BadArguments {
        kernel: "histogram",
        message,
    };
    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
        return Err(bad(format!(
            "histc needs finite bounds with lo <= hi, got lo = {lo}, hi = {hi}; pass the range \
             the values lie in"
        )));
    }
    let mut counts = dev.zeros::<u32>(bins)?;
    histogram::launch(dev, grid(x.len()), lo, hi, x, &mut counts)?;
    counts.to_vec()
}

/// The grid `histc` launches for `len` elements: a workgroup per 4,096 elements (16 per
/// invocation), at most 1,024.
pub fn grid(len: usize) -> Grid {
    let groups = len.div_ceil(256 * 16).clamp(1, MAX_GROUPS);
    Grid::groups([groups as u32, 1, 1])
}
