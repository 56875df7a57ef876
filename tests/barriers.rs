//! The three barriers on every backend present: `barrier()` orders `&mut` slices among the
//! invocations of a workgroup (CUDA's `__syncthreads()`), `workgroup_barrier()` orders
//! workgroup memory, and `subgroup_barrier()` orders the lanes of a subgroup (`__syncwarp()`).
//! Each kernel exchanges values written before the barrier and checks them exactly.

mod common;

use common::{each_backend, lacks_shader_feature};

use kernelforge::prelude::*;

/// A value no other invocation writes.
fn tag(i: u32) -> u32 {
    i.wrapping_mul(2654435761) ^ 0x5bd1_e995
}

/// Each invocation writes its tag to `buf`, then reads the tag of the invocation mirrored in
/// its workgroup; twice, so that the second round reads over the first's values.
#[compute_kernel(workgroup_size = 128)]
pub fn storage_exchange(n: u32, buf: &mut [u32], out: &mut [u32]) {
    let i = global_id().x;
    let base = group_id().x * 128;
    let mirror = base + 127 - local_id().x;
    buf[i] = i.wrapping_mul(2654435761) ^ 0x5bd1_e995;
    barrier();
    let first = buf[mirror];
    barrier();
    buf[i] = first + 1;
    barrier();
    out[i] = buf[mirror] + (n - n);
}

#[each_backend]
fn barrier_orders_storage_buffers(dev: &Device) {
    let groups = 40u32;
    let n = groups * 128;
    let mut buf = dev.zeros::<u32>(n as usize).unwrap();
    let mut out = dev.zeros::<u32>(n as usize).unwrap();
    let grid = Grid::groups([groups, 1, 1]);
    storage_exchange::launch(dev, grid, n, &mut buf, &mut out).unwrap();
    let got = out.to_vec().unwrap();
    for (i, &v) in got.iter().enumerate() {
        let i = i as u32;
        // The mirror of the mirror is the invocation itself.
        assert_eq!(
            v,
            tag(i).wrapping_add(1),
            "invocation {i} on {}",
            dev.name()
        );
    }
}

/// Lanes exchange through a buffer: each writes its value, waits for its subgroup, and reads
/// its partner's (`lane ^ 1`; the partner's global id comes from a shuffle, which works
/// whatever ids the adapter puts in a subgroup).
#[compute_kernel(workgroup_size = 64)]
pub fn lane_exchange(buf: &mut [u32], out: &mut [u32]) {
    let i = global_id().x;
    let partner = subgroup_shuffle_xor(i, 1);
    buf[i] = i * 3 + 1;
    subgroup_barrier();
    out[i] = buf[partner];
    subgroup_barrier();
    buf[i] = out[i] + 5;
    subgroup_barrier();
    out[i] = buf[partner] - i;
}

#[each_backend]
fn subgroup_barrier_orders_a_subgroup(dev: &Device) {
    let n = 64 * 30;
    let mut buf = dev.zeros::<u32>(n).unwrap();
    let mut out = dev.zeros::<u32>(n).unwrap();
    let r = lane_exchange::launch(dev, Grid::linear(n), &mut buf, &mut out);
    if lacks_shader_feature(dev, r, &["SUBGROUP_BARRIER", "SUBGROUP"]) {
        return;
    }
    let got = out.to_vec().unwrap();
    let size = dev.subgroup_size().unwrap_or(32);
    assert!(size >= 2, "subgroup size {size}");
    for (i, &v) in got.iter().enumerate() {
        let i = i as u32;
        // Partner of the partner is the lane itself: (i*3+1) + 5 - i.
        assert_eq!(v, i * 2 + 6, "lane {i} on {}", dev.name());
    }
}

/// `workgroup_barrier()` orders workgroup memory: a rotation through a tile.
#[compute_kernel(workgroup_size = 256)]
pub fn tile_rotate(x: &[f32], y: &mut [f32]) {
    let tile = shared_array::<f32, 256>();
    let l = local_id().x;
    let i = global_id().x;
    tile[l] = x[i];
    workgroup_barrier();
    let v = tile[(l + 1) % 256];
    workgroup_barrier();
    tile[l] = v * 2.0;
    workgroup_barrier();
    y[i] = tile[(l + 255) % 256];
}

#[each_backend]
fn workgroup_barrier_orders_workgroup_memory(dev: &Device) {
    let n = 256 * 9;
    let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let xb = dev.upload(&x).unwrap();
    let mut y = dev.zeros::<f32>(n).unwrap();
    tile_rotate::launch(dev, Grid::linear(n), &xb, &mut y).unwrap();
    // Rotated forward then back: each element doubled in place.
    let want: Vec<f32> = x.iter().map(|v| v * 2.0).collect();
    assert_eq!(y.to_vec().unwrap(), want, "on {}", dev.name());
}
