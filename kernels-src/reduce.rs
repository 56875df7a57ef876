//! Whole-array reductions, in two launches: each workgroup of 256 reduces a grid-stride share
//! of `x` in workgroup memory (a tree of halving steps between barriers, as in Harris,
//! "Optimizing Parallel Reduction in CUDA", 2007) and writes one partial; a second launch
//! with one workgroup reduces the partials. [`crate::reduce::sum`] and
//! [`crate::reduce::max`] run both.

use super::workgroup::{tile_max, tile_sum};
use kernelforge::prelude::*;

/// `partial[group_id().x]` = the sum of `x[j]` for `j` in this workgroup's grid-stride share.
#[compute_kernel(workgroup_size = 256)]
pub fn reduce_sum(x: &[f32], partial: &mut [f32]) {
    let tile = shared_array::<f32, 256>();
    let lid = local_id().x;
    let stride = num_groups().x * 256;
    let mut acc = 0.0f32;
    for i in (global_id().x..x.len()).step_by(stride) {
        acc += x[i];
    }
    tile[lid] = acc;
    barrier();
    let total = tile_sum(&mut tile);
    if lid == 0 {
        partial[group_id().x] = total;
    }
}

/// `partial[group_id().x]` = the maximum of this workgroup's grid-stride share of `x`
/// (`-inf` for an empty share).
#[compute_kernel(workgroup_size = 256)]
pub fn reduce_max(x: &[f32], partial: &mut [f32]) {
    let tile = shared_array::<f32, 256>();
    let lid = local_id().x;
    let stride = num_groups().x * 256;
    let mut acc = f32::NEG_INFINITY;
    for i in (global_id().x..x.len()).step_by(stride) {
        acc = max(acc, x[i]);
    }
    tile[lid] = acc;
    barrier();
    let total = tile_max(&mut tile);
    if lid == 0 {
        partial[group_id().x] = total;
    }
}
