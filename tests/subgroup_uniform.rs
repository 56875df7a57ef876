//! Subgroup operations under control that is uniform across each subgroup only, on every
//! backend present: a warp per row with an early `return` for the rows past the end, a loop
//! over rows stepping by subgroups, a subgroup-uniform `if`/`else`, a loop some subgroups
//! leave early, a lane exchange through a buffer under a subgroup-uniform condition, and
//! loops strided over a subgroup's lanes with retired lanes. The
//! sums are of small integers, exact in any order, so results are compared exactly.

mod common;

use common::{each_backend, lacks_shader_feature};
use kernelforge::prelude::*;

/// One subgroup per row: `y[row] = sum(x[row, ..])`.
#[compute_kernel(workgroup_size = 128)]
pub fn warp_row_sums(rows: u32, cols: u32, x: &[f32], y: &mut [f32]) {
    let row = group_id().x * num_subgroups() + subgroup_id();
    if row >= rows {
        return;
    }
    let lane = subgroup_invocation_id();
    let mut s = 0.0f32;
    for c in (lane..cols).step_by(subgroup_size()) {
        s += x[row * cols + c];
    }
    let total = subgroup_add(s);
    if lane == 0 {
        y[row] = total;
    }
}

/// Each subgroup loops over rows `subgroup_id(), + num_subgroups(), ...` of one workgroup's
/// grid-stride share, reducing each with a subgroup operation inside the loop; a
/// subgroup-uniform `if`/`else` picks max or sum by row parity.
#[compute_kernel(workgroup_size = 64)]
pub fn strided_rows(rows: u32, cols: u32, x: &[f32], y: &mut [f32]) {
    let lane = subgroup_invocation_id();
    let first = group_id().x * num_subgroups() + subgroup_id();
    let stride = num_groups().x * num_subgroups();
    for row in (first..rows).step_by(stride) {
        let mut s = 0.0f32;
        let mut m = f32::NEG_INFINITY;
        for c in (lane..cols).step_by(subgroup_size()) {
            s += x[row * cols + c];
            m = max(m, x[row * cols + c]);
        }
        let v = if row % 2 == 0 {
            subgroup_add(s)
        } else {
            subgroup_max(m)
        };
        if lane == 0 {
            y[row] = v;
        }
    }
}

/// Subgroup `g` runs `g + 1` rounds of a loop it leaves with `break`, adding 1 each round.
#[compute_kernel(workgroup_size = 128)]
pub fn early_leavers(out: &mut [u32]) {
    let sg = subgroup_id();
    let mut rounds = 0u32;
    let mut total = 0u32;
    loop {
        total += subgroup_add(1u32);
        rounds += 1;
        if rounds > sg {
            break;
        }
    }
    if subgroup_invocation_id() == 0 {
        out[group_id().x * num_subgroups() + sg] = total;
    }
}

/// Lanes of subgroups whose row is in range write their value and read their partner's after
/// `subgroup_barrier()`.
#[compute_kernel(workgroup_size = 64)]
pub fn guarded_exchange(rows: u32, buf: &mut [u32], out: &mut [u32]) {
    let i = global_id().x;
    let row = group_id().x * num_subgroups() + subgroup_id();
    let partner = subgroup_shuffle_xor(i, 1);
    if row < rows {
        buf[i] = i * 7 + 3;
        subgroup_barrier();
        out[i] = buf[partner];
    }
}

/// Each invocation sums its subgroup's row of `x` over its lane's columns `lane + skip`,
/// `+ step`, ..., leaving out multiples of 7 (`continue`); lanes with `lane % 5 == 3` return
/// first.
#[compute_kernel(workgroup_size = 64)]
pub fn lane_strides(cols: u32, skip: u32, step: u32, x: &[f32], out: &mut [f32]) {
    let lane = subgroup_invocation_id();
    let row = group_id().x * num_subgroups() + subgroup_id();
    let base = row * cols;
    if lane % 5 == 3 {
        return;
    }
    let mut s = 0.0f32;
    for c in (lane + skip..cols).step_by(step) {
        if c % 7 == 0 {
            continue;
        }
        s += x[base + c];
    }
    out[global_id().x] = s;
}

#[each_backend]
fn a_warp_per_row_with_an_early_return(dev: &Device) {
    let Ok(size) = dev.subgroup_size() else {
        eprintln!("skipped on {}: no fixed subgroup size", dev.name());
        return;
    };
    let per_group = 128 / size;
    for (rows, cols) in [(1u32, 1u32), (5, 37), (67, 100), (200, 3)] {
        let x: Vec<f32> = (0..rows * cols).map(|i| (i % 11) as f32).collect();
        let xb = dev.upload(&x).unwrap();
        let mut y = dev.upload(&vec![-1.0f32; rows as usize]).unwrap();
        let grid = Grid::groups([rows.div_ceil(per_group), 1, 1]);
        let r = warp_row_sums::launch(dev, grid, rows, cols, &xb, &mut y);
        if lacks_shader_feature(dev, r, &["SUBGROUP"]) {
            return;
        }
        let want: Vec<f32> = x.chunks(cols as usize).map(|r| r.iter().sum()).collect();
        assert_eq!(y.to_vec().unwrap(), want, "{rows}x{cols} on {}", dev.name());
    }
}

