//! Workgroup-wide combinations shared by the reduction and row kernels, as `#[kernel_fn]`
//! helpers: a tree of halving steps over workgroup memory, with a barrier after each step
//! (Harris, "Optimizing Parallel Reduction in CUDA", 2007).

use kernelforge::prelude::*;

/// The sum of `tile[0..N]`, left in `tile[0]` and returned to every invocation. `N` is a power
/// of two; the workgroup is one-dimensional with at least `N / 2` invocations, all of which call
/// this after writing their element and a `workgroup_barrier()`. The other elements are overwritten.
#[kernel_fn]
pub fn tile_sum<const N: u32>(tile: &mut [f32; N]) -> f32 {
    let lid = local_id().x;
    let mut s = N / 2;
    while s > 0 {
        if lid < s {
            tile[lid] = tile[lid] + tile[lid + s];
        }
        workgroup_barrier();
        s /= 2;
    }
    tile[0]
}

/// The maximum of `tile[0..N]`, as [`tile_sum`] computes the sum.
#[kernel_fn]
pub fn tile_max<const N: u32>(tile: &mut [f32; N]) -> f32 {
    let lid = local_id().x;
    let mut s = N / 2;
    while s > 0 {
        if lid < s {
            tile[lid] = max(tile[lid], tile[lid + s]);
        }
        workgroup_barrier();
        s /= 2;
    }
    tile[0]
}
