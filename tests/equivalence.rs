//! Every built-in kernel on every backend present, against the CPU backend and an independent
//! scalar reference, at sizes 0, 1, a non-multiple of the workgroup size, and more than 65,535
//! workgroups (which wgpu must fold into a second dimension).
//!
//! Tolerances (documented in the README): elementwise arithmetic without transcendental
//! functions must match an f32 reference exactly, except saxpy, where a Vulkan driver may
//! contract `a * x + y` into an FMA (one ulp of the product, 2e-5 here; CUDA compiles with
//! `--fmad=false`);
//! functions using `exp`/`tanh` within 2e-6 absolute/relative (the CPU backend's vectorised
//! approximations and GPU libraries are a few ulp from the f64 reference); integer kernels bit
//! for bit.

mod common;

use common::each_backend;

use kernelforge::kernels::*;
use kernelforge::{Device, Grid};
use kernelforge_reference::{self as reference, errors, inputs};

const SIZES: [usize; 4] = [0, 1, 1000, 65_536 * 256 + 17];

fn check(dev: &Device, kernel: &str, n: usize, got: &[f32], want: &[f32], tol: f64) {
    let (abs, rel) = errors(got, want);
    assert!(
        abs <= tol || rel <= tol,
        "{kernel} on {} at n={n}: max abs err {abs:e}, max rel err {rel:e} > {tol:e}",
        dev.name()
    );
}

type Unary = fn(
    &Device,
    Grid,
    &kernelforge::Buffer<f32>,
    &mut kernelforge::Buffer<f32>,
) -> kernelforge::Result<()>;

fn unary(dev: &Device, name: &str, launch: Unary, f: fn(f32) -> f32, tol: f64) {
    for n in SIZES {
        let x = inputs(n, 7, -8.0, 8.0);
        let want: Vec<f32> = x.iter().map(|&v| f(v)).collect();
        let xb = dev.upload(&x).unwrap();
        let mut yb = dev.zeros::<f32>(n).unwrap();
        launch(dev, Grid::linear(n), &xb, &mut yb).unwrap();
        check(dev, name, n, &yb.to_vec().unwrap(), &want, tol);
    }
}

#[each_backend]
fn relu_matches_reference(dev: &Device) {
    unary(dev, "relu", relu::launch, reference::relu, 0.0);
}

#[each_backend]
fn copy_matches_its_input(dev: &Device) {
    unary(dev, "copy", copy::launch, |v| v, 0.0);
}

#[each_backend]
fn gelu_matches_reference(dev: &Device) {
    unary(dev, "gelu", gelu::launch, reference::gelu, 2e-6);
}

#[each_backend]
fn sigmoid_matches_reference(dev: &Device) {
    unary(dev, "sigmoid", sigmoid::launch, reference::sigmoid, 2e-6);
}

#[each_backend]
fn silu_matches_reference(dev: &Device) {
    unary(dev, "silu", silu::launch, reference::silu, 2e-6);
}

#[each_backend]
fn vector_add_saxpy_scale_match_reference(dev: &Device) {
    for n in SIZES {
        let a = inputs(n, 1, -100.0, 100.0);
        let b = inputs(n, 2, -100.0, 100.0);
        let ab = dev.upload(&a).unwrap();
        let bb = dev.upload(&b).unwrap();

        let mut c = dev.zeros::<f32>(n).unwrap();
        vector_add::launch(dev, Grid::linear(n), &ab, &bb, &mut c).unwrap();
        let want: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
        check(dev, "vector_add", n, &c.to_vec().unwrap(), &want, 0.0);

        let mut y = dev.upload(&b).unwrap();
        saxpy::launch(dev, Grid::linear(n), 1.5, &ab, &mut y).unwrap();
        let want: Vec<f32> = a.iter().zip(&b).map(|(x, y)| 1.5 * x + y).collect();
        // One ulp of |a x| <= 150, for a Vulkan driver's contraction of `a * x + y` into an FMA.
        check(dev, "saxpy", n, &y.to_vec().unwrap(), &want, 2e-5);

        let mut s = dev.zeros::<f32>(n).unwrap();
        scale::launch(dev, Grid::linear(n), -0.25, &ab, &mut s).unwrap();
        let want: Vec<f32> = a.iter().map(|x| -0.25 * x).collect();
        check(dev, "scale", n, &s.to_vec().unwrap(), &want, 0.0);
    }
}

#[each_backend]
fn hash_u32_is_bit_exact(dev: &Device) {
    for n in SIZES {
        let x: Vec<u32> = (0..n as u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        let xb = dev.upload(&x).unwrap();
        let mut yb = dev.zeros::<u32>(n).unwrap();
        hash_u32::launch(dev, Grid::linear(n), 0xdead_beef, &xb, &mut yb).unwrap();
        let want: Vec<u32> = x
            .iter()
            .map(|&v| reference::hash_u32(0xdead_beef, v))
            .collect();
        assert_eq!(
            yb.to_vec().unwrap(),
            want,
            "hash_u32 on {} at n={n}",
            dev.name()
        );
    }
}

#[each_backend]
fn backends_agree_with_the_cpu_backend(dev: &Device) {
    let n = 100_003;
    let x = inputs(n, 3, -6.0, 6.0);
    let cpu = Device::cpu();
    let xb = cpu.upload(&x).unwrap();
    let mut yb = cpu.zeros::<f32>(n).unwrap();
    gelu::launch(&cpu, Grid::linear(n), &xb, &mut yb).unwrap();
    let on_cpu = yb.to_vec().unwrap();
    let xb = dev.upload(&x).unwrap();
    let mut yb = dev.zeros::<f32>(n).unwrap();
    gelu::launch(dev, Grid::linear(n), &xb, &mut yb).unwrap();
    check(
        dev,
        "gelu vs CPU backend",
        n,
        &yb.to_vec().unwrap(),
        &on_cpu,
        4e-6,
    );
}
