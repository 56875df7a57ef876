//! Kernels generic over their element type: `#[compute_kernel(T = [...])] fn k<T: Float>`,
//! one instance per listed type, `launch` picking the instance of its arguments' type; with
//! const generic parameters too. Checked on every backend against an f64 reference rounded to
//! the element type (each operation rounds once in the element type, as the README states).

mod common;

use common::{each_backend, lacks_shader_feature};
use kernelforge::prelude::*;

/// `x = a * x + T::EPSILON` elementwise in the element type.
#[compute_kernel(T = [f32, f16, bf16, f64])]
pub fn scale_eps<T: Float>(a: T, x: &mut [T]) {
    let i = global_id().x;
    if i < x.len() {
        x[i] = a * x[i] + T::EPSILON;
    }
}

/// Sums `B` consecutive elements through workgroup memory, accumulating in f32 whatever the
/// element type: `y[g] = sum(x[g*B .. g*B+B]) as T`.
#[compute_kernel(workgroup_size = B, T = [f32, bf16], B = [32, 64])]
pub fn block_sum<T: Float, const B: u32>(x: &[T], y: &mut [T]) {
    let tile = shared_array::<f32, B>();
    let l = local_id().x;
    let i = global_id().x;
    let mut v = 0.0f32;
    if i < x.len() {
        v = x[i] as f32;
    }
    tile[l] = v;
    barrier();
    if l == 0 {
        let mut s = 0.0f32;
        for k in 0..B {
            s += tile[k];
        }
        y[group_id().x] = s as T;
    }
}

/// Integer element types: `x = x * 3 + T::MAX` wrapping.
#[compute_kernel(T = [u32, i64, u64])]
pub fn int_affine<T: Int>(x: &mut [T]) {
    let i = global_id().x;
    if i < x.len() {
        x[i] = x[i] * 3 + T::MAX;
    }
}

#[each_backend]
fn launch_picks_the_instance_of_the_argument_type(dev: &Device) {
    let src: Vec<f64> = (0..300).map(|i| (i as f64 - 150.0) * 0.37).collect();
    let a = -1.25;
    // f32
    let mut x = dev
        .upload(&src.iter().map(|&v| v as f32).collect::<Vec<_>>())
        .unwrap();
    scale_eps::launch(dev, Grid::linear(src.len()), a as f32, &mut x).unwrap();
    for (g, &v) in x.to_vec().unwrap().iter().zip(&src) {
        let want = ((a as f32) * (v as f32) + f32::EPSILON) as f64;
        assert!(
            (*g as f64 - want).abs() <= 1e-6 * want.abs().max(1.0),
            "f32 {v}"
        );
    }
    // f16: each operation rounds to f16
    let h: Vec<f16> = src.iter().map(|&v| f16::from_f64(v)).collect();
    let mut x = dev.upload(&h).unwrap();
    let r = scale_eps::launch(dev, Grid::linear(h.len()), f16::from_f64(a), &mut x);
    if !lacks_shader_feature(dev, r, &["SHADER_F16"]) {
        for (g, &v) in x.to_vec().unwrap().iter().zip(&h) {
            let p = f16::from_f64(a * v.to_f64());
            let want = f16::from_f64(p.to_f64() + f16::EPSILON.to_f64());
            // A Vulkan driver may fuse the multiply-add: one f16 ulp.
            let ulp = 2f64.powi(want.to_f64().abs().log2().floor().max(-14.0) as i32 - 10);
            assert!(
                (g.to_f64() - want.to_f64()).abs() <= ulp,
                "f16 {v}: {g} vs {want}"
            );
        }
    }
    // bf16: emulated on wgpu, bit for bit everywhere
    let b: Vec<bf16> = src.iter().map(|&v| bf16::from_f64(v)).collect();
    let mut x = dev.upload(&b).unwrap();
    scale_eps::launch(dev, Grid::linear(b.len()), bf16::from_f64(a), &mut x).unwrap();
    for (g, &v) in x.to_vec().unwrap().iter().zip(&b) {
        let p = bf16::from_f64(a * v.to_f64());
        let want = bf16::from_f64(p.to_f64() + bf16::EPSILON.to_f64());
        assert_eq!(g.to_bits(), want.to_bits(), "bf16 {v}");
    }
    // f64
    let mut x = dev.upload(&src).unwrap();
    let r = scale_eps::launch(dev, Grid::linear(src.len()), a, &mut x);
    if !lacks_shader_feature(dev, r, &["SHADER_F64"]) {
        for (g, &v) in x.to_vec().unwrap().iter().zip(&src) {
            let want = a * v + f64::EPSILON;
            assert!(
                (g - want).abs() <= 4.0 * f64::EPSILON * want.abs(),
                "f64 {v}"
            );
        }
    }
}

