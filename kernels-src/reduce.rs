//! Whole-array reductions, in two launches: each workgroup of 256 reduces one contiguous block
//! of `x` in workgroup memory (a tree of halving steps between barriers, as in Harris,
//! "Optimizing Parallel Reduction in CUDA", 2007) and writes one partial; a second launch
//! with one workgroup reduces the partials. [`crate::reduce::sum`] and
//! [`crate::reduce::max`] run both.
//!
//! The blocks are an even share of whole 256-element tiles, as CUB's `GridEvenShare`: on a GPU
//! the invocations of a workgroup still read consecutive addresses, and on the CPU a workgroup
//! streams one contiguous block instead of 1 KiB pieces a grid apart (0.6-0.7x the rayon peer
//! with a grid-stride loop).

use super::workgroup::{tile_max, tile_sum};
use kernelforge::prelude::*;

/// `partial[group_id().x]` = the sum of this workgroup's block of `x` (0 for an empty block).
#[compute_kernel(workgroup_size = 256)]
pub fn reduce_sum(x: &[f32], partial: &mut [f32]) {
    let tile = shared_array::<f32, 256>();
    let lid = local_id().x;
    let per = block_size(x.len());
    let lo = group_id().x * per;
    let n = if lo < x.len() {
        min(per, x.len() - lo)
    } else {
        0
    };
    let mut acc = 0.0f32;
    for c in (lid..n).step_by(256) {
        acc += x[lo + c];
    }
    tile[lid] = acc;
    workgroup_barrier();
    let total = tile_sum(&mut tile);
    if lid == 0 {
        partial[group_id().x] = total;
    }
}

/// `partial[group_id().x]` = the maximum of this workgroup's block of `x` (`-inf` for an
/// empty block).
#[compute_kernel(workgroup_size = 256)]
pub fn reduce_max(x: &[f32], partial: &mut [f32]) {
    let tile = shared_array::<f32, 256>();
    let lid = local_id().x;
    let per = block_size(x.len());
    let lo = group_id().x * per;
    let n = if lo < x.len() {
        min(per, x.len() - lo)
    } else {
        0
    };
    let mut acc = f32::NEG_INFINITY;
    for c in (lid..n).step_by(256) {
        acc = max(acc, x[lo + c]);
    }
    tile[lid] = acc;
    workgroup_barrier();
    let total = tile_max(&mut tile);
    if lid == 0 {
        partial[group_id().x] = total;
    }
}

/// Elements per workgroup block over an array of `len`: `ceil(tiles / num_groups().x)` whole
/// tiles of 256, `tiles = ceil(len / 256)`, so the last blocks may be short or empty. Written
/// without `len + 255`, which would wrap near `u32::MAX`.
#[kernel_fn]
fn block_size(len: u32) -> u32 {
    let groups = num_groups().x;
    let tiles = len / 256 + min(len % 256, 1);
    (tiles / groups + min(tiles % groups, 1)) * 256
}
