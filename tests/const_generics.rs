//! Kernels with const generic parameters, built for the values the attribute lists: a block
//! size used as `workgroup_size`, a shared array's length, a loop bound and a helper's const
//! generic, and a second parameter for a private array and an unrolled loop. Each instance runs
//! on every backend present against a scalar reference (small integers: exact in f32).

mod common;

use common::each_backend;

use kernelforge::prelude::*;

/// `out[g]` = the sum of block `g` of `x`, `B` elements per workgroup.
#[compute_kernel(workgroup_size = B, B = [32, 64, 256])]
pub fn block_sums<const B: u32>(x: &[f32], out: &mut [f32]) {
    let tile = shared_array::<f32, B>();
    let lid = local_id().x;
    let i = group_id().x * B + lid;
    tile[lid] = if i < x.len() { x[i] } else { 0.0 };
    barrier();
    let total = common::tile_total(&mut tile);
    if lid == 0 {
        out[group_id().x] = total;
    }
}

/// `y[i]` = the sum of `x[i * U + k]` for `k < U` weighted by `k + 1`, through a private array
/// of `U` elements; `B` invocations per workgroup.
#[compute_kernel(workgroup_size = B, B = [64, 128], U = [1, 4])]
pub fn weighted<const B: u32, const U: u32>(x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < y.len() {
        let mut w = [0.0f32; U];
        for k in 0..U {
            w[k] = (k + 1) as f32;
        }
        let mut acc = 0.0f32;
        for k in 0..U {
            acc += w[k] * x[i * U + k];
        }
        y[i] = acc;
    }
}

fn x_of(n: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * 7) % 23) as f32 - 11.0).collect()
}

#[each_backend]
fn each_block_size_sums_its_blocks(dev: &Device) {
    assert_eq!(block_sums::block_sums_64::WORKGROUP_SIZE, [64, 1, 1]);
    assert_eq!(block_sums::block_sums_256::WORKGROUP_SIZE, [256, 1, 1]);
    let name = dev.name();
    for n in [1usize, 100, 1000] {
        let x = x_of(n);
        let xb = dev.upload(&x).unwrap();
        for b in [32usize, 64, 256] {
            let groups = n.div_ceil(b);
            let mut out = dev.zeros::<f32>(groups).unwrap();
            let grid = Grid::groups([groups as u32, 1, 1]);
            match b {
                32 => block_sums::launch::<32>(dev, grid, &xb, &mut out),
                64 => block_sums::launch::<64>(dev, grid, &xb, &mut out),
                _ => block_sums::launch::<256>(dev, grid, &xb, &mut out),
            }
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            let want: Vec<f32> = x.chunks(b).map(|c| c.iter().sum()).collect();
            assert_eq!(out.to_vec().unwrap(), want, "{name}: n {n}, B {b}");
        }
    }
}

#[each_backend]
fn two_parameters_make_four_instances(dev: &Device) {
    let name = dev.name();
    let n = 1000usize;
    for u in [1usize, 4] {
        let x = x_of(n * u);
        let xb = dev.upload(&x).unwrap();
        let want: Vec<f32> = (0..n)
            .map(|i| (0..u).map(|k| (k + 1) as f32 * x[i * u + k]).sum())
            .collect();
        for b in [64u32, 128] {
            let mut y = dev.zeros::<f32>(n).unwrap();
            let grid = Grid::linear(n);
            match (b, u) {
                (64, 1) => weighted::launch::<64, 1>(dev, grid, &xb, &mut y),
                (64, _) => weighted::launch::<64, 4>(dev, grid, &xb, &mut y),
                (_, 1) => weighted::launch::<128, 1>(dev, grid, &xb, &mut y),
                _ => weighted::launch::<128, 4>(dev, grid, &xb, &mut y),
            }
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(y.to_vec().unwrap(), want, "{name}: B {b}, U {u}");
        }
    }
}
