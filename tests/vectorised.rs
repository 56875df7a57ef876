//! The wgpu backend's `x4` modules (four invocations per invocation, `vec4` accesses; see
//! codegen/src/back/wgsl/vector.rs): branches turned into selects, stores in branches, masked
//! tails, guards tighter than the buffers, uniform-index loads, integer division, and grids
//! large enough to be folded. Every backend runs the same kernels; results must equal plain
//! Rust bit for bit (the arithmetic is exact or identical under FMA contraction).

mod common;

use common::each_backend;

use kernelforge::prelude::*;

/// Has the vector shape: branches, a nested branch, a store in a branch, a uniform-index load.
#[compute_kernel(workgroup_size = 64)]
fn mixed(x: &[f32], k: &[i32], table: &[f32], y: &mut [f32], z: &mut [i32], n: u32, flag: bool) {
    let i = global_id().x;
    if i < n {
        let v = x[i];
        let mut w = v * table[1];
        if v > 0.0 && flag {
            w = w + 1.0;
            z[i] = k[i] / 3 + k[i] % 5 - (k[i] >> 2);
        } else {
            w = (w - 0.5).round();
            if k[i] < 0 {
                w = -w;
            }
        }
        let c = if w > 2.0 { 1 } else { 0 };
        y[i] = w + c as f32 + (i as f32) * 0.5;
    }
}

fn mixed_reference(
    x: &[f32],
    k: &[i32],
    table: &[f32],
    y: &mut [f32],
    z: &mut [i32],
    n: u32,
    flag: bool,
) {
    for i in 0..(n as usize).min(y.len()) {
        let v = x[i];
        let mut w = v * table[1];
        if v > 0.0 && flag {
            w += 1.0;
            z[i] = (k[i] / 3).wrapping_add(k[i] % 5).wrapping_sub(k[i] >> 2);
        } else {
            w = (w - 0.5).round();
            if k[i] < 0 {
                w = -w;
            }
        }
        let c = if w > 2.0 { 1 } else { 0 };
        y[i] = w + c as f32 + (i as f32) * 0.5;
    }
}

/// Has the vector shape with no guard other than the length, and uses the index as a value.
/// Small workgroups, so that a grid needs folding at a modest buffer size.
#[compute_kernel(workgroup_size = 32)]
fn iota(y: &mut [u32], k: u32) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = i * 3 + k;
    }
}

/// Has no vector shape (a loop): the scalar module only.
#[compute_kernel(workgroup_size = 256)]
fn looped(y: &mut [u32]) {
    let i = global_id().x;
    if i < y.len() {
        let mut s = 0u32;
        for j in 0..4u32 {
            s += j;
        }
        y[i] = s;
    }
}

#[test]
fn x4_modules_exist_for_elementwise_kernels_only() {
    assert!(mixed::WGSL_X4_SOURCE.is_some());
    assert!(iota::WGSL_X4_SOURCE.is_some());
    assert!(looped::WGSL_X4_SOURCE.is_none());
    assert!(kernelforge::kernels::gelu::gelu_f32::WGSL_X4_SOURCE.is_some());
}

#[each_backend]
fn mixed_matches_rust_at_every_tail(dev: &Device) {
    for len in [0usize, 1, 3, 4, 5, 63, 64, 65, 1023, 1025, 4099] {
        for n in [len as u32, len.saturating_sub(2) as u32] {
            for flag in [true, false] {
                let x: Vec<f32> = (0..len)
                    .map(|i| ((i * 37) % 23) as f32 * 0.75 - 8.0)
                    .collect();
                let k: Vec<i32> = (0..len).map(|i| ((i * 7919) % 201) as i32 - 100).collect();
                let table = [0.0f32, 2.0, 3.0];
                let mut want_y = vec![-7.0f32; len];
                let mut want_z = vec![-7i32; len];
                mixed_reference(&x, &k, &table, &mut want_y, &mut want_z, n, flag);
                let xb = dev.upload(&x).unwrap();
                let kb = dev.upload(&k).unwrap();
                let tb = dev.upload(&table).unwrap();
                let mut yb = dev.upload(&vec![-7.0f32; len]).unwrap();
                let mut zb = dev.upload(&vec![-7i32; len]).unwrap();
                mixed::launch(
                    dev,
                    Grid::linear(len),
                    &xb,
                    &kb,
                    &tb,
                    &mut yb,
                    &mut zb,
                    n,
                    flag,
                )
                .unwrap();
                let what = format!("{} len={len} n={n} flag={flag}", dev.name());
                assert_eq!(yb.to_vec().unwrap(), want_y, "y on {what}");
                assert_eq!(zb.to_vec().unwrap(), want_z, "z on {what}");
            }
        }
    }
}

/// 8,389,481 invocations in workgroups of 32: the x4 module's quarter of the 262,172
/// workgroups still exceeds 65,535, so it is folded into a second dimension.
#[each_backend]
fn iota_over_a_folded_grid(dev: &Device) {
    let len = 65_535 * 128 + 1_001;
    let mut yb = dev.zeros::<u32>(len).unwrap();
    iota::launch(dev, Grid::linear(len), &mut yb, 5).unwrap();
    let got = yb.to_vec().unwrap();
    let bad = (0..len).find(|&i| got[i] != (i as u32).wrapping_mul(3).wrapping_add(5));
    assert_eq!(bad, None, "{} at {bad:?}", dev.name());
}

/// A 2-D grid of a 1-D elementwise kernel runs the scalar module on wgpu (rows write the same
/// values, so the result is defined).
#[each_backend]
fn two_dimensional_grid_uses_the_scalar_module(dev: &Device) {
    let len = 1000;
    let x: Vec<f32> = (0..len).map(|i| i as f32 - 500.0).collect();
    let want: Vec<f32> = x.iter().map(|&v| v.max(0.0)).collect();
    let xb = dev.upload(&x).unwrap();
    let mut yb = dev.zeros::<f32>(len).unwrap();
    let groups = (len as u32).div_ceil(256);
    kernelforge::kernels::relu::launch(dev, Grid::groups([groups, 3, 1]), &xb, &mut yb).unwrap();
    assert_eq!(yb.to_vec().unwrap(), want, "{}", dev.name());
    let mut lb = dev.zeros::<u32>(len).unwrap();
    looped::launch(dev, Grid::linear(len), &mut lb).unwrap();
    assert_eq!(lb.to_vec().unwrap(), vec![6u32; len], "{}", dev.name());
}
