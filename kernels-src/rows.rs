//! Row-wise kernels over a row-major `[rows, cols]` f32 matrix: one workgroup of 256 per row
//! (launch `Grid::groups([rows, 1, 1])`), each invocation striding over the row's columns,
//! partial results combined in workgroup memory by a halving tree between barriers. f32
//! throughout, accumulation included.

use super::workgroup::{tile_max, tile_sum};
use kernelforge::prelude::*;

/// Numerically stable softmax of each row: `y = exp(x - max(x)) / sum(exp(x - max(x)))`.
#[compute_kernel(workgroup_size = 256)]
pub fn softmax(cols: u32, x: &[f32], y: &mut [f32]) {
    let tile = shared_array::<f32, 256>();
    let lid = local_id().x;
    let base = group_id().x * cols;
    let mut m = f32::NEG_INFINITY;
    for c in (lid..cols).step_by(256) {
        m = max(m, x[base + c]);
    }
    tile[lid] = m;
    barrier();
    let row_max = tile_max(&mut tile);
    barrier();
    // `y` holds the exponentials until the last pass scales them: one `exp` per element.
    let mut sum = 0.0f32;
    for c in (lid..cols).step_by(256) {
        let e = exp(x[base + c] - row_max);
        y[base + c] = e;
        sum += e;
    }
    tile[lid] = sum;
    barrier();
    let inv = 1.0 / tile_sum(&mut tile);
    for c in (lid..cols).step_by(256) {
        y[base + c] = y[base + c] * inv;
    }
}

/// Layer normalisation of each row (Ba et al., 2016, as PyTorch's `layer_norm` over the last
/// dimension): `y = (x - mean) / sqrt(var + eps) * weight + bias`, the variance biased
/// (divided by `cols`) and computed in a second pass over `x - mean`.
#[compute_kernel(workgroup_size = 256)]
pub fn layer_norm(cols: u32, eps: f32, x: &[f32], weight: &[f32], bias: &[f32], y: &mut [f32]) {
    let tile = shared_array::<f32, 256>();
    let lid = local_id().x;
    let base = group_id().x * cols;
    let mut sum = 0.0f32;
    for c in (lid..cols).step_by(256) {
        sum += x[base + c];
    }
    tile[lid] = sum;
    barrier();
    let mean = tile_sum(&mut tile) / cols as f32;
    barrier();
    let mut sq = 0.0f32;
    for c in (lid..cols).step_by(256) {
        let d = x[base + c] - mean;
        sq += d * d;
    }
    tile[lid] = sq;
    barrier();
    let rstd = 1.0 / sqrt(tile_sum(&mut tile) / cols as f32 + eps);
    for c in (lid..cols).step_by(256) {
        y[base + c] = (x[base + c] - mean) * rstd * weight[c] + bias[c];
    }
}

/// RMS normalisation of each row (Zhang and Sennrich, 2019):
/// `y = x / sqrt(mean(x^2) + eps) * weight`.
#[compute_kernel(workgroup_size = 256)]
pub fn rms_norm(cols: u32, eps: f32, x: &[f32], weight: &[f32], y: &mut [f32]) {
    let tile = shared_array::<f32, 256>();
    let lid = local_id().x;
    let base = group_id().x * cols;
    let mut sq = 0.0f32;
    for c in (lid..cols).step_by(256) {
        let v = x[base + c];
        sq += v * v;
    }
    tile[lid] = sq;
    barrier();
    let rrms = 1.0 / sqrt(tile_sum(&mut tile) / cols as f32 + eps);
    for c in (lid..cols).step_by(256) {
        y[base + c] = x[base + c] * rrms * weight[c];
    }
}
