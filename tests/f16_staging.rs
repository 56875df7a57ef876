//! The CPU backend stages the `f16` slices of elementwise kernels through `f32` buffers a block
//! at a time (`codegen/src/back/cpu/stage.rs`, `runtime/src/cpu_rt/half_blocks.rs`). These
//! kernels check that nothing a kernel can observe changes, bit for bit against `half` on the
//! host, on every backend present:
//! - widening and rounding over every `f16` and a sweep of `f32` bit patterns (subnormals,
//!   overflow, ties, NaN payloads), at lengths that leave partial blocks and vector tails;
//! - a load used as an `f16` value keeps a signalling NaN's bits (it is not staged);
//! - a slice read after its store, and a store under an `if`, keep per-element semantics
//!   (neither is staged as an output);
//! - a kernel with a load at a uniform index still computes the same.
//!
//! NaN bits are compared exactly on the CPU; elsewhere only as "is NaN": Vulkan drivers need not
//! keep NaN payloads, and PTX's conversions give the canonical NaN.

mod common;

use common::{each_backend, lacks_shader_feature};
use kernelforge::prelude::*;

/// `y[i] = x[i] as f32 as f16`: a staged input and a staged output.
#[compute_kernel(workgroup_size = 64)]
pub fn round_trip_f16(x: &[f16], y: &mut [f16]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = (x[i] as f32) as f16;
    }
}

/// `y[i] = x[i] as f16` from `f32`: a staged output only.
#[compute_kernel(workgroup_size = 64)]
pub fn narrow_f32(x: &[f32], y: &mut [f16]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = x[i] as f16;
    }
}

/// `y[i] = x[i]`: a load used as an `f16` value.
#[compute_kernel(workgroup_size = 64)]
pub fn copy_bits_f16(x: &[f16], y: &mut [f16]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = x[i];
    }
}

/// `y` is read back after its store (so not an output); `z` is staged.
#[compute_kernel(workgroup_size = 64)]
pub fn store_then_load_f16(x: &[f16], y: &mut [f16], z: &mut [f16]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = (x[i] as f32 + 1.0) as f16;
        let t = y[i] as f32;
        z[i] = (t * 3.0) as f16;
    }
}

/// A store under an `if` (not an output: the other elements keep their values) and a load at a
/// uniform index (`s[0]`).
#[compute_kernel(workgroup_size = 64)]
pub fn guarded_store_f16(x: &[f16], s: &[f16], y: &mut [f16]) {
    let i = global_id().x;
    if i < y.len() {
        let v = x[i] as f32 + s[0] as f32;
        if v > 0.0 {
            y[i] = v as f16;
        }
    }
}

/// Every `f16` bit pattern, then a few more so that the length is not a multiple of anything.
fn every_f16() -> Vec<f16> {
    (0..=u16::MAX).chain(0..37).map(f16::from_bits).collect()
}

/// Bit-for-bit equality, except that NaNs only need to be NaN off the CPU.
fn same_bits(dev: &Device, what: &str, got: &[f16], want: &[f16]) {
    assert_eq!(got.len(), want.len(), "{what}");
    let payloads = dev.backend() == Backend::Cpu;
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = if w.is_nan() && !payloads {
            g.is_nan()
        } else {
            g.to_bits() == w.to_bits()
        };
        assert!(
            ok,
            "{what} on {}: element {k}: got {g:?} ({:#06x}), want {w:?} ({:#06x})",
            dev.name(),
            g.to_bits(),
            w.to_bits()
        );
    }
}

#[each_backend]
fn f16_round_trips_as_half_does(dev: &Device) {
    let x = every_f16();
    let xb = dev.upload(&x).unwrap();
    let mut y = dev.zeros::<f16>(x.len()).unwrap();
    let r = round_trip_f16::launch(dev, Grid::linear(x.len()), &xb, &mut y);
    if lacks_shader_feature(dev, r, &["SHADER_F16"]) {
        return;
    }
    let want: Vec<f16> = x.iter().map(|v| f16::from_f32(v.to_f32())).collect();
    same_bits(dev, "round_trip_f16", &y.to_vec().unwrap(), &want);

    copy_bits_f16::launch(dev, Grid::linear(x.len()), &xb, &mut y).unwrap();
    same_bits(dev, "copy_bits_f16", &y.to_vec().unwrap(), &x);
}

#[each_backend]
fn f32_rounds_to_f16_as_half_does(dev: &Device) {
    // Low bits at and around f16's rounding point (13 dropped bits) over every 5th high
    // pattern: signs, f16's subnormal range, overflow, infinities and NaN payloads.
    let lows = [0u32, 1, 0xfff, 0x1000, 0x1001, 0x1fff];
    let x: Vec<f32> = (0..1u32 << 19)
        .step_by(5)
        .flat_map(|high| lows.map(|low| f32::from_bits((high << 13) ^ low)))
        .collect();
    let xb = dev.upload(&x).unwrap();
    let mut y = dev.zeros::<f16>(x.len()).unwrap();
    let r = narrow_f32::launch(dev, Grid::linear(x.len()), &xb, &mut y);
    if lacks_shader_feature(dev, r, &["SHADER_F16"]) {
        return;
    }
    let want: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
    same_bits(dev, "narrow_f32", &y.to_vec().unwrap(), &want);
}

#[each_backend]
fn staging_keeps_per_element_semantics(dev: &Device) {
    for n in [1usize, 15, 17, 129, 1000, 100_003] {
        let x: Vec<f16> = (0..n)
            .map(|k| f16::from_f32(((k * 7919) % 2001) as f32 * 0.01 - 10.0))
            .collect();
        let xb = dev.upload(&x).unwrap();
        let mut y = dev.zeros::<f16>(n).unwrap();
        let mut z = dev.zeros::<f16>(n).unwrap();
        let r = store_then_load_f16::launch(dev, Grid::linear(n), &xb, &mut y, &mut z);
        if lacks_shader_feature(dev, r, &["SHADER_F16"]) {
            return;
        }
        let want_y: Vec<f16> = x.iter().map(|v| f16::from_f32(v.to_f32() + 1.0)).collect();
        let want_z: Vec<f16> = want_y
            .iter()
            .map(|v| f16::from_f32(v.to_f32() * 3.0))
            .collect();
        same_bits(dev, "store_then_load y", &y.to_vec().unwrap(), &want_y);
        same_bits(dev, "store_then_load z", &z.to_vec().unwrap(), &want_z);

        let s = dev.upload(&[f16::from_f32(-2.5)]).unwrap();
        let old: Vec<f16> = (0..n).map(|k| f16::from_f32(k as f32 * 0.5)).collect();
        let mut y = dev.upload(&old).unwrap();
        guarded_store_f16::launch(dev, Grid::linear(n), &xb, &s, &mut y).unwrap();
        let want: Vec<f16> = x
            .iter()
            .zip(&old)
            .map(|(v, o)| {
                let v = v.to_f32() + -2.5;
                if v > 0.0 {
                    f16::from_f32(v)
                } else {
                    *o
                }
            })
            .collect();
        same_bits(dev, "guarded_store", &y.to_vec().unwrap(), &want);
    }
}
