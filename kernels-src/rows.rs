//! Row-wise kernels over a row-major `[rows, cols]` matrix: one workgroup of `B` invocations
//! per row (launch `Grid::groups([rows, 1, 1])`), each invocation striding over the row's
//! columns, partial results combined in workgroup memory by a halving tree between barriers.
//! Each is built for `f32`, `f16` and `bf16` elements (weights and biases of the same type) and
//! for `B` = 32, 64, 128 and 256, a family that `kernelforge::ops` autotunes (the best `B`
//! depends on the device and the row length: 32 on lavapipe, as CubeCL's layer norm uses); the
//! arithmetic, accumulation included, is `f32`, and each output is rounded once.

use super::workgroup::{tile_max, tile_sum};
use kernelforge::prelude::*;

/// Numerically stable softmax of each row: `y = exp(x - max(x)) / sum(exp(x - max(x)))`.
#[compute_kernel(workgroup_size = B, T = [f32, f16, bf16], B = [32, 64, 128, 256])]
pub fn softmax<T: Float, const B: u32>(cols: u32, x: &[T], y: &mut [T]) {
    let tile = shared_array::<f32, B>();
    let lid = local_id().x;
    let base = group_id().x * cols;
    let mut m = f32::NEG_INFINITY;
    for c in (lid..cols).step_by(B) {
        m = max(m, x[base + c] as f32);
    }
    tile[lid] = m;
    workgroup_barrier();
    let row_max = tile_max(&mut tile);
    workgroup_barrier();
    // For f32, `y` holds the exponentials until the last pass scales them: one `exp` per
    // element. A half type would round them twice that way, so it recomputes them (the
    // condition is a constant of each instance, folded by every compiler).
    let staged = T::EPSILON as f32 == f32::EPSILON;
    let mut sum = 0.0f32;
    for c in (lid..cols).step_by(B) {
        let e = exp(x[base + c] as f32 - row_max);
        if staged {
            y[base + c] = e as T;
        }
        sum += e;
    }
    tile[lid] = sum;
    workgroup_barrier();
    let inv = 1.0 / tile_sum(&mut tile);
    for c in (lid..cols).step_by(B) {
        if staged {
            y[base + c] = (y[base + c] as f32 * inv) as T;
        } else {
            y[base + c] = (exp(x[base + c] as f32 - row_max) * inv) as T;
        }
    }
}

/// Layer normalisation of each row (Ba et al., 2016, as PyTorch's `layer_norm` over the last
/// dimension): `y = (x - mean) / sqrt(var + eps) * weight + bias`, the variance biased
/// (divided by `cols`) and computed in a second pass over `x - mean`.
#[compute_kernel(workgroup_size = B, T = [f32, f16, bf16], B = [32, 64, 128, 256])]
pub fn layer_norm<T: Float, const B: u32>(
    cols: u32,
    eps: f32,
    x: &[T],
    weight: &[T],
    bias: &[T],
    y: &mut [T],
) {
    let tile = shared_array::<f32, B>();
    let lid = local_id().x;
    let base = group_id().x * cols;
    let mut sum = 0.0f32;
    for c in (lid..cols).step_by(B) {
        sum += x[base + c] as f32;
    }
    tile[lid] = sum;
    workgroup_barrier();
    let mean = tile_sum(&mut tile) / cols as f32;
    workgroup_barrier();
    let mut sq = 0.0f32;
    for c in (lid..cols).step_by(B) {
        let d = x[base + c] as f32 - mean;
        sq += d * d;
    }
    tile[lid] = sq;
    workgroup_barrier();
    let rstd = 1.0 / sqrt(tile_sum(&mut tile) / cols as f32 + eps);
    for c in (lid..cols).step_by(B) {
        y[base + c] = ((x[base + c] as f32 - mean) * rstd * weight[c] as f32 + bias[c] as f32) as T;
    }
}

/// RMS normalisation of each row (Zhang and Sennrich, 2019):
/// `y = x / sqrt(mean(x^2) + eps) * weight`.
#[compute_kernel(workgroup_size = B, T = [f32, f16, bf16], B = [32, 64, 128, 256])]
pub fn rms_norm<T: Float, const B: u32>(cols: u32, eps: f32, x: &[T], weight: &[T], y: &mut [T]) {
    let tile = shared_array::<f32, B>();
    let lid = local_id().x;
    let base = group_id().x * cols;
    let mut sq = 0.0f32;
    for c in (lid..cols).step_by(B) {
        let v = x[base + c] as f32;
        sq += v * v;
    }
    tile[lid] = sq;
    workgroup_barrier();
    let rrms = 1.0 / sqrt(tile_sum(&mut tile) / cols as f32 + eps);
    for c in (lid..cols).step_by(B) {
        y[base + c] = (x[base + c] as f32 * rrms * weight[c] as f32) as T;
    }
}

/// Softmax with one subgroup (warp) per row, for rows too short to keep a workgroup of 256
/// busy: launch `Grid::groups([rows.div_ceil(256 / subgroup_size), 1, 1])` with the device's
/// `subgroup_size()`. The maximum and the sum are subgroup reductions, with no workgroup
/// memory and no barrier; subgroups past the last row return at once.
#[compute_kernel(workgroup_size = 256)]
pub fn softmax_warp(rows: u32, cols: u32, x: &[f32], y: &mut [f32]) {
    let row = group_id().x * num_subgroups() + subgroup_id();
    if row >= rows {
        return;
    }
    let lane = subgroup_invocation_id();
    let step = subgroup_size();
    let base = row * cols;
    let mut m = f32::NEG_INFINITY;
    for c in (lane..cols).step_by(step) {
        m = max(m, x[base + c]);
    }
    let row_max = subgroup_max(m);
    let mut s = 0.0f32;
    for c in (lane..cols).step_by(step) {
        let e = exp(x[base + c] - row_max);
        y[base + c] = e;
        s += e;
    }
    let inv = 1.0 / subgroup_add(s);
    for c in (lane..cols).step_by(step) {
        y[base + c] = y[base + c] * inv;
    }
}