#[each_backend]
fn type_and_const_parameters_combine(dev: &Device) {
    let n = 256usize;
    let src: Vec<f64> = (0..n).map(|i| ((i * 7) % 23) as f64 * 0.5 - 5.0).collect();
    let x32 = dev
        .upload(&src.iter().map(|&v| v as f32).collect::<Vec<_>>())
        .unwrap();
    let xb = dev
        .upload(&src.iter().map(|&v| bf16::from_f64(v)).collect::<Vec<_>>())
        .unwrap();
    for b in [32usize, 64] {
        let mut y32 = dev.zeros::<f32>(n / b).unwrap();
        let mut yb = dev.zeros::<bf16>(n / b).unwrap();
        if b == 32 {
            block_sum::launch::<_, 32>(dev, Grid::linear(n), &x32, &mut y32).unwrap();
            block_sum::launch::<_, 32>(dev, Grid::linear(n), &xb, &mut yb).unwrap();
        } else {
            block_sum::launch::<_, 64>(dev, Grid::linear(n), &x32, &mut y32).unwrap();
            block_sum::launch::<_, 64>(dev, Grid::linear(n), &xb, &mut yb).unwrap();
        }
        let (y32, yb) = (y32.to_vec().unwrap(), yb.to_vec().unwrap());
        for g in 0..n / b {
            // Halves and small integers: every partial sum is exact in f32.
            let want: f64 = src[g * b..g * b + b].iter().sum();
            assert_eq!(y32[g] as f64, want, "B = {b}, group {g}");
            assert_eq!(
                yb[g].to_bits(),
                bf16::from_f64(want).to_bits(),
                "bf16 B = {b}"
            );
        }
    }
}

#[each_backend]
fn integer_element_types(dev: &Device) {
    let src: Vec<u64> = vec![0, 1, 7, u32::MAX as u64, 1 << 40, u64::MAX];
    let mut x = dev
        .upload(&src.iter().map(|&v| v as u32).collect::<Vec<_>>())
        .unwrap();
    int_affine::launch(dev, Grid::linear(src.len()), &mut x).unwrap();
    let want: Vec<u32> = src
        .iter()
        .map(|&v| (v as u32).wrapping_mul(3).wrapping_add(u32::MAX))
        .collect();
    assert_eq!(x.to_vec().unwrap(), want);
    let mut x = dev.upload(&src).unwrap();
    int_affine::launch(dev, Grid::linear(src.len()), &mut x).unwrap();
    let want: Vec<u64> = src
        .iter()
        .map(|&v| v.wrapping_mul(3).wrapping_add(u64::MAX))
        .collect();
    assert_eq!(x.to_vec().unwrap(), want);
    let s: Vec<i64> = src.iter().map(|&v| v as i64).collect();
    let mut x = dev.upload(&s).unwrap();
    int_affine::launch(dev, Grid::linear(s.len()), &mut x).unwrap();
    let want: Vec<i64> = s
        .iter()
        .map(|&v| v.wrapping_mul(3).wrapping_add(i64::MAX))
        .collect();
    assert_eq!(x.to_vec().unwrap(), want);
}
