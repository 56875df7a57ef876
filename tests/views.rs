//! Views (`buf.slice(a..b)?`, `buf.slice_mut(a..b)?`) as launch arguments on every backend
//! present: the kernel sees a slice of the view's length, at offsets with no alignment (the
//! wgpu backend binds below the view and adds the rest), for 4-, 2- and 8-byte elements,
//! `bf16` halves of shared words, atomics and the `vec4` path of elementwise kernels; the
//! elements outside a view are untouched. Ranges outside the buffer are `Err`.

mod common;

use common::{each_backend, lacks_shader_feature};
use kernelforge::prelude::*;

/// `y[i] = a * x[i] + y[i]`, the elementwise shape (wgpu runs its `vec4` module where the
/// views allow).
#[compute_kernel(workgroup_size = 64)]
pub fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = a * x[i] + y[i];
    }
}

/// `y[i] = x[i] * 2` over 16-bit elements, and `n[0]` the length seen.
#[compute_kernel(workgroup_size = 64, T = [f16, bf16])]
pub fn double<T: Float>(x: &[T], y: &mut [T], n: &mut [u32]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = x[i] + x[i];
    }
    if i == 0 {
        n[0] = y.len();
    }
}

/// `y[i] = x[i] * 2` over `u64`.
#[compute_kernel(workgroup_size = 64)]
pub fn double_u64(x: &[u64], y: &mut [u64]) {
    let i = global_id().x;
    if i < y.len() {
        y[i] = x[i] + x[i];
    }
}

/// Counts `x`'s values into `bins` with atomics.
#[compute_kernel(workgroup_size = 64)]
pub fn count(x: &[u32], bins: &[AtomicU32]) {
    let i = global_id().x;
    if i < x.len() {
        bins[x[i] % bins.len()].fetch_add(1, Relaxed);
    }
}

#[each_backend]
fn views_of_f32_at_any_offset(dev: &Device) {
    let n = 1000usize;
    let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let y0: Vec<f32> = (0..n).map(|i| (i % 7) as f32).collect();
    let xb = dev.upload(&x).unwrap();
    // (x range, y range): offsets 0, 1, 3, 64 (one storage alignment on most adapters), 100,
    // lengths of 0, 1, 5 and a few hundred.
    let cases = [
        (0..n, 0..n),
        (1..2, 3..4),
        (3..8, 100..105),
        (64..364, 0..300),
        (5..305, 300..600),
        (999..1000, 999..1000),
        (10..10, 500..500),
        (128..640, 256..768),
    ];
    for (xr, yr) in cases {
        let mut yb = dev.upload(&y0).unwrap();
        {
            let xv = xb.slice(xr.clone()).unwrap();
            let mut yv = yb.slice_mut(yr.clone()).unwrap();
            assert_eq!((xv.len(), yv.len()), (xr.len(), yr.len()));
            axpy::launch(dev, Grid::linear(yr.len()), 3.0, &xv, &mut yv).unwrap();
        }
        let got = yb.to_vec().unwrap();
        let mut want = y0.clone();
        for (k, j) in yr.clone().enumerate() {
            want[j] = 3.0 * x[xr.start + k] + y0[j];
        }
        assert_eq!(got, want, "x[{xr:?}], y[{yr:?}] on {}", dev.name());
    }
}

#[each_backend]
fn views_of_16_and_64_bit_elements(dev: &Device) {
    let n = 301usize;
    let mut counts = dev.zeros::<u32>(1).unwrap();
    // f16 and bf16 at odd offsets: a bf16 view's edges share words with elements outside it.
    let h: Vec<f16> = (0..n).map(|i| f16::from_f32(i as f32)).collect();
    let hb = dev.upload(&h).unwrap();
    let mut out = dev.upload(&vec![f16::from_f32(-1.0); n]).unwrap();
    let r = double::launch(
        dev,
        Grid::linear(99),
        &hb.slice(7..106).unwrap(),
        &mut out.slice_mut(201..300).unwrap(),
        &mut counts,
    );
    if !lacks_shader_feature(dev, r, &["SHADER_F16"]) {
        let got = out.to_vec().unwrap();
        for (j, v) in got.iter().enumerate() {
            let want = if (201..300).contains(&j) {
                2.0 * (j - 201 + 7) as f32
            } else {
                -1.0
            };
            assert_eq!(v.to_f32(), want, "f16 element {j} on {}", dev.name());
        }
        assert_eq!(counts.to_vec().unwrap(), [99]);
    }
    let b: Vec<bf16> = (0..n).map(|i| bf16::from_f32(i as f32)).collect();
    let bb = dev.upload(&b).unwrap();
    let mut out = dev.upload(&vec![bf16::from_f32(-1.0); n]).unwrap();
    let r = double::launch(
        dev,
        Grid::linear(3),
        &bb.slice(1..4).unwrap(),
        &mut out.slice_mut(5..8).unwrap(),
        &mut counts,
    );
    if !lacks_shader_feature(dev, r, &["bf16"]) {
        let got: Vec<f32> = out.to_vec().unwrap().iter().map(|v| v.to_f32()).collect();
        let mut want = vec![-1.0f32; n];
        want[5..8].copy_from_slice(&[2.0, 4.0, 6.0]);
        assert_eq!(got, want, "bf16 on {}", dev.name());
    }
    let u: Vec<u64> = (0..n as u64).map(|i| i << 33 | i).collect();
    let ub = dev.upload(&u).unwrap();
    let mut out = dev.zeros::<u64>(n).unwrap();
    let r = double_u64::launch(
        dev,
        Grid::linear(50),
        &ub.slice(250..).unwrap(),
        &mut out.slice_mut(..50).unwrap(),
    );
    if !lacks_shader_feature(dev, r, &["u64"]) {
        let got = out.to_vec().unwrap();
        for (j, v) in got.iter().enumerate() {
            let want = if j < 50 {
                u[250 + j].wrapping_mul(2)
            } else {
                0
            };
            assert_eq!(*v, want, "u64 element {j} on {}", dev.name());
        }
    }
}

#[each_backend]
fn atomic_views(dev: &Device) {
    let x: Vec<u32> = (0..5000).collect();
    let xb = dev.upload(&x).unwrap();
    let mut bins = dev.zeros::<u32>(40).unwrap();
    {
        let xv = xb.slice(1000..4000).unwrap();
        let mut bv = bins.slice_mut(13..20).unwrap();
        count::launch(dev, Grid::linear(3000), &xv, &mut bv).unwrap();
        assert_eq!(bv.to_vec().unwrap().iter().sum::<u32>(), 3000);
    }
    let got = bins.to_vec().unwrap();
    let mut want = vec![0u32; 40];
    for v in 1000..4000u32 {
        want[13 + (v % 7) as usize] += 1;
    }
    assert_eq!(got, want, "on {}", dev.name());
}

#[test]
fn ranges_outside_the_buffer_are_errors() {
    let dev = Device::cpu();
    let mut b = dev.zeros::<f32>(10).unwrap();
    assert_eq!(b.slice(..).unwrap().len(), 10);
    assert_eq!(b.slice(3..=4).unwrap().len(), 2);
    assert_eq!(b.slice(10..).unwrap().len(), 0);
    for msg in [
        b.slice(0..11).unwrap_err().to_string(),
        b.slice(11..).unwrap_err().to_string(),
        #[allow(clippy::reversed_empty_ranges)]
        b.slice(5..3).unwrap_err().to_string(),
        b.slice(usize::MAX..).unwrap_err().to_string(),
        b.slice_mut(..=10).unwrap_err().to_string(),
    ] {
        assert!(msg.contains("10 elements"), "{msg}");
    }
}
