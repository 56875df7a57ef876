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

/// [`softmax`] moving four elements per access: each invocation strides over the row's `Vec4`s
/// (`cols` a multiple of 4, which `kernelforge::ops` checks before choosing it). On lavapipe a
/// kernel pays per invocation and per access more than per byte (a `vec4` access costs about
/// what a scalar one does), and on GPUs 16-byte accesses move a row in a quarter of the
/// instructions; on the CPU the scalar kernel's stride loops vectorise already, so which one
/// runs is left to the autotuned family. Sums combine each vector's lanes first, so results
/// differ from [`softmax`]'s in the last bits.
#[compute_kernel(workgroup_size = B, T = [f32, f16, bf16], B = [32, 256])]
pub fn softmax_v4<T: Float, const B: u32>(cols: u32, x: &[T], y: &mut [T]) {
    let tile = shared_array::<f32, B>();
    let lid = local_id().x;
    let n4 = cols / 4;
    let base = group_id().x * n4;
    let mut m = f32::NEG_INFINITY;
    for c in (lid..n4).step_by(B) {
        let v = Vec4::load(x, base + c);
        m = max(
            m,
            max(max(v.x as f32, v.y as f32), max(v.z as f32, v.w as f32)),
        );
    }
    tile[lid] = m;
    workgroup_barrier();
    let row_max = tile_max(&mut tile);
    workgroup_barrier();
    // As in `softmax`: `f32` stages the exponentials in `y`, a half type recomputes them.
    let staged = T::EPSILON as f32 == f32::EPSILON;
    let mut sum = 0.0f32;
    for c in (lid..n4).step_by(B) {
        let v = Vec4::load(x, base + c);
        let e = Vec4::new(
            exp(v.x as f32 - row_max),
            exp(v.y as f32 - row_max),
            exp(v.z as f32 - row_max),
            exp(v.w as f32 - row_max),
        );
        if staged {
            Vec4::new(e.x as T, e.y as T, e.z as T, e.w as T).store(y, base + c);
        }
        sum += (e.x + e.y) + (e.z + e.w);
    }
    tile[lid] = sum;
    workgroup_barrier();
    let inv = 1.0 / tile_sum(&mut tile);
    for c in (lid..n4).step_by(B) {
        let mut e = Vec4::splat(0.0f32);
        if staged {
            let s = Vec4::load(y, base + c);
            e = Vec4::new(s.x as f32, s.y as f32, s.z as f32, s.w as f32);
        } else {
            let v = Vec4::load(x, base + c);
            e = Vec4::new(
                exp(v.x as f32 - row_max),
                exp(v.y as f32 - row_max),
                exp(v.z as f32 - row_max),
                exp(v.w as f32 - row_max),
            );
        }
        let r = e * inv;
        Vec4::new(r.x as T, r.y as T, r.z as T, r.w as T).store(y, base + c);
    }
}

/// [`layer_norm`] moving four elements per access, as [`softmax_v4`] (`cols` a multiple of 4).
#[compute_kernel(workgroup_size = B, T = [f32, f16, bf16], B = [32, 256])]
pub fn layer_norm_v4<T: Float, const B: u32>(
    cols: u32,
    eps: f32,
    x: &[T],
    weight: &[T],
    bias: &[T],
    y: &mut [T],
) {
    let tile = shared_array::<f32, B>();
    let lid = local_id().x;
    let n4 = cols / 4;
    let base = group_id().x * n4;
    let mut sum = 0.0f32;
    for c in (lid..n4).step_by(B) {
        let v = Vec4::load(x, base + c);
        sum += (v.x as f32 + v.y as f32) + (v.z as f32 + v.w as f32);
    }
    tile[lid] = sum;
    workgroup_barrier();
    let mean = tile_sum(&mut tile) / cols as f32;
    workgroup_barrier();
    let mut sq = 0.0f32;
    for c in (lid..n4).step_by(B) {
        let v = Vec4::load(x, base + c);
        let d = Vec4::new(v.x as f32, v.y as f32, v.z as f32, v.w as f32) - mean;
        sq += d.dot(d);
    }
    tile[lid] = sq;
    workgroup_barrier();
    let rstd = 1.0 / sqrt(tile_sum(&mut tile) / cols as f32 + eps);
    for c in (lid..n4).step_by(B) {
        let v = Vec4::load(x, base + c);
        let w = Vec4::load(weight, c);
        let b = Vec4::load(bias, c);
        let r = Vec4::new(
            (v.x as f32 - mean) * rstd * w.x as f32 + b.x as f32,
            (v.y as f32 - mean) * rstd * w.y as f32 + b.y as f32,
            (v.z as f32 - mean) * rstd * w.z as f32 + b.z as f32,
            (v.w as f32 - mean) * rstd * w.w as f32 + b.w as f32,
        );
        Vec4::new(r.x as T, r.y as T, r.z as T, r.w as T).store(y, base + c);
    }
}

/// [`rms_norm`] moving four elements per access, as [`softmax_v4`] (`cols` a multiple of 4).
#[compute_kernel(workgroup_size = B, T = [f32, f16, bf16], B = [32, 256])]
pub fn rms_norm_v4<T: Float, const B: u32>(
    cols: u32,
    eps: f32,
    x: &[T],
    weight: &[T],
    y: &mut [T],
) {
    let tile = shared_array::<f32, B>();
    let lid = local_id().x;
    let n4 = cols / 4;
    let base = group_id().x * n4;
    let mut sq = 0.0f32;
    for c in (lid..n4).step_by(B) {
        let v = Vec4::load(x, base + c);
        let f = Vec4::new(v.x as f32, v.y as f32, v.z as f32, v.w as f32);
        sq += f.dot(f);
    }
    tile[lid] = sq;
    workgroup_barrier();
    let rrms = 1.0 / sqrt(tile_sum(&mut tile) / cols as f32 + eps);
    for c in (lid..n4).step_by(B) {
        let v = Vec4::load(x, base + c);
        let w = Vec4::load(weight, c);
        let r = Vec4::new(
            v.x as f32 * rrms * w.x as f32,
            v.y as f32 * rrms * w.y as f32,
            v.z as f32 * rrms * w.z as f32,
            v.w as f32 * rrms * w.w as f32,
        );
        Vec4::new(r.x as T, r.y as T, r.z as T, r.w as T).store(y, base + c);
    }
}
