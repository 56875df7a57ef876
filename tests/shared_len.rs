//! Workgroup memory sized at launch (`shared_array::<T>(n)`, CUDA's `extern __shared__`) on
//! every backend present: each workgroup stages a row of `cols` elements, a length chosen per
//! launch, and writes it reversed; the wgpu backend builds one pipeline per length. Lengths
//! past the device's limit are an `Err` naming both numbers.

mod common;

use common::each_backend;
use kernelforge::prelude::*;

/// Row `group_id().x` of a `[rows, cols]` matrix, reversed through a shared row of `cols`
/// elements, plus the row's sum through a launch-sized atomic counter.
#[compute_kernel(workgroup_size = 64)]
pub fn reverse_rows(cols: u32, x: &[f32], y: &mut [f32], sums: &mut [f32]) {
    let row = shared_array::<f32>(cols);
    let base = group_id().x * cols;
    let l = local_id().x;
    for c in (l..cols).step_by(64) {
        row[c] = x[base + c];
    }
    workgroup_barrier();
    for c in (l..cols).step_by(64) {
        y[base + c] = row[cols - 1 - c];
    }
    if l == 0 {
        let mut s = 0.0f32;
        for c in 0..cols {
            s += row[c];
        }
        sums[group_id().x] = s;
    }
}

#[each_backend]
fn rows_reverse_through_launch_sized_memory(dev: &Device) {
    let rows = 5u32;
    for cols in [1u32, 7, 64, 100, 1000, 4000] {
        let x: Vec<f32> = (0..rows * cols).map(|i| (i % 1000) as f32).collect();
        let xb = dev.upload(&x).unwrap();
        let mut y = dev.zeros::<f32>(x.len()).unwrap();
        let mut sums = dev.zeros::<f32>(rows as usize).unwrap();
        let grid = Grid::groups([rows, 1, 1]);
        reverse_rows::launch(dev, grid, cols, &xb, &mut y, &mut sums).unwrap();
        let got = y.to_vec().unwrap();
        let sums = sums.to_vec().unwrap();
        for r in 0..rows as usize {
            let row = &x[r * cols as usize..(r + 1) * cols as usize];
            let want: Vec<f32> = row.iter().rev().copied().collect();
            assert_eq!(
                &got[r * cols as usize..(r + 1) * cols as usize],
                &want[..],
                "row {r} of {cols} on {}",
                dev.name()
            );
            // Integers below 2^24: exact in any order.
            assert_eq!(sums[r], row.iter().sum::<f32>(), "sum of row {r} of {cols}");
        }
    }
}

#[each_backend]
fn launch_sized_memory_past_the_limit_is_an_error(dev: &Device) {
    // 32 M elements of f32 (128 MiB): over every GPU's shared memory and the CPU's cap.
    let cols = 32u32 << 20;
    let xb = dev.zeros::<f32>(1).unwrap();
    let mut y = dev.zeros::<f32>(1).unwrap();
    let mut sums = dev.zeros::<f32>(1).unwrap();
    let err = reverse_rows::launch(dev, Grid::groups([1, 1, 1]), cols, &xb, &mut y, &mut sums)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("134217728") && err.contains("launch-sized"),
        "{}: {err}",
        dev.name()
    );
}