/// Lane-strided loops (which the CPU back end runs in column order per subgroup) with an
/// offset, steps below, at and above the subgroup size, a `continue` and retired lanes,
/// against the same sums on the host.
#[each_backend]
fn lane_strided_loops(dev: &Device) {
    let Ok(size) = dev.subgroup_size() else {
        eprintln!("skipped on {}: no fixed subgroup size", dev.name());
        return;
    };
    let per_group = 64 / size;
    let groups = 3u32;
    let cols = 150u32;
    let rows = groups * per_group;
    let x: Vec<f32> = (0..rows * cols).map(|i| (i % 17) as f32).collect();
    let xb = dev.upload(&x).unwrap();
    for (skip, step) in [(0u32, size), (5, 3), (2, 40), (200, 1)] {
        let mut out = dev.upload(&vec![-1.0f32; (64 * groups) as usize]).unwrap();
        let grid = Grid::groups([groups, 1, 1]);
        let r = lane_strides::launch(dev, grid, cols, skip, step, &xb, &mut out);
        if lacks_shader_feature(dev, r, &["SUBGROUP"]) {
            return;
        }
        let want: Vec<f32> = (0..64 * groups)
            .map(|i| {
                let (g, l) = (i / 64, i % 64);
                let (lane, row) = (l % size, g * per_group + l / size);
                if lane % 5 == 3 {
                    return -1.0;
                }
                (lane + skip..cols)
                    .step_by(step as usize)
                    .filter(|c| c % 7 != 0)
                    .map(|c| x[(row * cols + c) as usize])
                    .sum()
            })
            .collect();
        assert_eq!(
            out.to_vec().unwrap(),
            want,
            "skip {skip}, step {step} on {}",
            dev.name()
        );
    }
}

#[each_backend]
fn loops_and_branches_uniform_per_subgroup(dev: &Device) {
    let (rows, cols) = (301u32, 45u32);
    let x: Vec<f32> = (0..rows * cols).map(|i| ((i * 7) % 13) as f32).collect();
    let xb = dev.upload(&x).unwrap();
    let mut y = dev.zeros::<f32>(rows as usize).unwrap();
    let r = strided_rows::launch(dev, Grid::groups([3, 1, 1]), rows, cols, &xb, &mut y);
    if lacks_shader_feature(dev, r, &["SUBGROUP"]) {
        return;
    }
    let want: Vec<f32> = x
        .chunks(cols as usize)
        .enumerate()
        .map(|(i, r)| {
            if i % 2 == 0 {
                r.iter().sum()
            } else {
                r.iter().copied().fold(f32::NEG_INFINITY, f32::max)
            }
        })
        .collect();
    assert_eq!(y.to_vec().unwrap(), want, "on {}", dev.name());

    let size = dev.subgroup_size().unwrap_or(32);
    let per_group = 128 / size;
    let mut out = dev.zeros::<u32>((2 * per_group) as usize).unwrap();
    early_leavers::launch(dev, Grid::groups([2, 1, 1]), &mut out).unwrap();
    let want: Vec<u32> = (0..2 * per_group)
        .map(|k| (k % per_group + 1) * size)
        .collect();
    assert_eq!(out.to_vec().unwrap(), want, "on {}", dev.name());
}

#[each_backend]
fn subgroup_barrier_under_a_subgroup_uniform_condition(dev: &Device) {
    let size = dev.subgroup_size().unwrap_or(32);
    let per_group = 64 / size;
    let groups = 5u32;
    let n = (64 * groups) as usize;
    // Rows (subgroups) past `rows` skip the exchange.
    let rows = groups * per_group - 3;
    let mut buf = dev.zeros::<u32>(n).unwrap();
    let mut out = dev.zeros::<u32>(n).unwrap();
    let r = guarded_exchange::launch(dev, Grid::groups([groups, 1, 1]), rows, &mut buf, &mut out);
    if lacks_shader_feature(dev, r, &["SUBGROUP_BARRIER", "SUBGROUP"]) {
        return;
    }
    let got = out.to_vec().unwrap();
    for (i, &v) in got.iter().enumerate() {
        let row = i as u32 / size;
        let want = if row < rows {
            ((i ^ 1) * 7 + 3) as u32
        } else {
            0
        };
        assert_eq!(v, want, "invocation {i} on {}", dev.name());
    }
}

/// The built-in `softmax_warp` against f64, within the row kernels' tolerance
/// (`1e-5 + 1e-4 * |want|`), at row counts that leave subgroups of the last workgroup idle.
#[each_backend]
fn softmax_warp_matches_f64(dev: &Device) {
    use kernelforge::kernels::softmax_warp;
    let Ok(size) = dev.subgroup_size() else {
        eprintln!("skipped on {}: no fixed subgroup size", dev.name());
        return;
    };
    for (rows, cols) in [(1u32, 1u32), (37, 100), (300, 256), (9, 1000)] {
        let x: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 37) % 201) as f32 / 20.0 - 5.0)
            .collect();
        let xb = dev.upload(&x).unwrap();
        let mut y = dev.zeros::<f32>(x.len()).unwrap();
        let grid = Grid::groups([rows.div_ceil(256 / size), 1, 1]);
        let r = softmax_warp::launch(dev, grid, rows, cols, &xb, &mut y);
        if lacks_shader_feature(dev, r, &["SUBGROUP"]) {
            return;
        }
        let got = y.to_vec().unwrap();
        for (r, (xr, yr)) in x
            .chunks(cols as usize)
            .zip(got.chunks(cols as usize))
            .enumerate()
        {
            let m = xr.iter().map(|&v| v as f64).fold(f64::MIN, f64::max);
            let s: f64 = xr.iter().map(|&v| (v as f64 - m).exp()).sum();
            for (&v, &o) in xr.iter().zip(yr) {
                let want = (v as f64 - m).exp() / s;
                assert!(
                    (o as f64 - want).abs() <= 1e-5 + 1e-4 * want.abs(),
                    "row {r} of {rows}x{cols} on {}: {o} vs {want}",
                    dev.name()
                );
            }
        }
    }
}
