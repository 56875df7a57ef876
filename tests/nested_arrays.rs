//! Arrays of arrays in workgroup memory (`shared_array::<[f32; 33], 32>()`) and private
//! memory (`[[0.0f32; 4]; 4]`), on every backend present: a tiled transpose through a padded
//! shared tile (the CUDA sample's layout, `tile[y][x]`), a private 4x4 matrix product, and
//! private arrays declared afresh in each iteration of a loop, all exact.

mod common;

use common::each_backend;
use kernelforge::prelude::*;

/// Transposes a `rows x cols` matrix through 32x32 tiles, one workgroup of 32x8 per tile.
#[compute_kernel(workgroup_size = (32, 8, 1))]
pub fn transpose(rows: u32, cols: u32, x: &[f32], y: &mut [f32]) {
    // A padding column keeps the reads of a column off one bank, as in the CUDA sample.
    let tile = shared_array::<[f32; 33], 32>();
    let bx = group_id().x * 32;
    let by = group_id().y * 32;
    let tx = local_id().x;
    for k in (0..32).step_by(8) {
        let ty = local_id().y + k;
        if by + ty < rows && bx + tx < cols {
            tile[ty][tx] = x[(by + ty) * cols + bx + tx];
        }
    }
    workgroup_barrier();
    for k in (0..32).step_by(8) {
        let ty = local_id().y + k;
        if bx + ty < cols && by + tx < rows {
            y[(bx + ty) * rows + by + tx] = tile[tx][ty];
        }
    }
}

#[each_backend]
fn transpose_through_a_two_dimensional_tile(dev: &Device) {
    for (rows, cols) in [(1u32, 1u32), (32, 32), (70, 45), (100, 257)] {
        let x: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
        let xb = dev.upload(&x).unwrap();
        let mut y = dev.zeros::<f32>((rows * cols) as usize).unwrap();
        let grid = Grid::groups([cols.div_ceil(32), rows.div_ceil(32), 1]);
        transpose::launch(dev, grid, rows, cols, &xb, &mut y).unwrap();
        let got = y.to_vec().unwrap();
        for r in 0..rows {
            for c in 0..cols {
                assert_eq!(
                    got[(c * rows + r) as usize],
                    x[(r * cols + c) as usize],
                    "({r}, {c}) of {rows}x{cols} on {}",
                    dev.name()
                );
            }
        }
    }
}

/// `c = a * b` for a batch of 4x4 matrices, through private 4x4 arrays.
#[compute_kernel(workgroup_size = 64)]
pub fn mat4_mul(a: &[f32], b: &[f32], c: &mut [f32]) {
    let m = global_id().x;
    if m * 16 < a.len() {
        let mut p = [[0.0f32; 4]; 4];
        let mut q: [[f32; 4]; 4] = [[0.0; 4]; 4];
        for i in 0..4 {
            for j in 0..4 {
                p[i][j] = a[m * 16 + i * 4 + j];
                q[i][j] = b[m * 16 + i * 4 + j];
            }
        }
        let mut r = [[0.0f32; 4]; 4];
        for i in 0..4 {
            for j in 0..4 {
                for k in 0..4 {
                    r[i][j] += p[i][k] * q[k][j];
                }
            }
        }
        for i in 0..4u32 {
            for j in 0..=3u32 {
                c[m * 16 + i * 4 + j] = r[i][j];
            }
        }
    }
}

#[each_backend]
fn private_matrices_multiply(dev: &Device) {
    let count = 100usize;
    let a: Vec<f32> = (0..count * 16).map(|i| (i % 7) as f32 - 3.0).collect();
    let b: Vec<f32> = (0..count * 16).map(|i| (i % 5) as f32).collect();
    let (ab, bb) = (dev.upload(&a).unwrap(), dev.upload(&b).unwrap());
    let mut c = dev.zeros::<f32>(count * 16).unwrap();
    mat4_mul::launch(dev, Grid::linear(count), &ab, &bb, &mut c).unwrap();
    let got = c.to_vec().unwrap();
    for m in 0..count {
        for i in 0..4 {
            for j in 0..4 {
                let want: f32 = (0..4)
                    .map(|k| a[m * 16 + i * 4 + k] * b[m * 16 + k * 4 + j])
                    .sum();
                assert_eq!(got[m * 16 + i * 4 + j], want, "matrix {m} ({i}, {j})");
            }
        }
    }
}

/// Private arrays longer than 16 declared in a loop, zero-filled and not: each iteration must
/// start from the fill, as in Rust. (The WGSL back end zero-fills by WGSL's zero value, where
/// other fills take a loop; naga before the fix of gfx-rs/wgpu#9489 left a `var` without an
/// initialiser holding the previous iteration's values.)
#[compute_kernel(workgroup_size = 64)]
pub fn fresh_arrays_each_iteration(rounds: u32, x: &[u32], y: &mut [u32]) {
    let i = global_id().x;
    if i < y.len() {
        let mut total = 0u32;
        // A run-time bound: a loop that no back end unrolls into separate arrays.
        for round in 0..rounds {
            let mut zeros = [0u32; 24];
            let mut ones = [1u32; 24];
            let mut halves = [0.0f32; 20];
            for k in 0..24u32 {
                zeros[k] += x[i] + round;
                ones[k] += round;
            }
            halves[19] += 0.5;
            total += zeros[23] + ones[0] + (halves[19] * 2.0) as u32;
        }
        y[i] = total;
    }
}

#[each_backend]
fn arrays_declared_in_a_loop_start_from_their_fill(dev: &Device) {
    let x: Vec<u32> = (0..100).collect();
    let xb = dev.upload(&x).unwrap();
    let mut y = dev.zeros::<u32>(x.len()).unwrap();
    fresh_arrays_each_iteration::launch(dev, Grid::linear(x.len()), 3, &xb, &mut y).unwrap();
    let got = y.to_vec().unwrap();
    for (i, &v) in x.iter().enumerate() {
        // Rounds 0..3: (v + round) + (1 + round) + 1.
        let want: u32 = (0..3).map(|r| (v + r) + (1 + r) + 1).sum();
        assert_eq!(got[i], want, "element {i} on {}", dev.name());
    }
}
